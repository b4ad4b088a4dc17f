import Foundation
import ArgumentParser
import ExprunCore
import ExprunSpec
import ExprunStore

/// `exprun status DIR`: finished, running, failed and missing runs of an output folder, from
/// its shards and (after `exprun submit`) the SLURM queue.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report finished, running, failed and missing runs of an output folder.",
        discussion: "Examples:\n  exprun status runs/last_iterate")
    @Argument(help: "The output folder (runs/<name>).") var dir: String

    func run() throws {
        let submission = SlurmSubmission.load(dir)
        let experiment: Experiment
        do {
            if let s = submission {
                experiment = try ExperimentBuilder.load(path: s.config, overrides: s.overrides, dataDirectory: s.dataDirectory)
            } else {
                experiment = try ExperimentBuilder.load(path: dir + "/config.yaml", dataDirectory: dataDirectory())
            }
        } catch { fail(error) }
        let shardDir = dir + "/shards"
        let complete = Store.completedShardIds(directory: shardDir).intersection(experiment.runs.map(\.runId))
        let statuses = Store.shardStatuses(directory: shardDir, ids: complete)
        let failedRuns = Set(statuses.filter { $0.value == RunStatus.failed.rawValue }.keys)
        var queued: [Int: String] = [:], failedTasks: [(Int, String)] = []
        var running = Set<String>()
        if let s = submission, let job = s.arrayJob {
            queued = SlurmQueue.tasks(job: job)
            for i in s.indices {
                let slice = ShardSlice.runs(experiment.runs, shard: i, of: s.tasks).map(\.runId).filter { !complete.contains($0) }
                if let state = queued[i] {
                    if state == "R" || state == "CG" { running.formUnion(slice) }
                } else if let code = exitCode(dir, job, i) {
                    if code != "0" { failedTasks.append((i, "exit \(code)")) }
                } else if !slice.isEmpty {
                    failedTasks.append((i, "no exit code: killed, cancelled or timed out"))
                }
            }
        }
        let finished = complete.subtracting(failedRuns).count
        // A halving sweep runs the survivors only: its total is the runs it plans.
        let total = experiment.halving?.plannedRuns ?? experiment.runs.count
        let missing = max(0, total - complete.count - running.count)
        print("\(experiment.name): \(total) runs: \(finished) finished, \(running.count) running, "
              + "\(failedRuns.count) failed, \(missing) missing")
        if let s = submission, let job = s.arrayJob {
            let pending = queued.values.filter { $0 == "PD" }.count
            print("array job \(job): \(s.indices.count) tasks submitted, \(queued.count) in the queue (\(pending) pending)")
            for (i, code) in failedTasks {
                print("  task \(i) failed (\(code)): see \(dir)/slurm/task-\(job)_\(i).out")
            }
            if let m = s.mergeJob {
                let state = SlurmQueue.state(job: m)
                let merged = FileManager.default.fileExists(atPath: dir + "/results.h5")
                print("merge job \(m): \(state.map { "in the queue (\($0))" } ?? (merged ? "done" : "not run (a task failed); fix it and re-submit: only missing runs are sent"))")
            }
        }
        for id in failedRuns.sorted().prefix(10) { print("  failed run \(id)") }
    }

    func exitCode(_ dir: String, _ job: String, _ i: Int) -> String? {
        (try? String(contentsOfFile: "\(dir)/slurm/exit-\(job)_\(i)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
