import Foundation
import ExprunCore
import ExprunSpec
import ExprunRunner
import ExprunStore

/// `exprun CONFIG` for a config with `search: {method: halving}`: the rungs one after the
/// other (each a SweepRunner over the survivors' runs), reading the finished shards to rank.
enum HalvingSweep {
    static func run(_ experiment: Experiment, _ plan: HalvingPlan, done: Set<String>, jobs: Int, failFast: Bool,
                    quiet: Bool, shardDir: String) -> SweepSummary {
        let caches = SharedCaches()
        // One trap for the whole search, polled by each rung's runner: a signal between two
        // rungs (while survivors are ranked) stops the search as one inside a rung does, rather
        // than hitting the early handler that exits without the resume hint.
        let trap = SignalTrap()
        defer { trap.remove() }
        let (summary, rungs, _) = SuccessiveHalving.run(
            plan, specs: experiment.runs, done: done,
            runRung: { todo in
                // An interrupted search runs no further rung (the summary says interrupted).
                SweepRunner(specs: trap.fired ? [] : todo, jobs: jobs, failFast: failFast, quiet: quiet,
                            caches: caches, trap: trap,
                            upstreamRecord: { id in Store.readShard(runId: id, directory: shardDir) },
                            sink: { record in try Store.writeShard(record, directory: shardDir) }).run()
            },
            record: { Store.readShard(runId: $0, directory: shardDir) },
            progress: { if !quiet { stderr($0) } })
        if !quiet, let last = rungs.last, rungs.count == plan.settings.budgets.count, let best = last.scores.min() {
            let value = plan.settings.lowerIsBetter ? best : -best
            stderr("halving: the best candidate at \(last.budget) steps has \(plan.settings.metric) \(value) (seed mean); "
                   + "\(rungs.reduce(0) { $0 + $1.candidates.count * $1.budget }) steps per seed in all")
        }
        return summary ?? SweepRunner(specs: [], jobs: 1, quiet: true, handlesSignals: false, sink: { _ in }).run()
    }

    /// The dry-run table: the first rung's runs, then what the later rungs will run.
    static func dryRun(_ experiment: Experiment, _ plan: HalvingPlan) -> String {
        let first = Set(plan.runs.flatMap { $0[0] })
        var text = GridTable.render(experiment, runs: experiment.runs.filter { first.contains($0.runId) })
        var n = plan.brackets.map(\.count)
        text += "\nsuccessive halving (eta \(plan.settings.eta), ranked by \(plan.settings.lowerIsBetter ? "lowest" : "highest") \(plan.settings.metric)"
            + (n.count > 1 ? ", \(n.count) brackets halved apart" : "") + "):"
        for (k, b) in plan.settings.budgets.enumerated() {
            text += "\n  rung \(k): \(n.reduce(0, +)) candidates x \(b) steps"
            n = n.map(plan.settings.kept)
        }
        return text
    }
}
