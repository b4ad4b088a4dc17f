import ExprunCatalogue
import ExprunConfig
import ExprunCore
import ExprunLoop
import ExprunRunner
import ExprunSpec
import Foundation
import Synchronization
import Testing

/// The run's optimizer (with its schedule) on x in R^3, as both test kinds build it.
private func gradientOptimizer(for spec: RunSpec, _ context: RunContext) throws -> any Optimizer {
    let opt = try spec.required("optimizer"), sched = try spec.required("schedule")
    let schedule = try context.factory.makeSchedule(
        sched, ScheduleContext(baseLR: opt.params.optionalDouble("lr") ?? 1, totalSteps: spec.run.steps))
    let method = try context.factory.makeOptimizer(
        opt, OptimizerContext(dimension: 3, layout: [ParamBlock(name: "x", offset: 0, rows: 3, cols: 1)],
                              schedule: schedule, seed: UInt64(spec.seed)))
    guard let optimizer = method as? any Optimizer else { throw ComponentError("needs a gradient optimizer") }
    return optimizer
}

// A throwaway problem kind that lives in this file only, to prove that a new kind plugs in
// without touching the Spec or the runner: it declares its roles (an optimizer, and a
// schedule reached through the optimizer's `schedule` reference), its one metric and its
// run; the config below is validated, swept and run through the real Spec and SweepRunner.
//
// The problem: f(x) = ½||x||² from x_0 = (1, 1, 1), the catalogue's optimizer stepping on the
// exact gradient x. For SGD with a constant lr, x_t = (1 - lr)^t x_0, so f(x_t) = 3/2 (1 - lr)^{2t}:
// an independent closed form.
let quadraticDescent = ProblemEntry(
    ProblemDecl("quadratic_descent", doc: "test only: an optimizer on ½||x||²",
                roles: [RoleDecl("optimizer", .optimizer),
                        RoleDecl("schedule", .schedule, via: ("optimizer", "schedule"), fallbackKind: "constant")],
                metrics: [MetricDecl("value", perView: false, "½||x||²")], defaultMetrics: ["value"], views: false,
                provides: [.gradient]),
    run: { spec, context in
        let optimizer = try gradientOptimizer(for: spec, context)
        var x = [1.0, 1.0, 1.0], g = [0.0, 0.0, 0.0]
        let logSteps = spec.run.log.logSteps(total: spec.run.steps)
        var values: [Double] = []
        for t in 0...spec.run.steps {
            if logSteps.contains(t) { values.append(0.5 * x.reduce(0) { $0 + $1 * $1 }) }
            guard t < spec.run.steps else { break }
            g = x
            x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { optimizer.step(xb, gradient: $0, t: t) } }
        }
        return RunRecord(runId: spec.runId, status: .completed, wallSeconds: 0,
                         attributes: spec.parameters + [("seed", .int(spec.seed))], steps: logSteps,
                         metrics: [Series(name: "value", values: values)], views: [])
    })

// A second throwaway kind, event-driven: it runs on the generic loop's simulated clock.
// Step t takes (t + 1)/8 units of simulated time (exact in binary), so after t steps the clock
// reads t(t + 1)/16; the kind logs at every whole time unit up to 10 and ends there.
private final class TimedDescentKernel: LoopKernel {
    typealias Needs = NoNeeds
    typealias Quantities = Void
    let iterate = UnsafeMutableBufferPointer<Double>.allocate(capacity: 3)
    let gradient = UnsafeMutableBufferPointer<Double>.allocate(capacity: 3)
    let optimizer: any Optimizer
    init(_ optimizer: any Optimizer) { self.optimizer = optimizer }
    deinit { iterate.deallocate(); gradient.deallocate() }
    var stepSize: Double { optimizer.currentLR }
    var value: Double { 0.5 * iterate.reduce(0) { $0 + $1 * $1 } }
    func start() { iterate.initialize(repeating: 1); gradient.initialize(repeating: 0) }
    func oracle(_ t: Int) -> Double {
        for i in 0..<3 { gradient[i] = iterate[i] }
        return value
    }
    func step(_ t: Int) -> Double {
        optimizer.step(iterate, gradient: gradient, t: t)
        return Double(t + 1) / 8
    }
    func evaluate(_ point: UnsafeBufferPointer<Double>, needs: NoNeeds) {}
}

private let timedMetrics: [LoopMetric<TimedDescentKernel>] = [.state("value", "½||x||²") { k, _ in k.value }]

private let timedDescent = ProblemEntry(
    ProblemDecl("timed_descent", doc: "test only: an optimizer on ½||x||² on a simulated clock",
                roles: [RoleDecl("optimizer", .optimizer),
                        RoleDecl("schedule", .schedule, via: ("optimizer", "schedule"), fallbackKind: "constant")],
                metrics: timedMetrics.map(\.decl), defaultMetrics: ["value"], views: false, provides: [.gradient]),
    run: { spec, context in
        let optimizer = try gradientOptimizer(for: spec, context)
        let kernel = TimedDescentKernel(optimizer)
        let plan = try MetricPlan(names: spec.run.metrics, stop: spec.run.stop, views: [], kind: "timed_descent",
                                  metrics: timedMetrics)
        let settings = LoopSettings(steps: spec.run.steps, clock: .simulated((0...10).map(Double.init)),
                                    divergenceThreshold: spec.run.divergenceThreshold, suffixFraction: 1, emaDecay: 0)
        let out = try RunLoop.run(kernel, plan: plan, settings: settings, control: context.control)
        return RunRecord(runId: spec.runId, status: out.status, message: out.message, wallSeconds: 0,
                         attributes: spec.parameters + [("seed", .int(spec.seed)), ("sim_time_end", .double(out.simTime))],
                         steps: out.steps, metrics: out.metrics, views: out.views)
    })

@Suite struct ProblemKindTests {
    let yaml = """
        name: toy
        run: {steps: 20, log: {every: 5}}
        schedules:
          flat: {kind: constant}
        optimizers:
          plain: {kind: sgd, lr: 0.1}
        sweep:
          optimizer.lr: [0.1, 0.3]
          schedule: [flat]
        """

    @Test func aTestOnlyKindRunsThroughTheSpecAndTheRunner() throws {
        let tree = try ConfigLoader.parse(yaml, file: "toy.yaml")
        let experiment = try ExperimentBuilder.build(tree: tree, configPath: "toy.yaml", dataDirectory: "",
                                                     problems: [quadraticDescent.decl])
        #expect(experiment.problem == "quadratic_descent")
        #expect(experiment.runs.count == 2)
        // The `schedule` axis set the optimizer's reference (the role's declared edge).
        let first = experiment.runs[0]
        #expect(first.component("optimizer")?.params["schedule"] == .string("flat"))
        #expect(first.component("schedule")?.name == "flat")
        #expect(first.parameters.map(\.0).prefix(2) == ["optimizer", "optimizer.kind"])

        let records = Mutex<[RunRecord]>([])
        let summary = SweepRunner(specs: experiment.runs, jobs: 2, quiet: true, problems: [quadraticDescent],
                                  handlesSignals: false, sink: { r in records.withLock { $0.append(r) } }).run()
        #expect(summary.counts[.completed] == 2)
        for r in records.withLock({ $0 }) {
            let lr = try #require(r.attributes.first { $0.0 == "optimizer.lr" }?.1.asDouble)
            let expected = r.steps.map { 1.5 * pow(1 - lr, 2 * Double($0)) }
            let got = r.metrics[0].values
            #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) }, "lr \(lr)")
        }
    }

    @Test func itsRolesAndMetricsAreCheckedLikeTheCatalogues() throws {
        let bad = yaml.replacingOccurrences(of: "schedule: [flat]", with: "schedule: [steep]\n  model: [m]")
        let tree = try ConfigLoader.parse(bad, file: "toy.yaml")
        do {
            _ = try ExperimentBuilder.build(tree: tree, configPath: "toy.yaml", dataDirectory: "",
                                            problems: [quadraticDescent.decl])
            Issue.record("expected errors")
        } catch let list as DiagnosticList {
            let messages = list.items.map(\.message)
            // `model` is not a role of this kind; `steep` is not a defined schedule.
            #expect(messages.contains { $0.contains("unknown sweep axis 'model'") && $0.contains("optimizer, schedule") })
            #expect(messages.contains { $0.contains("'steep' is not defined in schedules") })
        }
        // Its metrics are the only ones its runs accept.
        let wrongMetric = try ConfigLoader.parse(yaml.replacingOccurrences(of: "log: {every: 5}", with: "log: {every: 5}, metrics: [train_loss]"),
                                                 file: "toy.yaml")
        #expect(throws: DiagnosticList.self) {
            try ExperimentBuilder.build(tree: wrongMetric, configPath: "toy.yaml", dataDirectory: "",
                                        problems: [quadraticDescent.decl])
        }
    }

    @Test func aSimulatedClockLogsOnSimulatedTimeAndStoresIt() throws {
        let tree = try ConfigLoader.parse(yaml.replacingOccurrences(of: "steps: 20", with: "steps: 1000"), file: "toy.yaml")
        let experiment = try ExperimentBuilder.build(tree: tree, configPath: "toy.yaml", dataDirectory: "",
                                                     problems: [timedDescent.decl])
        let records = Mutex<[RunRecord]>([])
        let summary = SweepRunner(specs: experiment.runs, jobs: 1, quiet: true, problems: [timedDescent],
                                  handlesSignals: false, sink: { r in records.withLock { $0.append(r) } }).run()
        #expect(summary.counts[.completed] == 2)
        // Log time tau is reached at the first t with t(t + 1)/16 >= tau; times 7 and 8 are
        // both first reached at t = 11 (clock 132/16 = 8.25), which logs once.
        var expectedSteps: [Int] = []
        for tau in 0...10 {
            var t = 0
            while t * (t + 1) < 16 * tau { t += 1 }
            if expectedSteps.last != t { expectedSteps.append(t) }
        }
        #expect(expectedSteps == [0, 4, 6, 7, 8, 9, 10, 11, 12, 13])
        for r in records.withLock({ $0 }) {
            #expect(r.steps == expectedSteps, "the run ends at the horizon (time 10), not after 1000 steps")
            let lr = try #require(r.attributes.first { $0.0 == "optimizer.lr" }?.1.asDouble)
            let value = try #require(r.metrics.first { $0.name == "value" }).values
            let simTime = try #require(r.metrics.first { $0.name == "sim_time" }).values
            #expect(simTime == expectedSteps.map { Double($0 * ($0 + 1)) / 16 })
            let expected = expectedSteps.map { 1.5 * pow(1 - lr, 2 * Double($0)) }
            #expect(zip(value, expected).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) }, "lr \(lr)")
            #expect(r.attributes.contains { $0.0 == "sim_time_end" && $0.1 == .double(182.0 / 16) })
        }
    }
}
