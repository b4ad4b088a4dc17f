import Dispatch
import ExprunCatalogue
import ExprunCore
import Foundation
import Synchronization

/// Something that happened during a sweep, reported as it happens (from a worker thread).
public enum SweepEvent: Sendable {
    /// A run ended and its record went to the sink.
    case finished(RunRecord)
    /// A run failed (its record, status `.failed`, also went to the sink).
    case failed(runId: String, message: String)
    /// The sink threw for a finished run: the sweep counts as failed.
    case sinkFailed(runId: String, message: String)
}

/// What a sweep did.
public struct SweepSummary: Sendable {
    /// Runs handed to the runner.
    public var total: Int
    /// Finished runs by status (cancelled runs are not counted: they are not stored).
    public var counts: [RunStatus: Int]
    /// True when SIGINT/SIGTERM (or the caller's control) cancelled the sweep.
    public var interrupted: Bool
    /// Runs that failed, with their messages, in the order they failed.
    public var failures: [(runId: String, message: String)]
    /// Runs whose record the sink could not take, with its error.
    public var sinkFailures: [(runId: String, message: String)]
    public var wallSeconds: Double

    /// Runs that finished (any status).
    public var finished: Int { counts.values.reduce(0, +) }
    /// Whether any run failed or any record was not stored.
    public var hasFailures: Bool { (counts[.failed] ?? 0) > 0 || !sinkFailures.isEmpty }
}

/// Runs a list of RunSpecs on `jobs` worker threads and hands each finished run to a sink.
///
/// Workers take the next ready run from a `ReadyQueue`: the lowest grid index whose upstream
/// runs (`RunSpec.upstream`) have finished, so runs without dependencies start in grid order
/// and fill every worker, and a downstream run starts once its inputs exist. A run gets its
/// upstream records in `RunContext.upstream` (and its factory hands them to the schedules and
/// optimizers it builds); a run whose upstream run failed or has no result is not run but
/// recorded as failed, and a re-run retries both. Each run builds its own components (data sets and f* are shared through
/// `SharedCaches`); a run that throws becomes a `.failed` record with the message. SIGINT or
/// SIGTERM cancels the sweep: runs in flight are discarded (a re-run resumes them), finished
/// ones are kept, and `run()` returns with `interrupted == true`; a second signal exits with
/// 130 at once. Records are bit-identical whatever `jobs` is (each run is deterministic in its
/// seed; BLAS always runs one thread per run, since a multi-threaded BLAS splits its reductions
/// differently and would make --jobs 1 differ in the last bits from --jobs 2).
public final class SweepRunner: Sendable {
    public let specs: [RunSpec]
    public let jobs: Int
    public let failFast: Bool
    public let quiet: Bool
    public let factory: ComponentFactory
    /// The registered problem kinds runs are looked up in.
    public let problems: [ProblemEntry]
    public let caches: SharedCaches
    /// Cancelling it stops the sweep like a signal does.
    public let control: RunControl
    public let handlesSignals: Bool
    /// A trap the caller holds over several runners (a halving search's rungs), or nil.
    private let sharedTrap: SignalTrap?
    private let sink: @Sendable (RunRecord) throws -> Void
    /// The record of an upstream run that is not in `specs` (finished by an earlier
    /// invocation), or nil when it has none.
    private let upstreamRecord: @Sendable (String) -> RunRecord?
    private let onEvent: (@Sendable (SweepEvent) -> Void)?

    /// - Parameters:
    ///   - specs: the runs to do (the CLI has already removed the finished ones).
    ///   - jobs: worker threads.
    ///   - failFast: cancel the sweep at the first failed run or sink error.
    ///   - quiet: no progress output (failure lines are still printed).
    ///   - handlesSignals: trap SIGINT and SIGTERM while running.
    ///   - trap: the caller's trap to poll instead of one of the runner's own (the caller
    ///     installs and removes it, so a signal between two runners is kept for the next).
    ///   - upstreamRecord: reads the record of an upstream run outside `specs` (the CLI reads
    ///     its shard).
    ///   - onEvent: called from workers as runs end.
    ///   - sink: stores a finished run (called from the worker that ran it); throwing marks
    ///     the sweep failed.
    public init(specs: [RunSpec], jobs: Int = ProcessInfo.processInfo.activeProcessorCount, failFast: Bool = false,
                quiet: Bool = false, factory: ComponentFactory = .catalogue,
                problems: [ProblemEntry] = Catalogue.problems, caches: SharedCaches = SharedCaches(),
                control: RunControl = RunControl(), handlesSignals: Bool = true, trap: SignalTrap? = nil,
                upstreamRecord: @escaping @Sendable (String) -> RunRecord? = { _ in nil },
                onEvent: (@Sendable (SweepEvent) -> Void)? = nil,
                sink: @escaping @Sendable (RunRecord) throws -> Void) {
        self.specs = specs; self.jobs = max(1, jobs); self.failFast = failFast; self.quiet = quiet
        self.factory = factory; self.problems = problems; self.caches = caches; self.control = control
        self.handlesSignals = handlesSignals; self.onEvent = onEvent; self.sink = sink
        self.sharedTrap = trap
        self.upstreamRecord = upstreamRecord
    }

    private struct Tally {
        var counts: [RunStatus: Int] = [:]
        var failures: [(runId: String, message: String)] = []
        var sinkFailures: [(runId: String, message: String)] = []
    }

    /// Runs the sweep and returns when every run has finished or the sweep was cancelled.
    public func run() -> SweepSummary {
        BLAS.withOneThread { runWithOneBLASThread() }
    }

    private func runWithOneBLASThread() -> SweepSummary {
        let started = RunControl.now()
        let workers = min(jobs, specs.count)

        // Each data set is dropped from the cache after the last run that needs it.
        for spec in specs { if let key = DatasetCache.key(of: spec) { caches.datasets.reserve(key) } }

        // Cancelled by signals, the caller's control, or fail-fast.
        let sweepControl = RunControl(sharing: control, timeLimit: nil)
        let progress = SweepProgress(total: specs.count, totalSteps: specs.reduce(0) { $0 + $1.run.steps }, quiet: quiet)
        let ownTrap = handlesSignals && sharedTrap == nil ? SignalTrap() : nil
        defer { ownTrap?.remove() }
        let trap = sharedTrap ?? ownTrap
        var announcedInterrupt = false
        func pollSignals() {
            guard let trap, trap.fired, !announcedInterrupt else { return }
            announcedInterrupt = true
            sweepControl.cancel()
            progress.printLine("exprun: interrupted; finishing (runs in flight are discarded, Ctrl-C again to exit now)")
        }

        let tally = Mutex(Tally())
        let queue = ReadyQueue(specs, outside: upstreamRecord)
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                while let (index, upstream) = queue.next(cancelled: { sweepControl.isCancelled }) {
                    let record = work(on: specs[index], upstream: upstream, sweepControl: sweepControl, tally: tally,
                                      progress: progress)
                    queue.finished(index, record: record)
                }
            }
            thread.stackSize = 16 << 20
            thread.name = "exprun-worker"
            thread.start()
        }
        // The waiting thread polls for signals (at most 50 ms late) and redraws the progress.
        while group.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            pollSignals()
            progress.tick()
        }
        pollSignals()
        progress.tick(final: true)

        let t = tally.withLock { $0 }
        return SweepSummary(total: specs.count, counts: t.counts,
                            interrupted: (trap?.fired ?? false) || control.isCancelled,
                            failures: t.failures, sinkFailures: t.sinkFailures,
                            wallSeconds: RunControl.now() - started)
    }

    /// Runs one spec and stores its record; nil when it was cancelled (discarded).
    private func work(on spec: RunSpec, upstream: [String: [(id: String, record: RunRecord?)]], sweepControl: RunControl,
                      tally: borrowing Mutex<Tally>, progress: SweepProgress) -> RunRecord? {
        let runControl = RunControl(sharing: sweepControl, timeLimit: spec.run.timeLimit)
        progress.runStarted(runControl)
        let outcome: RunRecord?
        if let missing = Self.unusableUpstream(upstream) {
            outcome = RunRecord(runId: spec.runId, status: .failed, message: missing, wallSeconds: 0,
                                attributes: Self.baseAttributes(spec), steps: [], metrics: [], views: [])
        } else {
            outcome = Self.execute(spec, control: runControl, factory: factory, caches: caches, problems: problems,
                                   upstream: upstream.mapValues { $0.map(\.record!) })
        }
        if let key = DatasetCache.key(of: spec) { caches.datasets.release(key) }
        guard let record = outcome else {   // cancelled: discarded
            progress.runEnded(runControl, steps: 0, status: nil)
            return nil
        }

        var sinkError: String?
        do { try sink(record) } catch { sinkError = "\(error)" }
        tally.withLock { t in
            t.counts[record.status, default: 0] += 1
            if record.status == .failed { t.failures.append((record.runId, record.message)) }
            if let sinkError { t.sinkFailures.append((record.runId, sinkError)) }
        }
        progress.runEnded(runControl, steps: spec.run.steps, status: record.status, storeFailed: sinkError != nil)
        if record.status == .failed {
            progress.printLine("run \(record.runId) failed: \(record.message)")
            onEvent?(.failed(runId: record.runId, message: record.message))
        }
        if let sinkError {
            progress.printLine("run \(record.runId) could not be stored: \(sinkError)")
            onEvent?(.sinkFailed(runId: record.runId, message: sinkError))
        }
        onEvent?(.finished(record))
        // A store that fails (a full disk, an I/O error) fails every later run too: stop at once.
        if sinkError != nil || (failFast && record.status == .failed) { sweepControl.cancel() }
        return record
    }

    /// Why a run cannot use its upstream runs (one failed, or has no result), or nil.
    static func unusableUpstream(_ upstream: [String: [(id: String, record: RunRecord?)]]) -> String? {
        for selection in upstream.keys.sorted() {
            for (id, record) in upstream[selection]! {
                guard let record else {
                    return "upstream run \(id) (selection \(selection)) has no result: it was not run in this folder"
                }
                if record.status == .failed {
                    return "upstream run \(id) (selection \(selection)) failed: \(record.message)"
                }
            }
        }
        return nil
    }

    /// Runs one spec; nil when the sweep was cancelled during it. Any other error becomes a
    /// `.failed` record carrying the message. The spec's problem kind is looked up in
    /// `problems` (the catalogue's by default).
    /// `upstream` holds the records of the spec's upstream runs, by selection.
    public static func execute(_ spec: RunSpec, control: RunControl, factory: ComponentFactory = .catalogue,
                               caches: SharedCaches = SharedCaches(),
                               problems: [ProblemEntry] = Catalogue.problems,
                               upstream: [String: [RunRecord]] = [:]) -> RunRecord? {
        let started = RunControl.now()
        do {
            guard let kind = problems.first(where: { $0.decl.name == spec.problem }) else {
                throw ComponentError("run \(spec.runId): unknown problem kind \(spec.problem)")
            }
            var record = try kind.run(spec, RunContext(control: control, factory: factory.feeding(upstream), caches: caches,
                                                       upstream: upstream))
            if !spec.inputs.isEmpty { record.attributes.append(inputsAttribute(spec)) }
            return record
        } catch is RunCancelled {
            return nil
        } catch {
            return RunRecord(runId: spec.runId, status: .failed, message: "\(error)",
                             wallSeconds: RunControl.now() - started, attributes: baseAttributes(spec),
                             steps: [], metrics: [], views: [])
        }
    }

    /// The resolved parameters and the seed (and the inputs of a run with dependencies).
    static func baseAttributes(_ spec: RunSpec) -> [(String, Value)] {
        var a = spec.parameters
        if !a.contains(where: { $0.0 == "seed" }) { a.append(("seed", .int(spec.seed))) }
        if !spec.inputs.isEmpty { a.append(inputsAttribute(spec)) }
        return a
    }

    /// `inputs`: the ids of the runs this one took input from (the run group's attribute).
    static func inputsAttribute(_ spec: RunSpec) -> (String, Value) {
        ("inputs", .list(spec.inputs.map(Value.string)))
    }
}
