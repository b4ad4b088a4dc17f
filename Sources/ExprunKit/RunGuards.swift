import Foundation
import ExprunCore
import ExprunStore
import ExprunSpec

/// What `exprun CONFIG` checks before the first run and after the last, kept out of the
/// command's body: the output folder (writable, locked), the data files, and which finished
/// runs count as done.
enum RunGuards {
    /// Prepares and locks `outDir`, then reads every data file once. Exits 2 with one line on
    /// any problem (nothing has run).
    static func open(_ outDir: String, shared: Bool, runs: [RunSpec], quiet: Bool) -> OutputFolder.Lock {
        if let why = OutputFolder.prepare(outDir) { refuse(why) }
        let lock: OutputFolder.Lock
        switch OutputFolder.Lock.acquire(outDir, shared: shared) {
        case .success(let l): lock = l
        case .failure(let e): refuse(e.message)
        }
        if let stale = lock.tookOverFrom, !quiet {
            stderr("exprun: took over the lock of \(outDir) left by \(stale), which is no longer running")
        }
        let dataProblems = DataCheck.problems(runs)
        if !dataProblems.isEmpty {
            dataProblems.forEach { stderr($0) }
            stderr("\(dataProblems.count) data problem\(dataProblems.count == 1 ? "" : "s") found; nothing was run.")
            lock.release()
            Foundation.exit(Exit.badInput)
        }
        return lock
    }

    static func refuse(_ message: String) -> Never {
        stderr("error: \(message)")
        Foundation.exit(Exit.badInput)
    }

    /// A shard could not be written (a full disk, an I/O error): the sweep stopped. Exits 1
    /// with `_exit`, skipping libhdf5's exit-time cleanup, which dereferences the state of the
    /// file whose close failed and would turn a clean stop into SIGSEGV.
    static func storageFailed(_ message: String, outDir: String) -> Never {
        // libhdf5's message spans lines; its errno text is the part a user needs.
        var reason = message.replacingOccurrences(of: "\n", with: " ")
        if let r = reason.range(of: "error message = '"), let end = reason[r.upperBound...].firstIndex(of: "'") {
            reason = String(reason[r.upperBound..<end])
        }
        stderr("exprun: stopped: a result could not be stored in \(outDir) (\(reason)); every finished shard is intact "
               + "and results.h5 was not touched; free space and re-run to resume")
        fflush(nil)
        _exit(Exit.runFailed)
    }

    /// Runs whose shard is complete, less the failed ones when they are to be retried.
    static func finished(_ shardDir: String, retryFailed: Bool, quiet: Bool) -> Set<String> {
        resumeState(shardDir, retryFailed: retryFailed, quiet: quiet).done
    }

    /// `finished`, and the runs whose shard had failed before this invocation (retried or not):
    /// the only runs of the folder that can be failed at its end without failing in it.
    static func resumeState(_ shardDir: String, retryFailed: Bool, quiet: Bool) -> (done: Set<String>, failedBefore: [String]) {
        var done = Set<String>(), failed: [String] = []
        Store.forEachCompletedShard(directory: shardDir) { runId, status in
            if status == RunStatus.failed.rawValue {
                failed.append(runId)
                if !retryFailed { done.insert(runId) }
            } else {
                done.insert(runId)
            }
        }
        if retryFailed && !failed.isEmpty && !quiet {
            stderr("retrying \(failed.count) failed run\(failed.count == 1 ? "" : "s") (--no-retry keeps them)")
        }
        return (done, failed)
    }

    /// Whether a run of `runs` has a failed shard in the folder now, given the runs whose shard
    /// had failed before the sweep (`resumeState`): a run that failed in the sweep is in its
    /// summary, so only those shards are read again, not every shard of the folder (at 100,000
    /// runs the listing, ids and statuses of every shard were the sweep's peak memory).
    static func anyFailed(_ runs: [RunSpec], failedBefore: [String], _ shardDir: String) -> Bool {
        guard !failedBefore.isEmpty else { return false }
        let ids = Set(runs.map(\.runId))
        return failedBefore.contains { ids.contains($0) && Store.readShard(runId: $0, directory: shardDir)?.status == .failed }
    }
}

/// The runs of array task `shard` of `count`: a deterministic slice of the grid in grid order
/// (without dependencies run k goes to task k mod count; a run's dependency closure goes to
/// one task, see `ShardPlan`), so every task of a job array can compute its own from the
/// config alone, and the union of the slices is the grid.
enum ShardSlice {
    static func runs(_ runs: [RunSpec], shard: Int, of count: Int) -> [RunSpec] {
        ShardPlan.runs(runs, shard: shard, of: count)
    }
}
