import ExprunCatalogue
import ExprunConfig
import ExprunCore
import ExprunRunner
import ExprunSpec
import Foundation
import Synchronization
import Testing

// A batch-size rule through the real Spec and runner: `batch_scaled` wraps a named cosine
// schedule, the sweep zips the batch size with the steps (4 epochs each), and every run's
// recorded lr is (B / B_0)^p times the cosine over its own steps, in closed form. The Spec
// records the wrapped schedule's parameters (so they enter the run id).

private let scaledYAML = """
    name: scaled
    run: {steps: 10, batch_size: 4, log: {every: 1}, metrics: [train_loss, lr]}
    datasets:
      d1: {kind: synthetic_regression, n: 64, dim: 3}
    models:
      m1: {kind: least_squares, dataset: d1}
    schedules:
      cos: {kind: cosine, eta_min: 0.0}
      scaled: {kind: batch_scaled, rule: sqrt, base_batch_size: 4, schedule: cos}
      plain: {kind: batch_scaled, rule: linear, base_batch_size: 16}
    optimizers:
      sgd: {kind: sgd, lr: 0.01, schedule: scaled}
    sweep:
      schedule: [scaled, plain]
      zip: {run.batch_size: [4, 16, 64, full], run.steps: [64, 16, 4, 4]}
    """

@Suite struct BatchScaledRunTests {
    @Test func everyRunsLrIsTheRulesFactorTimesItsShape() throws {
        let experiment = try ExperimentBuilder.build(tree: ConfigLoader.parse(scaledYAML, file: "s.yaml"), configPath: "s.yaml",
                                                     dataDirectory: "")
        #expect(experiment.runs.count == 8)
        let scaled = try #require(experiment.runs.first { $0.component("schedule")!.name == "scaled" })
        #expect(scaled.parameters.contains { $0.0 == "schedule.parts.cos.kind" && $0.1 == .string("cosine") })
        let records = Mutex<[String: RunRecord]>([:])
        let summary = SweepRunner(specs: experiment.runs, jobs: 2, quiet: true, handlesSignals: false,
                                  sink: { r in records.withLock { $0[r.runId] = r } }).run()
        #expect(summary.counts[.completed] == 8)
        for r in experiment.runs {
            let batch = r.run.batchSize ?? 64, steps = r.run.steps
            let lr = Array(records.withLock { $0[r.runId]! }.metrics.first { $0.name == "lr" }!.values.dropFirst())
            #expect(lr.count == steps)
            for t in 0..<steps {
                let expected: Double
                if r.component("schedule")!.name == "scaled" {
                    expected = (Double(batch) / 4).squareRoot() * 0.01 * (1 + cos(Double.pi * Double(t) / Double(steps))) / 2
                } else {
                    expected = Double(batch) / 16 * 0.01
                }
                #expect(abs(lr[t] - expected) <= 1e-15 * max(expected, 1e-300) + 1e-18, "B=\(batch) t=\(t): \(lr[t]) vs \(expected)")
            }
        }
    }
}
