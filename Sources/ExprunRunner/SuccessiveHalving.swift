import ExprunCore
import ExprunSpec

/// One rung of a successive-halving sweep as it ran.
public struct HalvingRung: Sendable, Equatable {
    public var budget: Int
    /// The candidates run at this rung (indices into `HalvingPlan.runs`), in grid order.
    public var candidates: [Int]
    /// Each candidate's score (the seed-mean of the budget metric's last value; +inf when a
    /// run diverged, failed or has no finite value), in the order of `candidates`.
    public var scores: [Double]
    /// The candidates that go on to the next rung, in grid order (empty after the last rung).
    public var survivors: [Int]
}

/// Runs a successive-halving plan rung by rung: every surviving candidate's runs at the
/// rung's budget (those finished by an earlier invocation are not run again), then the best
/// `kept(n)` of each bracket's n by score go on. Everything the selection reads comes from the stored records, so
/// an interrupted sweep re-run selects the same survivors and runs the same runs, and the
/// result does not depend on --jobs (runs are deterministic, and ties go to the candidate
/// earlier in grid order).
public enum SuccessiveHalving {
    /// The ranking score of one run (lower is better once the goal is applied).
    public static func score(_ record: RunRecord?, metric: String, lowerIsBetter: Bool) -> Double {
        guard let record, record.status == .completed || record.status == .timeout,
              let last = record.metrics.first(where: { $0.name == metric })?.values.last, last.isFinite else { return .infinity }
        return lowerIsBetter ? last : -last
    }

    /// The `keep` best candidates by score, ties to the lower index, returned in index order.
    public static func survivors(_ candidates: [Int], scores: [Double], keep: Int) -> [Int] {
        let ranked = zip(candidates, scores).sorted { a, b in
            a.1 != b.1 ? a.1 < b.1 : a.0 < b.0
        }
        return ranked.prefix(keep).map(\.0).sorted()
    }

    /// - Parameters:
    ///   - specs: the experiment's runs (every candidate at every rung).
    ///   - done: runs finished before (not run again; their records are read).
    ///   - runRung: runs a list of runs (a SweepRunner over them).
    ///   - record: a finished run's record (from its shard).
    ///   - progress: one line per rung.
    /// - Returns: the summary of the runs this call ran (nil if it ran none), the rungs it
    ///   completed, and every run of those rungs (run now or before).
    public static func run(_ plan: HalvingPlan, specs: [RunSpec], done: Set<String>,
                           runRung: ([RunSpec]) -> SweepSummary, record: (String) -> RunRecord?,
                           progress: (String) -> Void) -> (summary: SweepSummary?, rungs: [HalvingRung], executed: [String]) {
        let byId = Dictionary(specs.map { ($0.runId, $0) }, uniquingKeysWith: { a, _ in a })
        let settings = plan.settings
        // Each bracket is halved on its own; the rungs of all brackets run together.
        var brackets = plan.brackets
        var summary: SweepSummary?
        var rungs: [HalvingRung] = [], executed: [String] = []
        for (k, budget) in settings.budgets.enumerated() {
            let alive = brackets.flatMap { $0 }.sorted()
            let ids = alive.flatMap { plan.runs[$0][k] }
            let todo = ids.filter { !done.contains($0) }.compactMap { byId[$0] }
            progress("rung \(k + 1) of \(settings.budgets.count): \(alive.count) candidates x \(budget) steps"
                     + (todo.count < ids.count ? " (\(ids.count - todo.count) of \(ids.count) runs finished before)" : ""))
            if !todo.isEmpty {
                let s = runRung(todo)
                if var total = summary {
                    total.total += s.total
                    for (status, n) in s.counts { total.counts[status, default: 0] += n }
                    total.failures += s.failures; total.sinkFailures += s.sinkFailures
                    total.wallSeconds += s.wallSeconds; total.interrupted = s.interrupted
                    summary = total
                } else {
                    summary = s
                }
                executed += todo.map(\.runId)
                if s.interrupted || !s.sinkFailures.isEmpty { return (summary, rungs, executed) }
            }
            executed += ids.filter { done.contains($0) }
            let scores = alive.map { c -> Double in
                let values = plan.runs[c][k].map { score(record($0), metric: settings.metric, lowerIsBetter: settings.lowerIsBetter) }
                return values.isEmpty ? .infinity : values.reduce(0, +) / Double(values.count)
            }
            let last = k == settings.budgets.count - 1
            if !last {
                let scoreOf = Dictionary(uniqueKeysWithValues: zip(alive, scores))
                brackets = brackets.map { b in survivors(b, scores: b.map { scoreOf[$0]! }, keep: settings.kept(b.count)) }
            }
            rungs.append(HalvingRung(budget: budget, candidates: alive, scores: scores, survivors: last ? [] : brackets.flatMap { $0 }.sorted()))
        }
        return (summary, rungs, executed)
    }
}
