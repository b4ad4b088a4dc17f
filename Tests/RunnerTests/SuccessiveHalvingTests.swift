import Testing
import ExprunCore
import ExprunSpec
import ExprunRunner

/// Successive halving's loop on a hand-made case: nine candidates, two seeds, budgets
/// 1, 3, 9, each run's final metric set by hand, so which candidates run at each rung and
/// which survive is known in advance (ties, divergence and NaN included).
@Suite struct SuccessiveHalvingTests {
    /// Final train_loss of candidate c at rung k, seed s (the seed mean is the listed value).
    static let rung0: [Double] = [5, 3, 8, 1, 9, 2, 3, 4, 0]
    static let rung1: [Int: Double] = [1: 0.5, 3: 2, 5: .nan]

    static func id(_ c: Int, _ k: Int, _ s: Int) -> String { "c\(c)k\(k)s\(s)" }
    static let plan = HalvingPlan(settings: HalvingSettings(eta: 3, budgets: [1, 3, 9], metric: "train_loss"),
                                  runs: (0..<9).map { c in (0..<3).map { k in (0..<2).map { id(c, k, $0) } } })

    static func record(_ id: String) -> RunRecord? {
        let c = Int(String(id.dropFirst().prefix { $0 != "k" }))!, k = Int(String(id.split(separator: "k")[1].prefix(1)))!
        let s = id.hasSuffix("s0") ? -1.0 : 1.0
        let mean = k == 0 ? rung0[c] : k == 1 ? (rung1[c] ?? 100) : 1
        // Candidate 8 has the lowest value but diverged: it ranks last.
        let status: RunStatus = c == 8 ? .diverged : .completed
        return RunRecord(runId: id, status: status, wallSeconds: 0, attributes: [], steps: [0, 1],
                         metrics: [Series(name: "train_loss", values: [10, mean + s])], views: [])
    }

    @Test func survivorsOfEachRung() {
        var read: [String] = []
        let (_, rungs, _) = SuccessiveHalving.run(Self.plan, specs: [], done: [], runRung: { _ in fatalError("no specs") },
                                                  record: { read.append($0); return Self.record($0) }, progress: { _ in })
        #expect(rungs.map(\.budget) == [1, 3, 9])
        #expect(rungs.map(\.candidates) == [Array(0..<9), [1, 3, 5], [1]])
        // Rung 0: 1 (c3), 2 (c5), then a tie at 3 between c1 and c6: the earlier candidate wins.
        #expect(rungs[0].survivors == [1, 3, 5])
        #expect(rungs[0].scores == [5, 3, 8, 1, 9, 2, 3, 4, .infinity])
        // Rung 1: c5's NaN ranks last, c1 (0.5) beats c3 (2).
        #expect(rungs[1].survivors == [1])
        #expect(rungs[2].survivors == [])
        #expect(Set(read) == Set((0..<9).flatMap { [Self.id($0, 0, 0), Self.id($0, 0, 1)] }
                                 + [1, 3, 5].flatMap { [Self.id($0, 1, 0), Self.id($0, 1, 1)] } + [Self.id(1, 2, 0), Self.id(1, 2, 1)]))
    }

    @Test func higherIsBetterWhenAsked() {
        var plan = Self.plan
        plan.settings.lowerIsBetter = false
        let (_, rungs, _) = SuccessiveHalving.run(plan, specs: [], done: [], runRung: { _ in fatalError("no specs") },
                                                  record: Self.record, progress: { _ in })
        #expect(rungs[0].survivors == [0, 2, 4])   // 9, 8, 5 (c8 diverged: still last)
    }

    @Test func survivorsBreakTiesByGridOrder() {
        #expect(SuccessiveHalving.survivors([4, 2, 7, 9], scores: [1, 1, 1, 0], keep: 2) == [2, 9])
        #expect(SuccessiveHalving.survivors([0, 1], scores: [.infinity, .infinity], keep: 1) == [0])
    }
}

extension SuccessiveHalvingTests {
    @Test func bracketsAreHalvedApart() {
        // Candidates 0-4 and 5-8 in two brackets (two methods): each keeps its own best third.
        var plan = Self.plan
        plan.brackets = [[0, 1, 2, 3, 4], [5, 6, 7, 8]]
        let (_, rungs, _) = SuccessiveHalving.run(plan, specs: [], done: [], runRung: { _ in fatalError("no specs") },
                                                  record: Self.record, progress: { _ in })
        #expect(rungs[0].survivors == [3, 5])          // 5 // 3 = 1: c3 (1); 4 // 3 = 1: c5 (2)
        #expect(rungs[1].candidates == [3, 5] && rungs[1].survivors == [3, 5])
        #expect(rungs[2].candidates == [3, 5])
        #expect(plan.plannedRuns == (9 + 2 + 2) * 2)
        #expect(Self.plan.plannedRuns == (9 + 3 + 1) * 2)
    }
}
