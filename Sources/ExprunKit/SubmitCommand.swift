import Foundation
import ArgumentParser
import ExprunCore
import ExprunConfig
import ExprunSpec
import ExprunStore

/// `exprun submit CONFIG --slurm`: the same config, as a SLURM job array of `--shard I/N` tasks
/// writing shards into one shared output folder, and a merge job that runs after all of them.
struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit a sweep to SLURM: a job array of shards, then a merge job (afterok).",
        discussion: """
        Examples:
          exprun submit configs/last_iterate.yaml --slurm --tasks 64 --time 02:00:00 --dry-run
          exprun submit configs/last_iterate.yaml --slurm --tasks 64 --time 02:00:00
          exprun submit configs/last_iterate.yaml --slurm      # again: resubmits only what is missing
        """)

    @Argument(help: "The experiment config (YAML).") var config: String
    @Flag(help: "Submit to SLURM (sbatch); the only scheduler so far.") var slurm = false
    @Option(name: .customLong("set"), help: "Override a value: path=value. Repeatable.") var overrides: [String] = []
    @Option(help: "Output folder on a filesystem every node sees (default: runs/<name>).") var out: String?
    @Option(help: "Array tasks (default: slurm.tasks, else one per run up to 256).") var tasks: Int?
    @Option(help: "SLURM partition.") var partition: String?
    @Option(help: "Time limit per task (sbatch --time, e.g. 02:00:00).") var time: String?
    @Option(help: "CPUs per task (also the task's --jobs).") var cpusPerTask: Int?
    @Option(help: "Memory per task (sbatch --mem, e.g. 4G).") var mem: String?
    @Option(help: "At most this many array tasks at once.") var concurrency: Int?
    @Option(help: "An extra #SBATCH line, e.g. --account=lab. Repeatable.") var sbatchLine: [String] = []
    @Flag(help: "Print the batch scripts and submit nothing.") var dryRun = false

    func validate() throws {
        if !slurm { throw ValidationError("say where to submit: --slurm") }
        for (name, v) in [("--tasks", tasks), ("--cpus-per-task", cpusPerTask), ("--concurrency", concurrency)] {
            if let v, v < 1 { throw ValidationError("\(name) must be >= 1") }
        }
    }

    func run() throws {
        let configPath = absolute(config)
        let experiment: Experiment
        var settings: SlurmSettings
        do {
            experiment = try ExperimentBuilder.load(path: configPath, overrides: overrides, dataDirectory: absolute(dataDirectory()))
            let tree = try ConfigLoader.applyOverrides(try ConfigLoader.load(path: configPath).tree, overrides,
                                                       sweepRoles: Set(ExperimentBuilder.roles.filter { $0 != "run" }))
            var problems: [Diagnostic] = []
            settings = SlurmSection.parse(tree["slurm"], problems: &problems)
            if !problems.isEmpty { throw DiagnosticList(problems) }
        } catch { fail(error) }
        if experiment.halving != nil {
            failWith("successive halving picks each rung's runs from the rung before, so it cannot be split into array tasks: run it as one job (`exprun CONFIG` in a single sbatch script)")
        }
        // The command line wins over the config.
        if let v = partition { settings.partition = v }
        if let v = time { settings.time = v }
        if let v = cpusPerTask { settings.cpusPerTask = v }
        if let v = mem { settings.memPerTask = v }
        if let v = concurrency { settings.concurrency = v }
        settings.extra += sbatchLine
        let dir = absolute(out ?? "runs/\(experiment.name)")
        let n = min(tasks ?? settings.tasks ?? min(experiment.runs.count, 256), experiment.runs.count)

        // Only tasks whose slice still has a run to do (a resubmission sends what is missing).
        let finished = RunGuards.finished(dir + "/shards", retryFailed: true, quiet: true)
        let indices = (0..<n).filter { i in
            ShardSlice.runs(experiment.runs, shard: i, of: n).contains { !finished.contains($0.runId) }
        }
        let self_ = CommandLine.arguments[0]
        let binary = Bundle.main.executablePath ?? absolute(self_)
        var submission = SlurmSubmission(config: configPath, overrides: overrides, dataDirectory: absolute(dataDirectory()),
                                         exprun: binary, workingDirectory: FileManager.default.currentDirectoryPath,
                                         tasks: n, indices: indices, arrayJob: nil, mergeJob: nil)
        let array = submission.arrayScript(dir, name: experiment.name, settings: settings)
        let merge = submission.mergeScript(dir, name: experiment.name, settings: settings)
        if dryRun {
            print("# \(dir)/slurm/array.sh\n\(array)\n# \(dir)/slurm/merge.sh (sbatch --dependency=afterok:<array job> --kill-on-invalid-dep=yes)\n\(merge)")
            return
        }
        if indices.isEmpty {
            print("all \(experiment.runs.count) runs of \(experiment.name) are finished in \(dir); nothing to submit (`exprun merge \(dir)` to rebuild results.h5)")
            return
        }
        if let previous = SlurmSubmission.load(dir), let job = previous.arrayJob, !SlurmQueue.tasks(job: job).isEmpty {
            RunGuards.refuse("array job \(job) of \(dir) is still queued or running; wait for it or `scancel \(job)` first")
        }
        if let why = OutputFolder.prepare(dir) { RunGuards.refuse(why) }
        try? FileManager.default.createDirectory(atPath: dir + "/slurm", withIntermediateDirectories: true)
        try experiment.resolvedConfig.write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
        try array.write(toFile: dir + "/slurm/array.sh", atomically: true, encoding: .utf8)
        try merge.write(toFile: dir + "/slurm/merge.sh", atomically: true, encoding: .utf8)
        let a = runProcess(["sbatch", "--parsable", dir + "/slurm/array.sh"])
        guard a.code == 0, let arrayJob = a.output.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }),
              !arrayJob.isEmpty else {
            stderr("error: sbatch failed (exit \(a.code)) for \(dir)/slurm/array.sh")
            Foundation.exit(Exit.runFailed)
        }
        submission.arrayJob = arrayJob
        let m = runProcess(["sbatch", "--parsable", "--dependency=afterok:\(arrayJob)", "--kill-on-invalid-dep=yes",
                            dir + "/slurm/merge.sh"])
        submission.mergeJob = m.code == 0 ? m.output.trimmingCharacters(in: .whitespacesAndNewlines) : nil
        try submission.save(dir)
        let todo = experiment.runs.count - finished.intersection(experiment.runs.map(\.runId)).count
        print("submitted array job \(arrayJob) (\(indices.count) of \(n) tasks, \(todo) runs to do) and merge job "
              + "\(submission.mergeJob ?? "(failed: run `exprun merge \(dir)` afterwards)"); follow with `exprun status \(dir)`")
        if submission.mergeJob == nil { Foundation.exit(Exit.runFailed) }
    }
}

func absolute(_ path: String) -> String {
    let p = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    return (p as NSString).standardizingPath
}

/// The scheduler's view of a job: its array tasks still in the queue, by index, with state.
enum SlurmQueue {
    /// Task index -> state code (PD, R, CG, ...); empty when nothing is queued or squeue fails.
    static func tasks(job: String) -> [Int: String] {
        let r = runProcess(["squeue", "-h", "-r", "-j", job, "-o", "%K %t"])
        guard r.code == 0 else { return [:] }
        var out: [Int: String] = [:]
        for line in r.output.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let i = Int(f[0]) { out[i] = String(f[1]) }
        }
        return out
    }

    /// The state of a single job (nil when it left the queue).
    static func state(job: String) -> String? {
        let r = runProcess(["squeue", "-h", "-j", job, "-o", "%t"])
        let s = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return r.code == 0 && !s.isEmpty ? s : nil
    }
}
