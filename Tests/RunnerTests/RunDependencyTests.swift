import ExprunCatalogue
import ExprunConfig
import ExprunCore
import ExprunRunner
import ExprunSpec
import ExprunStore
import Foundation
import Synchronization
import Testing

// Run-to-run dependencies through the real Spec and SweepRunner, with a test-only schedule
// whose constant lr is the final value of a metric of its one upstream run, on the test-only
// problem kind `quadraticDescent` (ProblemKindTests.swift): f(x_T) = 3/2 (1 - lr)^{2T} for a
// constant lr, so a chain flat -> second -> third has the closed form
// v1 = f(0.1 or 0.3), v2 = 3/2 (1 - v1)^{2T}, v3 = 3/2 (1 - v2)^{2T}.

/// Test only: lr_t = the last value of `metric` of the one upstream run of selection `from`.
let upstreamFinalDecl = ComponentDecl(
    .schedule, "upstream_final", doc: "test only: the final value of an upstream run's metric, as a constant lr",
    params: [ParamDecl("from", .selection, required: true, doc: "the selection of the upstream run"),
             ParamDecl("metric", .string, default: .string("value"), doc: "the upstream metric read")])

struct ConstantLR: Schedule {
    let value: Double
    func lr(at t: Int) -> Double { value }
}

/// The catalogue's factory, plus `upstream_final`.
let dependencyFactory: ComponentFactory = {
    var factory = ComponentFactory.catalogue
    let base = factory.makeSchedule
    factory.makeSchedule = { instance, context in
        guard instance.params.kind == "upstream_final" else { return try base(instance, context) }
        let selection = instance.params["from"]!.asString!, metric = instance.params["metric"]!.asString!
        let records = context.upstream[selection] ?? []
        guard records.count == 1, let last = records[0].metrics.first(where: { $0.name == metric })?.values.last else {
            throw ComponentError("upstream_final needs one upstream run with \(metric); got \(records.count)")
        }
        return ConstantLR(value: last)
    }
    return factory
}()

let chainYAML = """
    name: chain
    run: {steps: 10, log: {every: 5}}
    seeds: 2
    schedules:
      flat: {kind: constant}
      second: {kind: upstream_final, from: first_pass}
      third: {kind: upstream_final, from: second_pass}
    optimizers:
      plain: {kind: sgd, lr: 0.1}
    selections:
      first_pass: {schedule: flat}
      second_pass: {schedule: second}
    sweep:
      optimizer.lr: [0.1, 0.3]
      schedule: [third, second, flat]
    """

func buildChain(_ yaml: String = chainYAML) throws -> Experiment {
    try ExperimentBuilder.build(tree: ConfigLoader.parse(yaml, file: "chain.yaml"), configPath: "chain.yaml",
                                dataDirectory: "", problems: [quadraticDescent.decl], components: [upstreamFinalDecl])
}

func runChain(_ specs: [RunSpec], jobs: Int, upstream: @escaping @Sendable (String) -> RunRecord? = { _ in nil },
              sink: (@Sendable (RunRecord) throws -> Void)? = nil) -> (SweepSummary, [String: RunRecord]) {
    let records = Mutex<[String: RunRecord]>([:])
    let summary = SweepRunner(specs: specs, jobs: jobs, quiet: true, factory: dependencyFactory, problems: [quadraticDescent],
                              handlesSignals: false, upstreamRecord: upstream,
                              sink: { r in try sink?(r); records.withLock { $0[r.runId] = r } }).run()
    return (summary, records.withLock { $0 })
}

func f(_ lr: Double, steps: Int = 10) -> Double { 1.5 * pow(1 - lr, 2 * Double(steps)) }

@Suite struct RunDependencyTests {
    @Test func aChainOfRunsMatchesTheClosedFormForAnyJobs() throws {
        let experiment = try buildChain()
        #expect(experiment.runs.count == 12)
        let byCell = Dictionary(uniqueKeysWithValues: experiment.runs.map { r in
            ("\(r.component("schedule")!.name) \(r.component("optimizer")!.params["lr"]!.asDouble!) \(r.seed)", r)
        })
        // Each downstream run takes input from the run of the same lr and seed one step up the chain.
        for lr in [0.1, 0.3] {
            for seed in 0..<2 {
                let flat = byCell["flat \(lr) \(seed)"]!, second = byCell["second \(lr) \(seed)"]!, third = byCell["third \(lr) \(seed)"]!
                #expect(flat.upstream.isEmpty)
                #expect(second.upstream == ["first_pass": [flat.runId]])
                #expect(third.upstream == ["second_pass": [second.runId]])
            }
        }
        // Downstream runs come first in grid order: the ready queue runs them after their inputs.
        let (one, records) = runChain(experiment.runs, jobs: 1)
        #expect(one.counts[.completed] == 12)
        for r in experiment.runs {
            let record = try #require(records[r.runId])
            let lr = r.component("optimizer")!.params["lr"]!.asDouble!
            let expected: Double
            switch r.component("schedule")!.name {
            case "flat": expected = f(lr)
            case "second": expected = f(f(lr))
            default: expected = f(f(f(lr)))
            }
            let got = try #require(record.metrics[0].values.last)
            #expect(abs(got - expected) <= 1e-12 * expected, "\(r.component("schedule")!.name) lr \(lr): \(got) vs \(expected)")
            let inputs = record.attributes.first { $0.0 == "inputs" }?.1
            #expect(inputs == (r.inputs.isEmpty ? nil : .list(r.inputs.map(Value.string))))
        }
        // Bit-identical for any number of workers.
        let (two, again) = runChain(experiment.runs, jobs: 2)
        #expect(two.counts[.completed] == 12)
        for (id, r) in records {
            #expect(again[id]!.metrics == r.metrics)
            #expect(again[id]!.attributes.map(\.0) == r.attributes.map(\.0))
            #expect(again[id]!.attributes.map(\.1) == r.attributes.map(\.1))
        }
    }

    @Test func aRunIdHashesTheIdsOfItsUpstreamRuns() throws {
        let a = try buildChain()
        // Only the upstream run's schedule differs: the downstream run's own parameters are the same.
        let b = try buildChain(chainYAML.replacingOccurrences(of: "flat: {kind: constant}", with: "flat: {kind: inverse_sqrt}"))
        func second(_ e: Experiment) -> RunSpec { e.runs.first { $0.component("schedule")!.name == "second" }! }
        func flat(_ e: Experiment) -> RunSpec { e.runs.first { $0.component("schedule")!.name == "flat" }! }
        #expect(second(a).parameters.map(\.1) == second(b).parameters.map(\.1))
        #expect(flat(a).runId != flat(b).runId)
        #expect(second(a).runId != second(b).runId)
        // Downstream of the changed one too, two steps away.
        #expect(a.runs.last { $0.component("schedule")!.name == "third" }!.runId
                != b.runs.last { $0.component("schedule")!.name == "third" }!.runId)
    }

    @Test func aShardHoldsWholeDependencyClosures() throws {
        let runs = try buildChain().runs
        var union: [String] = []
        for i in 0..<3 {
            let slice = ShardPlan.runs(runs, shard: i, of: 3)
            let ids = Set(slice.map(\.runId))
            for r in slice { #expect(r.inputs.allSatisfy(ids.contains), "shard \(i) lacks an input of \(r.runId)") }
            union += slice.map(\.runId)
        }
        #expect(union.sorted() == runs.map(\.runId).sorted())
        // Without dependencies, run k goes to task k mod N (the slices of earlier versions).
        let plainYAML = """
            run: {steps: 10}
            seeds: 2
            optimizers:
              plain: {kind: sgd, lr: 0.1}
            sweep:
              optimizer.lr: [0.1, 0.2, 0.3, 0.4]
            """
        let plain = try buildChain(plainYAML).runs
        #expect(plain.count == 8)
        #expect(ShardPlan.runs(plain, shard: 1, of: 3).map(\.runId)
                == plain.enumerated().filter { $0.offset % 3 == 1 }.map(\.element.runId))
    }

    @Test func aResumedSweepReadsUpstreamShardsAndGivesTheSameResults() throws {
        let experiment = try buildChain()
        let (_, reference) = runChain(experiment.runs, jobs: 2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exprun-dag-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // First invocation: only the first pass (as after a Ctrl-C); then the rest, reading it back.
        let first = experiment.runs.filter { $0.upstream.isEmpty }
        _ = runChain(first, jobs: 2, sink: { try Store.writeShard($0, directory: dir) })
        let rest = experiment.runs.filter { !$0.upstream.isEmpty }
        let (summary, resumed) = runChain(rest, jobs: 2, upstream: { Store.readShard(runId: $0, directory: dir) },
                                          sink: { try Store.writeShard($0, directory: dir) })
        #expect(summary.counts[.completed] == rest.count)
        for r in rest { #expect(resumed[r.runId]!.metrics == reference[r.runId]!.metrics) }
        // A run whose upstream run has no result is recorded as failed, not run.
        let (orphan, records) = runChain(rest.filter { $0.upstream["second_pass"] != nil }, jobs: 1)
        #expect(orphan.counts[.failed] == 4)
        #expect(records.values.allSatisfy { $0.message.contains("has no result") })
    }

    @Test func aFailedUpstreamRunFailsItsDownstreamRunsWithoutRunningThem() throws {
        // `metric: missing` makes the second pass fail (its upstream run has no such series), so
        // the third is not run but recorded as failed, naming the failed upstream run.
        let yaml = chainYAML.replacingOccurrences(of: "from: first_pass}", with: "from: first_pass, metric: missing}")
        let (summary, records) = runChain(try buildChain(yaml).runs, jobs: 2)
        #expect(summary.counts[.completed] == 4 && summary.counts[.failed] == 8)
        #expect(records.values.filter { $0.message.contains("upstream run") && $0.message.contains("failed") }.count == 4)
    }

    @Test func theStochasticKindsSchedulesGetTheirUpstreamRecordsThroughTheFactory() throws {
        // The shipped driver builds its schedule with the run's factory, which carries the
        // upstream records: the second pass's lr is the first pass's final train_loss.
        let yaml = """
            run: {steps: 50, batch_size: 8, log: {every: 10}, metrics: [train_loss, lr]}
            datasets:
              d1: {kind: synthetic_regression, n: 64, dim: 3}
            models:
              m1: {kind: least_squares, dataset: d1, l2: 0.1}
            schedules:
              flat: {kind: constant}
              second: {kind: upstream_final, from: first_pass, metric: train_loss}
            optimizers:
              plain: {kind: sgd, lr: 0.05}
            selections:
              first_pass: {schedule: flat}
            sweep:
              schedule: [second, flat]
            """
        let experiment = try ExperimentBuilder.build(tree: ConfigLoader.parse(yaml, file: "s.yaml"), configPath: "s.yaml",
                                                     dataDirectory: "", components: [upstreamFinalDecl])
        let records = Mutex<[String: RunRecord]>([:])
        let summary = SweepRunner(specs: experiment.runs, jobs: 2, quiet: true, factory: dependencyFactory, handlesSignals: false,
                                  sink: { r in records.withLock { $0[r.runId] = r } }).run()
        #expect(summary.counts[.completed] == 2)
        let all = records.withLock { $0 }
        let second = try #require(experiment.runs.first { !$0.upstream.isEmpty })
        let first = try #require(all[second.upstream["first_pass"]![0]])
        let finalLoss = try #require(first.metrics.first { $0.name == "train_loss" }?.values.last)
        let lr = try #require(all[second.runId]?.metrics.first { $0.name == "lr" }?.values)
        #expect(lr.dropFirst().allSatisfy { $0 == finalLoss }, "\(lr) vs \(finalLoss)")
    }
}
