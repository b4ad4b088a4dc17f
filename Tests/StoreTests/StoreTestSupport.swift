import ExprunCore
import Foundation
@testable import ExprunStore

/// A fresh empty directory under the system temporary directory.
func temporaryDirectory(_ label: String) throws -> String {
    let path = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("exprun-store-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A small deterministic run: log points 0, 10, 20..., metrics that depend on seed and lr.
func sampleRecord(id: String, seed: Int, lr: Double, optimizer: String, points: Int = 8,
                  extra: [(String, Value)] = [], views: Bool = true) -> RunRecord {
    let steps = (0..<points).map { $0 * 10 }
    let loss = steps.map { 1.0 / (1.0 + lr * Double($0)) + Double(seed) * 1e-3 }
    let gradNorm = steps.map { (Double($0) + 1).squareRoot() * lr }
    return RunRecord(
        runId: id, status: .completed, message: "", wallSeconds: 0.25 + Double(seed),
        attributes: [("optimizer.kind", .string(optimizer)), ("optimizer.lr", .double(lr)),
                     ("seed", .int(seed))] + extra,
        steps: steps,
        metrics: [Series(name: "train_loss", values: loss), Series(name: "grad_norm", values: gradNorm)],
        views: views ? [(view: "avg", metrics: [Series(name: "train_loss", values: loss.map { $0 * 0.5 })])] : [])
}

/// The root description used by the tests.
func sampleRoot(columns: [String] = ["seed", "optimizer.kind", "optimizer.lr"]) -> RootInfo {
    RootInfo(experiment: "unit", config: "name: unit\nseeds: 2\n", swept: ["optimizer.kind", "optimizer.lr"],
             indexColumns: columns, exprunVersion: "0.0-test",
             provenance: [("host", .string("test-host")), ("jobs", .int(2))])
}

/// Bitwise equality of two Double arrays (NaN payloads and signed zeros included).
func bitwiseEqual(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// Bitwise equality of Values (doubles by bit pattern, lists elementwise).
func bitwiseEqual(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.double(let x), .double(let y)): return x.bitPattern == y.bitPattern
    case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { bitwiseEqual($0, $1) }
    default: return a == b
    }
}
