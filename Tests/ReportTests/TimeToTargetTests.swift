import Foundation
import Testing
import ExprunCore
import ExprunStore
@testable import ExprunReport

@Suite struct TimeToTargetTests {
    @Test func firstHitOnHandMadeCurves() {
        #expect(TimeToTarget.firstHit([5, 3, 1, 0.5], target: 1, minimize: true) == 2)
        #expect(TimeToTarget.firstHit([5, 3, 2], target: 1, minimize: true) == nil)
        #expect(TimeToTarget.firstHit([.nan, 0.2, 0.9], target: 0.8, minimize: false) == 2)
        #expect(TimeToTarget.medianWithInfinity([1, nil, 3]) == 3)
        #expect(TimeToTarget.medianWithInfinity([1, nil, nil]) == .infinity)
    }

    @Test func perCellSummaryOnSyntheticFile() throws {
        let s = try SyntheticResults(name: "ttt")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let index = CellIndex.make(file: file)
        let target = 0.5
        let ttt = TimeToTarget.make(file: file, cells: index, metric: "loss", target: target, minimize: true, views: ["last"])
        #expect(ttt.rows.count == 6)
        for row in ttt.rows {
            let model = row.key[0].1, lr = Double(row.key[1].1)!
            // Independent: scan the hand-made curves.
            var expected: [Int?] = []
            for seed in 0..<4 {
                var y = SyntheticResults.curve(model: model, lr: lr, seed: seed)
                var steps = SyntheticResults.steps
                if SyntheticResults.diverged(model: model, lr: lr, seed: seed) { y = [y[0], y[1], .infinity]; steps = Array(steps.prefix(3)) }
                expected.append(y.firstIndex { $0 <= target }.map { steps[$0] })
            }
            #expect(row.steps == expected, "\(row.key)")
            let hits = expected.compactMap { $0 }.map(Double.init).sorted()
            #expect(row.reached == hits.count)
            if !hits.isEmpty {
                #expect(row.medianStep == quantile(hits, 0.5))
                #expect(row.medianGradEvals == 8 * row.medianStep)          // grad_evals = 8 * step
                #expect(abs(row.medianSeconds - 2.0 * row.medianStep / 1000) < 1e-12)  // wall 2 s over 1000 steps
            }
        }
        #expect(ttt.render(.text).contains("reached"))
    }

    @Test func performanceProfileByHand() {
        // Two methods, three problems; costs (steps): method 0 = [10, 20, inf], method 1 = [20, 10, 40].
        let p = PerformanceProfile(methods: ["m0", "m1"], problems: ["p0", "p1", "p2"],
                                   costs: [[10, 20, .infinity], [20, 10, 40]])
        #expect(p.ratios[0] == [1, 2, .infinity] && p.ratios[1] == [2, 1, 1])
        #expect(p.fraction(method: 0, tau: 1) == 1.0 / 3 && p.fraction(method: 0, tau: 2) == 2.0 / 3)
        #expect(p.fraction(method: 0, tau: 1000) == 2.0 / 3)
        #expect(p.fraction(method: 1, tau: 1) == 2.0 / 3 && p.fraction(method: 1, tau: 2) == 1)
        let c = p.curve(method: 1)
        #expect(c.tau == [1, 2] && c.rho == [2.0 / 3, 1])
        #expect(xmlError(p.figure(title: "t", legendTitle: "method").svg()) == nil)
    }

    @Test func profileFromSyntheticSweep() throws {
        let s = try SyntheticResults(name: "profile")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let index = CellIndex.make(file: file)
        #expect(index.problemParameters == ["model"])
        let ttt = TimeToTarget.make(file: file, cells: index, metric: "loss", target: 0.5, minimize: true, views: ["last"])
        let profile = try #require(PerformanceProfile.from(ttt, problemParameters: ["model"]))
        #expect(profile.problems == ["model=a", "model=b"] && profile.methods == ["0.01", "0.1", "1"])
        // Each problem has a best method with ratio 1.
        for p in 0..<2 { #expect(profile.ratios.map { $0[p] }.contains(1)) }
    }
}
