import Foundation
import ArgumentParser
import ExprunCore
import ExprunConfig
import ExprunSpec
import ExprunCatalogue
import ExprunRunner
import ExprunStore
import ExprunReport

/// Exit codes of the contract: 0 all runs completed or diverged, 1 some run failed,
/// 2 bad config or arguments, 130 interrupted.
enum Exit {
    static let ok: Int32 = 0, runFailed: Int32 = 1, badInput: Int32 = 2, interrupted: Int32 = 130
}

let exprunVersion = "0.1.0"

struct Exprun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exprun",
        abstract: "Declarative experiment runner for stochastic-optimization research.",
        usage: """
        exprun CONFIG [--jobs N] [--set path=value ...] [--out DIR] [--dry-run] [--fresh] [--shard I/N] [--quiet]
          exprun <subcommand> [options]
        """,
        discussion: """
        Examples:
          exprun configs/sea_omd.yaml                      # run a sweep (resumes finished runs)
          exprun configs/last_iterate.yaml --set seeds=2 --dry-run
          exprun compare runs/sea_omd/results.h5 --baseline ogd_fixed
          exprun help summary                              # a subcommand's options and examples
        Shell completion: source <(exprun --generate-completion-script bash)   (or zsh, fish)
        """,
        version: exprunVersion,
        subcommands: [Run.self, Validate.self, List.self, Schema.self, Summary.self, Plot.self, Target.self, Report.self, Export.self, Compare.self,
                      Merge.self, Submit.self, Status.self, GraphExport.self, Init.self],
        defaultSubcommand: Run.self)
}

/// Prints diagnostics (all of them) and exits 2.
func fail(_ error: Error) -> Never {
    if var list = error as? DiagnosticList {
        list = CLIDefects.deduplicated(list)
        FileHandle.standardError.write((list.description + "\n").data(using: .utf8)!)
        let n = list.items.count
        FileHandle.standardError.write("\(n) problem\(n == 1 ? "" : "s") found; nothing was run or written.\n".data(using: .utf8)!)
    } else {
        FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    }
    Foundation.exit(Exit.badInput)
}

func stderr(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }

/// Where bundled data sets are exported: $EXPRUN_DATA, else ./data.
func dataDirectory() -> String {
    if let d = ProcessInfo.processInfo.environment["EXPRUN_DATA"], !d.isEmpty { return d }
    return FileManager.default.currentDirectoryPath + "/data"
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every combination of a config's sweep (resumes finished runs).",
        discussion: """
        Examples:
          exprun configs/sea_omd.yaml
          exprun configs/last_iterate.yaml --set optimizer.lr=0.05 --set seeds=2 --jobs 2
          exprun configs/last_iterate.yaml --set 'model.l2=[0.01, 0.1]' --dry-run
          exprun configs/last_iterate.yaml --shard 0/4 --out runs/last_iterate   # one SLURM array task
        """)

    @Argument(help: "The experiment config (YAML).") var config: String
    @Option(name: .shortAndLong, help: "Parallel runs (default: all cores).") var jobs: Int?
    @Option(name: .customLong("set"), help: "Override a value: path=value (a list makes it a sweep axis). Repeatable.")
    var overrides: [String] = []
    @Option(help: "Output folder (default: runs/<name>).") var out: String?
    @Flag(help: "Print the expanded grid and run nothing.") var dryRun = false
    @Flag(help: "Discard finished runs of this experiment and start over.") var fresh = false
    @Option(help: "Run only shard I of N (I/N, 0-based), e.g. a SLURM array task; merge afterwards.") var shard: String?
    @Flag(help: "No progress output and no summary.") var quiet = false
    @Flag(help: "Stop the sweep at the first failed run.") var failFast = false
    @Flag(help: "Keep failed runs of an earlier sweep instead of retrying them.") var noRetry = false

    func validate() throws {
        if let j = jobs, j < 1 { throw ValidationError("--jobs must be >= 1") }
        if let s = shard, parseShard(s) == nil { throw ValidationError("--shard must be I/N with 0 <= I < N, got '\(s)'") }
    }

    func run() throws {
        EarlySignals.exitOnSignal()
        let experiment: Experiment
        do { experiment = try ExperimentBuilder.load(path: config, overrides: overrides, dataDirectory: dataDirectory()) }
        catch { fail(error) }
        var runs = experiment.runs
        if let s = shard, let (i, n) = parseShard(s) { runs = ShardSlice.runs(runs, shard: i, of: n) }
        if experiment.halving != nil && shard != nil {
            failWith("--shard splits a grid, but successive halving picks each rung's runs from the rung before: run it whole")
        }
        if dryRun {
            print(experiment.halving.map { HalvingSweep.dryRun(experiment, $0) } ?? GridTable.render(experiment, runs: runs))
            return
        }
        let outDir = FolderOwnership.choose(experiment: experiment, requested: out, fresh: fresh)
        let shardDir = outDir + "/shards"
        let fm = FileManager.default
        let lock = RunGuards.open(outDir, shared: shard != nil, runs: runs, quiet: quiet)
        if fresh {
            try? fm.removeItem(atPath: shardDir)
            try? fm.removeItem(atPath: outDir + "/results.h5")
        }
        try fm.createDirectory(atPath: shardDir, withIntermediateDirectories: true)
        try experiment.resolvedConfig.write(toFile: outDir + "/config.yaml", atomically: true, encoding: .utf8)
        let (done, failedBefore) = RunGuards.resumeState(shardDir, retryFailed: !noRetry, quiet: quiet)
        let todo = runs.filter { !done.contains($0.runId) }
        if !quiet && runs.count > todo.count && experiment.halving == nil {
            stderr("resuming: \(runs.count - todo.count) of \(runs.count) runs already finished (use --fresh to start over)")
        }
        let workers = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let outcome = experiment.halving.map {
            HalvingSweep.run(experiment, $0, done: done, jobs: workers, failFast: failFast, quiet: quiet, shardDir: shardDir)
        } ?? SweepRunner(specs: todo, jobs: workers, failFast: failFast, quiet: quiet,
                         upstreamRecord: { id in Store.readShard(runId: id, directory: shardDir) },
                         sink: { record in try Store.writeShard(record, directory: shardDir) }).run()
        // Merge whatever finished (all of it on success; the finished part on Ctrl-C).
        // A shard of a SLURM array leaves merging to `exprun merge`.
        // After a storage error (a full disk) results.h5 is left as it was: merging onto the
        // same full disk cannot succeed, and the finished shards are the state to resume from.
        // A signal while merging lets the merge and its summary finish, then exits 130 (MergeGuard).
        var interruptedWhileMerging = false
        if shard == nil && outcome.sinkFailures.isEmpty {
            interruptedWhileMerging = try MergeGuard.run(afterInterrupt: outcome.interrupted, quiet: quiet) {
                try mergeResults(experiment: experiment, outDir: outDir)
                let current = SweepEnd.summaryIsCurrent(outDir: outDir)
                if !(quiet && current), let file = try? ResultsFile(path: outDir + "/results.h5") {
                    if !current {
                        let table = SummaryTable.make(file: file, metric: experiment.summaryMetric)
                        let text = table.render(.text)
                        try? text.write(toFile: outDir + "/summary.txt", atomically: true, encoding: .utf8)
                    }
                    if !quiet {
                        print(SweepEnd.shortTable(file: file, metric: experiment.summaryMetric, fullTable: outDir + "/summary.txt"),
                              terminator: "")
                        print("results: \(outDir)/results.h5")
                    }
                }
            }
        }
        lock.release()
        if outcome.interrupted || interruptedWhileMerging {
            // A halving sweep runs fewer runs than it plans (`runs` holds every candidate at every rung).
            let total = experiment.halving?.plannedRuns ?? runs.count
            stderr(SweepEnd.resumeHint(finished: min(total, runs.count - todo.count + outcome.finished), total: total))
            Foundation.exit(Exit.interrupted)
        }
        if !outcome.sinkFailures.isEmpty { RunGuards.storageFailed(outcome.sinkFailures[0].message, outDir: outDir) }
        // The exit code reports the folder after the run: a failed run kept from before counts.
        if outcome.hasFailures || RunGuards.anyFailed(runs, failedBefore: failedBefore, shardDir) { Foundation.exit(Exit.runFailed) }
    }
}

func parseShard(_ s: String) -> (Int, Int)? {
    let parts = s.split(separator: "/")
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
    return (i, n)
}

/// Merges the experiment's shards into results.h5, in grid order, with provenance; returns the
/// ids the file holds.
@discardableResult
func mergeResults(experiment: Experiment, outDir: String) throws -> [String] {
    let root = RootInfo(experiment: experiment.name, config: experiment.resolvedConfig, swept: experiment.swept,
                        indexColumns: experiment.indexColumns, exprunVersion: exprunVersion,
                        provenance: Provenance.collect(configDirectory: outDir) + [("summary_metric", .string(experiment.summaryMetric))])
    return try Store.merge(shardDirectory: outDir + "/shards", runOrder: experiment.runs.map(\.runId), root: root,
                           into: outDir + "/results.h5")
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check configs; print every problem as file:line:col.",
        discussion: "Examples:\n  exprun validate configs/sea_omd.yaml\n  exprun validate configs/last_iterate.yaml --set seeds=2\n  exprun validate --data configs/*.yaml")
    @Argument(help: "Experiment configs (YAML); each is checked on its own.") var configs: [String]
    @Option(name: .customLong("set"), help: "Override a value: path=value. Repeatable.") var overrides: [String] = []
    @Flag(help: "Also read every data file and report content errors (as a run does before starting).") var data = false
    func run() throws { ValidateConfigs.run(configs, overrides: overrides, data: data) }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The catalogue: every component and its parameters.",
        discussion: "Examples:\n  exprun list\n  exprun list optimizers\n  exprun list sgd\n  exprun list optimizers --names\n  exprun list --markdown")
    @Argument(help: "A section (datasets, models, schedules, optimizers, environments, learners, transforms, graphs, walks, metrics, run) or a kind.",
              completion: .list(catalogueNames))
    var kind: String?
    @Flag(help: "Markdown tables (the README catalogue).") var markdown = false
    @Flag(help: "Only the names, one per line: the sections, or the kinds of a section (for scripts and completion).")
    var names = false
    static let catalogueNames = CatalogueText.sections + Family.allCases.flatMap { Catalogue.decls($0).map(\.kind) }
    func run() throws {
        if markdown { print(CatalogueText.markdown(), terminator: ""); return }
        if names {
            if let k = kind, let family = Family.allCases.first(where: { $0.section == k }) {
                print(Catalogue.decls(family).map(\.kind).joined(separator: "\n")); return
            }
            if kind == nil { print(CatalogueText.sections.joined(separator: "\n")); return }
        }
        guard let text = CatalogueText.text(filter: kind) else {
            let all = Self.catalogueNames
            fail(DiagnosticList([Diagnostic(nil, "nothing in the catalogue is called '\(kind ?? "")'",
                                            suggestion: closestMatch(kind ?? "", in: all))]))
        }
        print(text, terminator: "")
    }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema of config files.",
        discussion: "Examples:\n  exprun schema > schemas/exprun-config.schema.json")
    func run() throws { print(ConfigSchema.json(), terminator: "") }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the shards of an output folder into results.h5 (after a SLURM array).",
        discussion: "Examples:\n  exprun merge runs/last_iterate")
    @Argument(help: "The output folder (runs/<name>), holding config.yaml and shards/.") var dir: String
    func run() throws {
        EarlySignals.exitOnSignal()
        let experiment: Experiment
        do { experiment = try ExperimentBuilder.load(path: dir + "/config.yaml", dataDirectory: dataDirectory()) }
        catch { fail(error) }
        var merged: [String] = []
        let interrupted = try MergeGuard.run(afterInterrupt: false, quiet: false) {
            merged = try mergeResults(experiment: experiment, outDir: dir)
        }
        let n = merged.count
        print("merged \(n) of \(experiment.runs.count) runs into \(dir)/results.h5")
        if interrupted { Foundation.exit(Exit.interrupted) }
    }
}
