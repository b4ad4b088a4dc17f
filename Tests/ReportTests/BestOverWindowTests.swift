import Foundation
import Testing
import ExprunCore
import ExprunStore
@testable import ExprunReport

/// With `zip`, each method has its own window of step sizes; a winner at the end of its own
/// window is on the edge even when the value lies inside the sweep-wide range.
@Test func edgeIsJudgedOnEachMethodsOwnWindow() throws {
    let directory = NSTemporaryDirectory() + "exprun-window-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let shards = directory + "/shards"
    try FileManager.default.createDirectory(atPath: shards, withIntermediateDirectories: true)
    // Method a tries 0.001, 0.01, 0.1 and is best at 0.1 (its window's top); method b tries
    // 0.1, 1, 10 and is best at 1 (inside). The final loss is |log10(lr) - log10(best)| + 1.
    let windows: [(String, [Double], Double)] = [("a", [0.001, 0.01, 0.1], 0.1), ("b", [0.1, 1, 10], 1)]
    var order: [String] = []
    for (method, lrs, best) in windows {
        for lr in lrs {
            for seed in 0..<2 {
                let id = "\(method)-\(lr)-\(seed)"
                order.append(id)
                let final = abs(log10(lr) - log10(best)) + 1 + 0.01 * Double(seed)
                try Store.writeShard(RunRecord(
                    runId: id, status: .completed, wallSeconds: 1,
                    attributes: [("optimizer", .string(method)), ("optimizer.lr", .double(lr)), ("seed", .int(seed))],
                    steps: [0, 10], metrics: [Series(name: "loss", values: [5, final])], views: []),
                    directory: shards)
            }
        }
    }
    let path = directory + "/results.h5"
    try Store.merge(shardDirectory: shards, runOrder: order,
                    root: RootInfo(experiment: "window", config: "", swept: ["optimizer", "optimizer.lr"],
                                   indexColumns: ["seed", "optimizer", "optimizer.lr"], exprunVersion: "test", provenance: []),
                    into: path)
    let file = try ResultsFile(path: path)
    let tuned = try TunedComparison.make(file: file, cells: CellIndex.make(file: file), metric: "loss",
                                         tuned: ["optimizer.lr"], minimize: true, views: ["last"])
    let a = try #require(tuned.rows.first { $0.group[0].1 == "a" })
    let b = try #require(tuned.rows.first { $0.group[0].1 == "b" })
    #expect(a.winner.map(\.1) == ["0.1"] && a.edge == ["optimizer.lr"])   // top of a's own window
    #expect(b.winner.map(\.1) == ["1"] && b.edge.isEmpty)
}
