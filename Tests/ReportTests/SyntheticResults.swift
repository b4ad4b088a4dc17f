import Foundation
import ExprunCore
import ExprunStore

/// A results.h5 written through the real Store from hand-made curves, for the report tests.
/// Cells: model in {a, b} x optimizer.lr in {0.01, 0.1, 1}, seeds 0..3; views last and avg.
/// Curves are c * (step+1)^-p with a seed-dependent c, so statistics differ per cell.
/// Run (b, 1, seed 3) diverged; run (a, 1, seed 0) diverged.
struct SyntheticResults {
    let directory: String
    let path: String
    static let steps = [0, 1, 10, 100, 1000]
    static let lrs = [0.01, 0.1, 1.0]

    /// The hand-made curve of one run.
    static func curve(model: String, lr: Double, seed: Int) -> [Double] {
        let base = model == "a" ? 1.0 : 3.0
        // lr 0.1 is best for a, 1 for b (smallest final value); seeds scatter the constant.
        let rate: Double = model == "a" ? (lr == 0.1 ? 0.8 : 0.5) : (lr == 1 ? 0.9 : (lr == 0.1 ? 0.6 : 0.3))
        let c = base * (1 + 0.1 * Double(seed) + 0.05 * Double(seed * seed))
        return steps.map { c * pow(Double($0 + 1), -rate) }
    }

    static func diverged(model: String, lr: Double, seed: Int) -> Bool {
        (model == "b" && lr == 1 && seed == 3) || (model == "a" && lr == 1 && seed == 0)
    }

    /// `lrs`: the swept step sizes (default `SyntheticResults.lrs`).
    init(name: String = "synthetic", lrs: [Double] = SyntheticResults.lrs) throws {
        directory = NSTemporaryDirectory() + "exprun-report-\(name)-\(UUID().uuidString)"
        path = directory + "/results.h5"
        let shards = directory + "/shards"
        try FileManager.default.createDirectory(atPath: shards, withIntermediateDirectories: true)
        var order: [String] = []
        for model in ["a", "b"] {
            for lr in lrs {
                for seed in 0..<4 {
                    let id = "\(model)-\(lr)-\(seed)"
                    order.append(id)
                    var y = Self.curve(model: model, lr: lr, seed: seed)
                    var steps = Self.steps
                    let bad = Self.diverged(model: model, lr: lr, seed: seed)
                    if bad { y = [y[0], y[1], .infinity]; steps = Array(steps.prefix(3)) }
                    let avg = y.map { $0 * 0.5 }
                    let evals = steps.map { Double($0 * 8) }
                    let record = RunRecord(
                        runId: id, status: bad ? .diverged : .completed, divergedStep: bad ? 10 : nil,
                        wallSeconds: 2.0,
                        attributes: [("model", .string(model)), ("optimizer.lr", .double(lr)), ("seed", .int(seed))],
                        steps: steps,
                        metrics: [Series(name: "loss", values: y), Series(name: "grad_evals", values: evals),
                                  Series(name: "accuracy", values: y.map { 1 / (1 + $0) })],
                        views: [(view: "avg", metrics: [Series(name: "loss", values: avg)])])
                    try Store.writeShard(record, directory: shards)
                }
            }
        }
        let root = RootInfo(experiment: name, config: "name: \(name)\n", swept: ["model", "optimizer.lr"],
                            indexColumns: ["seed", "model", "optimizer.lr"], exprunVersion: "test",
                            provenance: [("summary_metric", .string("loss"))])
        try Store.merge(shardDirectory: shards, runOrder: order, root: root, into: path)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

