import ExprunCore
import ExprunRunner
import Foundation
import Synchronization
import Testing

/// Collects what the sink receives.
final class Collected: Sendable {
    let records = Mutex<[RunRecord]>([])
    func add(_ r: RunRecord) { records.withLock { $0.append(r) } }
    var all: [RunRecord] { records.withLock { $0 } }
}

func bits(_ v: [Double]) -> [UInt64] { v.map(\.bitPattern) }

@Suite struct SweepRunnerTests {
    func grid(sleepMicroseconds: Int = 0, steps: Int = 300) -> [RunSpec] {
        var specs: [RunSpec] = []
        for seed in 0..<2 {
            for lr in [0.01, 0.05, 0.1] {
                specs.append(makeSpec(id: "s\(seed)-lr\(lr)", seed: seed,
                                      optimizerParams: sleepMicroseconds > 0 ? ["sleep_us": .int(sleepMicroseconds)] : [:],
                                      lr: lr, steps: steps, log: .every(25), views: [.last, .avg],
                                      metrics: ["train_loss", "grad_norm", "batch_loss"]))
            }
        }
        return specs
    }

    @Test func jobsOneAndTwoGiveBitIdenticalRecords() throws {
        var byJobs: [[String: RunRecord]] = []
        for jobs in [1, 2] {
            let collected = Collected()
            let probe = Probe()
            let summary = SweepRunner(specs: grid(), jobs: jobs, quiet: true, factory: testFactory(probe),
                                      handlesSignals: false, sink: { collected.add($0) }).run()
            #expect(summary.counts[.completed] == 6 && summary.finished == 6 && !summary.interrupted)
            #expect(!summary.hasFailures)
            let records = collected.all
            #expect(records.count == 6)
            #expect(Set(records.map(\.runId)).count == 6, "the sink is called once per run")
            #expect(probe.datasetBuilds.count == 2, "one data set per seed")
            byJobs.append(Dictionary(uniqueKeysWithValues: records.map { ($0.runId, $0) }))
        }
        for (id, a) in byJobs[0] {
            let b = try #require(byJobs[1][id])
            #expect(a.status == b.status && a.steps == b.steps)
            #expect(a.metrics.map(\.name) == b.metrics.map(\.name))
            for (x, y) in zip(a.metrics, b.metrics) { #expect(bits(x.values) == bits(y.values)) }
            #expect(a.views.count == 1 && b.views.count == 1)
            for (x, y) in zip(a.views[0].metrics, b.views[0].metrics) { #expect(bits(x.values) == bits(y.values)) }
            #expect(a.attributes.map(\.0) == b.attributes.map(\.0))
        }
    }

    @Test func failingRunIsRecordedWhileOthersComplete() {
        var specs = grid(steps: 50)
        specs.insert(makeSpec(id: "broken", optimizer: "broken_kind"), at: 2)
        let collected = Collected()
        let events = Mutex<[String]>([])
        let summary = SweepRunner(specs: specs, jobs: 2, quiet: true, factory: testFactory(), handlesSignals: false,
                                  onEvent: { e in if case .failed(let id, _) = e { events.withLock { $0.append(id) } } },
                                  sink: { collected.add($0) }).run()
        #expect(summary.counts[.completed] == 6 && summary.counts[.failed] == 1)
        #expect(summary.failures.count == 1 && summary.failures[0].runId == "broken")
        #expect(summary.failures[0].message.contains("broken on purpose"))
        #expect(summary.hasFailures)
        #expect(events.withLock { $0 } == ["broken"])
        let failed = collected.all.first { $0.runId == "broken" }
        #expect(failed?.status == .failed && failed!.message.contains("broken on purpose"))
        #expect(failed!.attributes.contains { $0.0 == "seed" })
    }

    @Test func throwingSinkMarksTheSweepFailed() {
        struct DiskFull: Error {}
        let summary = SweepRunner(specs: grid(steps: 20), jobs: 2, failFast: true, quiet: true,
                                  factory: testFactory(), handlesSignals: false,
                                  sink: { r in if r.runId == "s0-lr0.01" { throw DiskFull() } }).run()
        #expect(summary.sinkFailures.count == 1 && summary.hasFailures)
        #expect(!summary.interrupted, "fail-fast is not an interruption")
    }

    @Test func cancellationKeepsFinishedRunsOnly() {
        let control = RunControl()
        let collected = Collected()
        let summary = SweepRunner(specs: grid(sleepMicroseconds: 1000), jobs: 2, quiet: true,
                                  factory: testFactory(), control: control, handlesSignals: false,
                                  sink: { r in collected.add(r); control.cancel() }).run()
        #expect(summary.interrupted)
        #expect(summary.finished == collected.all.count)
        #expect(summary.finished >= 1 && summary.finished < 6)
        #expect(collected.all.allSatisfy { $0.status == .completed && $0.steps.last == 300 })
    }

    @Test func sigintInterruptsTheSweep() {
        let collected = Collected()
        let summary = SweepRunner(specs: grid(sleepMicroseconds: 1000), jobs: 2, quiet: true,
                                  factory: testFactory(), handlesSignals: true,
                                  sink: { r in collected.add(r); if collected.all.count == 1 { kill(getpid(), SIGINT) } }).run()
        #expect(summary.interrupted)
        #expect(summary.finished == collected.all.count && summary.finished < 6)
    }

    /// The runner looks a run's problem kind up among the registered ones: a test-only kind
    /// runs through it, and a run of an unknown kind fails (a record, not a crash).
    @Test func runsAreDispatchedToTheirProblemKind() {
        let seen = Collected()
        let toy = ProblemEntry(
            ProblemDecl("toy", doc: "test only", roles: [], metrics: [MetricDecl("m", perView: false, "test")],
                        defaultMetrics: ["m"], views: false),
            run: { spec, _ in
                RunRecord(runId: spec.runId, status: .completed, wallSeconds: 1,
                          attributes: spec.parameters + [("toy_result", .double(Double(spec.seed)))],
                          steps: [0], metrics: [Series(name: "m", values: [Double(spec.seed)])], views: [])
            })
        func spec(_ id: String, _ problem: String) -> RunSpec {
            RunSpec(runId: id, seed: 3, parameters: [("x", .int(1))], swept: [], problem: problem, components: [],
                    run: makeSpec().run, baseDirectory: "", dataDirectory: "")
        }
        let summary = SweepRunner(specs: [spec("a", "toy"), spec("b", "missing")], jobs: 1, quiet: true,
                                  factory: testFactory(), problems: [toy], handlesSignals: false,
                                  sink: { seen.add($0) }).run()
        #expect(summary.counts[.completed] == 1 && summary.counts[.failed] == 1)
        let a = seen.all.first { $0.runId == "a" }!, b = seen.all.first { $0.runId == "b" }!
        #expect(a.attributes.map(\.0) == ["x", "toy_result"])
        #expect(a.metrics == [Series(name: "m", values: [3])])
        #expect(b.status == .failed && b.message.contains("unknown problem kind missing"))
        #expect(b.attributes.map(\.0) == ["x", "seed"])
    }
}
