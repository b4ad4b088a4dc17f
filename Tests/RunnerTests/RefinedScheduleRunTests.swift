import ExprunCatalogue
import ExprunConfig
import ExprunCore
import ExprunOptim
import ExprunRunner
import ExprunSpec
import Foundation
import Synchronization
import Testing

// The shipped `refined` schedule through the real Spec and SweepRunner (catalogue factory): a
// first pass with linear decay over two step sizes per optimizer, and second passes refined
// from the better of the two (per optimizer and seed); the run order, which upstream run is
// refined and which norm each variant reads; and the located config errors. The refinement's
// numbers are checked against scipy and numpy in tests/python/test_refined_schedule.py.

/// Lines 1-16 fixed; the rest (selections and sweep) is the test's.
private func refineConfig(_ rest: String, metrics: String = "[train_loss, batch_grad_norm, batch_grad_norm_l1, lr]") -> String {
    """
    name: refine
    seeds: 2
    run: {steps: 60, batch_size: 8, log: {every: 1}, metrics: \(metrics)}
    datasets:
      d1: {kind: synthetic_classification, n: 200, dim: 5}
    models:
      m1: {kind: logistic, dataset: d1, l2: 0.01}
    optimizers:
      sgd: {kind: sgd, lr: 0.5}
      adam: {kind: adam, lr: 0.01}
    schedules:
      linear: {kind: linear_decay}
      refined: {kind: refined, from: first_pass, points: 200}
      refined_adam: {kind: refined, from: first_pass, variant: adam, points: 200}

    """ + rest
}

private let twoPasses = """
    selections:
      first_pass: {schedule: linear, same: [seed, optimizer]}
    sweep:
      optimizer: [sgd, adam]
      optimizer.lr: [0.05, 0.5]
      schedule: [refined, refined_adam, linear]
    """

private func buildRefine(_ yaml: String) throws -> Experiment {
    try ExperimentBuilder.build(tree: ConfigLoader.parse(yaml, file: "refine.yaml"), configPath: "refine.yaml", dataDirectory: "")
}

private func configProblems(_ yaml: String) -> [Diagnostic] {
    do {
        _ = try buildRefine(yaml)
        Issue.record("config was accepted but should have been rejected")
    } catch let list as DiagnosticList {
        return list.items
    } catch {
        Issue.record("unexpected error \(error)")
    }
    return []
}

private func at(_ d: Diagnostic?) -> String { d?.location.map { "\($0.line):\($0.column)" } ?? "none" }

@Suite struct RefinedScheduleRunTests {
    @Test func theSecondPassRefinesTheBestFirstPassRunOfItsOptimizerAndSeedAfterItFinished() throws {
        let experiment = try buildRefine(refineConfig(twoPasses))
        #expect(experiment.runs.count == 24)
        let byId = Dictionary(uniqueKeysWithValues: experiment.runs.map { ($0.runId, $0) })
        let order = Mutex<[String]>([]), records = Mutex<[String: RunRecord]>([:])
        let summary = SweepRunner(specs: experiment.runs, jobs: 2, quiet: true, handlesSignals: false, sink: { r in
            order.withLock { $0.append(r.runId) }
            records.withLock { $0[r.runId] = r }
        }).run()
        #expect(summary.counts[.completed] == 24)
        let finished = order.withLock { $0 }, all = records.withLock { $0 }
        func name(_ r: RunSpec, _ role: String) -> String { r.component(role)!.name }
        func final(_ id: String) -> Double { all[id]!.metrics.first { $0.name == "train_loss" }!.values.last! }

        for r in experiment.runs where name(r, "schedule") != "linear" {
            // Its upstream runs: the two first-pass runs of its optimizer and seed, both finished before it.
            let up = try #require(r.upstream["first_pass"])
            #expect(up.count == 2)
            #expect(up.allSatisfy { name(byId[$0]!, "schedule") == "linear" && name(byId[$0]!, "optimizer") == name(r, "optimizer")
                                    && byId[$0]!.seed == r.seed })
            let mine = finished.firstIndex(of: r.runId)!
            #expect(up.allSatisfy { finished.firstIndex(of: $0)! < mine })

            // The refined one is the first pass with the lower final train_loss; the variant picks the norm.
            let best = up.min { final($0) < final($1) }!, other = up.first { $0 != best }!
            let adam = name(r, "schedule") == "refined_adam"
            func expected(_ id: String) -> RefinedSchedule {
                let rec = all[id]!
                let series = rec.metrics.first { $0.name == (adam ? "batch_grad_norm_l1" : "batch_grad_norm") }!
                let steps = Array(rec.steps.dropFirst()), last = Double(rec.steps.last! - 1)
                let s = ScheduleRefinement.refine(positions: steps.map { Double($0 - 1) / last }, norms: Array(series.values.dropFirst()),
                                                  points: 200, filterFraction: 0.1, power: adam ? 1 : 2).schedule
                return RefinedSchedule(base: r.component("optimizer")!.params["lr"]!.asDouble!, totalSteps: 60, multipliers: s)
            }
            // The `lr` recorded at log step s is the lr of step s - 1.
            let lr = Array(all[r.runId]!.metrics.first { $0.name == "lr" }!.values.dropFirst())
            #expect(lr == (0..<60).map { expected(best).lr(at: $0) }, "\(r.runId)")
            #expect(lr != (0..<60).map { expected(other).lr(at: $0) }, "the two first passes must give different schedules")
            #expect(lr.last == 0 && lr.allSatisfy { $0 >= 0 })
        }
    }

    @Test func aFirstPassWithoutTheNormsFailsItsRefinedRunsNamingTheMetric() throws {
        let experiment = try buildRefine(refineConfig(twoPasses, metrics: "[train_loss, lr]"))
        let records = Mutex<[RunRecord]>([])
        let summary = SweepRunner(specs: experiment.runs, jobs: 1, quiet: true, handlesSignals: false,
                                  sink: { r in records.withLock { $0.append(r) } }).run()
        #expect(summary.counts[.completed] == 8 && summary.counts[.failed] == 16)
        let failed = records.withLock { $0 }.filter { $0.status == .failed }
        #expect(failed.allSatisfy { $0.message.contains("recorded no batch_grad_norm") })
    }

    @Test func aRefinedRunInsideItsOwnSelectionIsACycleAtItsFromParameter() {
        let p = configProblems(refineConfig("""
            selections:
              first_pass: {schedule: [linear, refined]}
            sweep:
              optimizer: [sgd]
              schedule: [linear, refined]
            """))
        #expect(p.count == 1)
        #expect(at(p.first) == "13:34")
        #expect(p.first?.message.contains("in a cycle") == true)
        #expect(p.first?.message.contains("schedule refined, seed 0 takes input from selection 'first_pass', which holds that run itself") == true)
    }

    @Test func anUndefinedOrEmptySelectionIsALocatedError() {
        let undefined = configProblems(refineConfig("""
            selections:
              frist_pass: {schedule: linear}
            sweep:
              optimizer: [sgd]
              schedule: [linear, refined]
            """))
        // `refined` and `refined_adam` both name `first_pass`, which is not defined.
        #expect(undefined.map(at) == ["13:34", "14:39"])
        #expect(undefined.first?.message.contains("from 'first_pass' is not defined in selections") == true)
        #expect(undefined.first?.suggestion == "frist_pass")
        let empty = configProblems(refineConfig("""
            selections:
              first_pass: {schedule: linear, seed: 0, same: [seed]}
            sweep:
              optimizer: [sgd]
              schedule: [linear, refined]
            """))
        #expect(empty.count == 1)
        #expect(at(empty.first) == "13:34")
        #expect(empty.first?.message.contains("selection 'first_pass' has no run for the run with optimizer sgd, schedule refined, seed 1") == true)
    }
}
