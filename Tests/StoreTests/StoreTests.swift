import CHDF5
import ExprunCore
import Foundation
import Testing
@testable import ExprunStore

@Suite struct RoundTripTests {
    /// Every Value kind, with the edge values that a lossy encoding would change.
    static let everyKind: [(String, Value)] = [
        ("model.kind", .string("least_squares")),
        ("dataset.name", .string("données-µ ✓")),
        ("empty", .string("")),
        ("dataset.n", .int(5000)),
        ("big", .int(Int.max)),
        ("small", .int(Int.min)),
        ("optimizer.lr", .double(0.1)),
        ("tiny", .double(.leastNonzeroMagnitude)),
        ("negative_zero", .double(-0.0)),
        ("infinite", .double(-.infinity)),
        ("not_a_number", .double(.nan)),
        ("averaged", .bool(true)),
        ("nesterov", .bool(false)),
        ("betas", .list([.double(0.9), .double(0.999)])),
        ("milestones", .list([.int(100), .int(-200)])),
        ("flags", .list([.bool(true), .bool(false), .bool(true)])),
        ("names", .list([.string("a"), .string("β")])),
        ("single", .list([.int(7)])),
        ("none", .list([])),
    ]

    @Test func recordSurvivesShardMergeAndReadBitIdentical() throws {
        let directory = try temporaryDirectory("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let steps = [0, 1, 2, 5, 10, 100, 1000]
        let values: [Double] = [1.0, 0.1, -0.0, .nan, .infinity, .leastNonzeroMagnitude, 0.30000000000000004]
        let record = RunRecord(
            runId: "r0123abcd", status: .diverged, message: "NaN in grad_norm at step 1000",
            divergedStep: 1000, stoppedStep: nil, wallSeconds: 1.5e-3, attributes: Self.everyKind,
            steps: steps,
            metrics: [Series(name: "train_loss", values: values), Series(name: "lr", values: values.reversed())],
            views: [(view: "suffix_avg", metrics: [Series(name: "train_loss", values: values.map { $0 * 2 })]),
                    (view: "avg", metrics: [Series(name: "grad_norm", values: values.map { -$0 })])])
        try Store.writeShard(record, directory: directory + "/shards")
        let resultsPath = directory + "/results.h5"
        let merged = try Store.merge(shardDirectory: directory + "/shards", runOrder: ["missing", "r0123abcd"],
                                     root: sampleRoot(columns: ["seed", "model.kind", "betas"]), into: resultsPath)
        #expect(merged == ["r0123abcd"])

        for path in [resultsPath, Store.shardPath(runId: "r0123abcd", directory: directory + "/shards")] {
            let file = try ResultsFile(path: path)
            #expect(file.runIds == ["r0123abcd"])
            let attributes = file.attributes("r0123abcd")
            let expected = Self.everyKind + [("status", .string("diverged")),
                                             ("message", .string("NaN in grad_norm at step 1000")),
                                             ("wall_seconds", .double(1.5e-3)), ("diverged_step", .int(1000))]
            #expect(attributes.map(\.0) == expected.map(\.0))
            for ((name, got), (_, want)) in zip(attributes, expected) {
                #expect(bitwiseEqual(got, want), "\(name): \(got) != \(want)")
            }
            #expect(file.status("r0123abcd") == "diverged")
            #expect(file.steps("r0123abcd") == steps)
            #expect(file.metricNames("r0123abcd") == ["train_loss", "lr"])
            #expect(file.viewNames("r0123abcd") == ["suffix_avg", "avg"])
            #expect(file.metricNames("r0123abcd", view: "avg") == ["grad_norm"])
            #expect(bitwiseEqual(try #require(file.series("r0123abcd", metric: "train_loss")), values))
            #expect(bitwiseEqual(try #require(file.series("r0123abcd", metric: "lr")), values.reversed()))
            #expect(bitwiseEqual(try #require(file.series("r0123abcd", metric: "train_loss", view: "suffix_avg")),
                                 values.map { $0 * 2 }))
            #expect(file.series("r0123abcd", metric: "grad_norm") == nil)
            #expect(file.series("r0123abcd", metric: "train_loss", view: "ema") == nil)
            #expect(file.series("nope", metric: "train_loss") == nil)
            #expect(file.steps("nope") == [])
        }

        let results = try ResultsFile(path: resultsPath)
        #expect(results.experiment == "unit")
        #expect(results.config == "name: unit\nseeds: 2\n")
        #expect(results.swept == ["optimizer.kind", "optimizer.lr"])
        #expect(results.rootAttributes.map(\.0) ==
                ["format", "exprun_version", "experiment", "config", "created_utc", "swept", "host", "jobs"])
        let root = Dictionary(uniqueKeysWithValues: results.rootAttributes)
        #expect(root["format"] == .string("exprun-results/1"))
        #expect(root["jobs"] == .int(2))
        let created = try #require(root["created_utc"]?.asString)
        #expect(ISO8601DateFormatter().date(from: created) != nil)
        // Index: seed is absent from every run (an all-missing column is text ""), a list is its text.
        #expect(results.indexColumns.map(\.name) == ["run_id", "status", "seed", "model.kind", "betas"])
        #expect(results.indexColumns.map(\.values) ==
                [[.string("r0123abcd")], [.string("diverged")], [.string("")], [.string("least_squares")],
                 [.string("[0.9,0.999]")]])
    }

    @Test func emptySeriesAndNoViewsRoundTrip() throws {
        let directory = try temporaryDirectory("empty")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let record = RunRecord(runId: "failed1", status: .failed, message: "factory threw", wallSeconds: 0,
                               attributes: [], steps: [], metrics: [Series(name: "train_loss", values: [])], views: [])
        try Store.writeShard(record, directory: directory)
        let file = try ResultsFile(path: Store.shardPath(runId: "failed1", directory: directory))
        #expect(file.steps("failed1") == [])
        #expect(file.series("failed1", metric: "train_loss") == [])
        #expect(file.status("failed1") == "failed")
        #expect(file.viewNames("failed1") == [])
    }

    @Test func inconsistentRecordsAreRejectedAndLeaveNoFile() throws {
        let directory = try temporaryDirectory("reject")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var short = sampleRecord(id: "short", seed: 0, lr: 0.1, optimizer: "sgd")
        short.metrics[0].values.removeLast()
        #expect(throws: StoreError.self) { try Store.writeShard(short, directory: directory) }
        var clash = sampleRecord(id: "clash", seed: 0, lr: 0.1, optimizer: "sgd")
        clash.attributes.append(("status", .string("completed")))
        #expect(throws: StoreError.self) { try Store.writeShard(clash, directory: directory) }
        let slash = sampleRecord(id: "a/b", seed: 0, lr: 0.1, optimizer: "sgd")
        #expect(throws: StoreError.self) { try Store.writeShard(slash, directory: directory) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [])
    }

    @Test func unreadableFilesGiveAnErrorWithAMessage() throws {
        let directory = try temporaryDirectory("unreadable")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/results.h5"
        try Data("not an HDF5 file".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ResultsFile(path: path)
            Issue.record("opening a text file as results should throw")
        } catch let error as StoreError {
            #expect(error.message.contains(path))
            #expect(error.message.count > path.count + 20)  // carries HDF5's reason, not just the path
        }
        #expect(throws: StoreError.self) { try ResultsFile(path: directory + "/absent.h5") }
    }
}

@Suite struct ShardTests {
    @Test func completedShardIdsSkipsAndDeletesBrokenAndStaleFiles() throws {
        let directory = try temporaryDirectory("shards")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(Store.completedShardIds(directory: directory + "/absent") == [])
        for (index, id) in ["a1", "b2", "c3"].enumerated() {
            try Store.writeShard(sampleRecord(id: id, seed: index, lr: 0.1, optimizer: "sgd"), directory: directory)
        }
        let manager = FileManager.default
        // A truncated shard (what a copy interrupted half way leaves): must not count.
        let whole = try Data(contentsOf: URL(fileURLWithPath: Store.shardPath(runId: "c3", directory: directory)))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: Store.shardPath(runId: "c3", directory: directory)))
        // A valid HDF5 file under a shard name that holds another run: must not count.
        try manager.copyItem(atPath: Store.shardPath(runId: "a1", directory: directory),
                             toPath: Store.shardPath(runId: "d4", directory: directory))
        // A temporary file of a writer killed long ago (dead pid, old), and one being written now.
        let stale = directory + "/.tmp-e5-999999999.h5"
        let live = directory + "/.tmp-f6-\(ProcessInfo.processInfo.processIdentifier).h5"
        try whole.write(to: URL(fileURLWithPath: stale))
        try manager.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -30)], ofItemAtPath: stale)
        try whole.prefix(100).write(to: URL(fileURLWithPath: live))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: directory + "/README.txt"))

        #expect(Store.completedShardIds(directory: directory) == ["a1", "b2"])
        let left = Set(try manager.contentsOfDirectory(atPath: directory))
        #expect(left == ["a1.h5", "b2.h5", ".tmp-f6-\(ProcessInfo.processInfo.processIdentifier).h5", "README.txt"])
        // A shard rewritten over a broken one counts again.
        try Store.writeShard(sampleRecord(id: "c3", seed: 2, lr: 0.1, optimizer: "sgd"), directory: directory)
        #expect(Store.completedShardIds(directory: directory) == ["a1", "b2", "c3"])
    }

    @Test func rewritingAShardReplacesItAtomically() throws {
        let directory = try temporaryDirectory("rewrite")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Store.writeShard(sampleRecord(id: "r", seed: 0, lr: 0.1, optimizer: "sgd"), directory: directory)
        try Store.writeShard(sampleRecord(id: "r", seed: 0, lr: 0.5, optimizer: "adam"), directory: directory)
        let file = try ResultsFile(path: Store.shardPath(runId: "r", directory: directory))
        #expect(file.attributes("r").first { $0.0 == "optimizer.kind" }?.1 == .string("adam"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["r.h5"])
    }
}

@Suite struct MergeTests {
    static func records() -> [RunRecord] {
        var records: [RunRecord] = []
        for (index, (optimizer, lr)) in [("sgd", 0.1), ("sgd", 0.01), ("adam", 1e-3)].enumerated() {
            for seed in 0..<2 {
                let id = "run\(index)s\(seed)"
                // "mixed" is int in some runs and double in others: the column must be float64.
                let mixed: Value = seed == 0 ? .int(index) : .double(Double(index) + 0.5)
                let extra: [(String, Value)] = index == 2 ? [("mixed", mixed)] : [("mixed", mixed), ("tag", .string("t\(index)"))]
                records.append(sampleRecord(id: id, seed: seed, lr: lr, optimizer: optimizer, extra: extra))
            }
        }
        return records
    }

    /// Everything a reader sees in a results file except created_utc.
    static func contents(_ path: String) throws -> String {
        let file = try ResultsFile(path: path)
        var text = "\(file.rootAttributes.filter { $0.0 != "created_utc" })\n\(file.runIds)\n"
        for column in file.indexColumns {
            text += "\(column.name): \(column.values.map { $0.asDouble.map { String($0.bitPattern) } ?? $0.canonical })\n"
        }
        for id in file.runIds {
            text += "\(id) \(file.attributes(id)) \(file.steps(id))\n"
            for view in [nil] + file.viewNames(id) {
                for metric in file.metricNames(id, view: view) {
                    let series = try #require(file.series(id, metric: metric, view: view))
                    text += "\(view ?? "-")/\(metric): \(series.map(\.bitPattern))\n"
                }
            }
        }
        return text
    }

    @Test func arrivalOrderDoesNotChangeTheMergedFile() throws {
        let directory = try temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let records = Self.records()
        // Arrival 1: in order, one after the other. Arrival 2: reversed, from concurrent threads.
        for record in records { try Store.writeShard(record, directory: directory + "/first") }
        let reversed = Array(records.reversed())
        let failures = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: reversed.count) { index in
            do { try Store.writeShard(reversed[index], directory: directory + "/second") } catch { failures.add() }
        }
        #expect(failures.value == 0)
        let order = records.map(\.runId) + ["never_ran"]
        let root = sampleRoot(columns: ["seed", "optimizer.kind", "optimizer.lr", "mixed", "tag", "absent"])
        try Store.merge(shardDirectory: directory + "/first", runOrder: order, root: root, into: directory + "/one.h5")
        try Store.merge(shardDirectory: directory + "/second", runOrder: order, root: root, into: directory + "/two.h5")
        let one = try Self.contents(directory + "/one.h5")
        #expect(one == (try Self.contents(directory + "/two.h5")))

        let file = try ResultsFile(path: directory + "/one.h5")
        #expect(file.runIds == records.map(\.runId))
        let index = Dictionary(uniqueKeysWithValues: file.indexColumns.map { ($0.name, $0.values) })
        #expect(file.indexColumns.map(\.name) ==
                ["run_id", "status", "seed", "optimizer.kind", "optimizer.lr", "mixed", "tag", "absent"])
        #expect(index["seed"] == [0, 1, 0, 1, 0, 1].map { .int($0) })
        #expect(index["optimizer.lr"] == [0.1, 0.1, 0.01, 0.01, 1e-3, 1e-3].map { .double($0) })
        #expect(index["mixed"] == [0, 0.5, 1, 1.5, 2, 2.5].map { .double($0) })
        #expect(index["tag"] == ["t0", "t0", "t1", "t1", "", ""].map { .string($0) })
        #expect(index["absent"] == Array(repeating: .string(""), count: 6))
        #expect(index["status"] == Array(repeating: .string("completed"), count: 6))
        // No temporary file is left next to the results.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".tmp") } == [])
    }

    @Test func provenanceCannotOverrideStandardAttributes() throws {
        let directory = try temporaryDirectory("provenance")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var root = sampleRoot()
        root.provenance.append(("format", .string("mine")))
        #expect(throws: StoreError.self) {
            try Store.merge(shardDirectory: directory, runOrder: [], root: root, into: directory + "/r.h5")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/r.h5"))
    }
}

@Suite struct StorageTests {
    @Test func longArraysAreChunkedAndCompressedShortOnesContiguous() throws {
        let directory = try temporaryDirectory("chunk")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let n = 10_000
        let steps = Array(0..<n)
        let smooth = steps.map { 1.0 / (1.0 + Double($0)) }  // compressible: slowly varying
        var record = sampleRecord(id: "long", seed: 0, lr: 0.1, optimizer: "sgd", points: 4096)
        record.steps = steps
        record.metrics = [Series(name: "train_loss", values: smooth)]
        record.views = []
        try Store.writeShard(record, directory: directory)
        try Store.writeShard(sampleRecord(id: "short", seed: 0, lr: 0.1, optimizer: "sgd", points: 4096),
                             directory: directory)

        let (long, short, loss, shortLoss) = try HDF5.locked {
            let file = try HDF5.openFile(Store.shardPath(runId: "long", directory: directory))
            defer { H5Fclose(file) }
            let other = try HDF5.openFile(Store.shardPath(runId: "short", directory: directory))
            defer { H5Fclose(other) }
            return (try HDF5.storage(file, "runs/long/step"), try HDF5.storage(other, "runs/short/step"),
                    try HDF5.storage(file, "runs/long/train_loss"), try HDF5.storage(other, "runs/short/train_loss"))
        }
        #expect(long.chunked && long.filters == 2)   // shuffle + deflate
        #expect(long.bytes < n * 8 / 4)               // 0..<n compresses far below 8 bytes each
        #expect(loss.chunked && loss.bytes < n * 8)
        #expect(!short.chunked && short.filters == 0 && short.bytes == 4096 * 8)  // exactly 4096: contiguous
        #expect(!shortLoss.chunked)
        let file = try ResultsFile(path: Store.shardPath(runId: "long", directory: directory))
        #expect(file.steps("long") == steps)
        #expect(bitwiseEqual(try #require(file.series("long", metric: "train_loss")), smooth))
    }
}

/// A counter safe to bump from several threads.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

@Suite struct SpeedTests {
    /// Many small runs: a shard must take about a millisecond and a merge open each shard once.
    /// EXPRUN_STORE_RUNS sets the count (default 300, to keep the debug test run short).
    @Test func manySmallShardsWriteAndMergeQuickly() throws {
        let directory = try temporaryDirectory("speed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let count = Int(ProcessInfo.processInfo.environment["EXPRUN_STORE_RUNS"] ?? "") ?? 300
        let extra: [(String, Value)] = [("dataset.kind", .string("synthetic_regression")), ("dataset.n", .int(5000)),
                                        ("model.kind", .string("least_squares")), ("model.l2", .double(0.01)),
                                        ("schedule.kind", .string("inverse_sqrt")), ("run.steps", .int(20000))]
        var records: [RunRecord] = []
        for index in 0..<count {
            let lr = 1e-3 * Double(index % 7 + 1)
            records.append(sampleRecord(id: "r\(100_000 + index)", seed: index % 5, lr: lr,
                                        optimizer: index % 2 == 0 ? "sgd" : "adam", points: 200, extra: extra))
        }
        let clock = ContinuousClock()
        let writing = try clock.measure {
            for record in records { try Store.writeShard(record, directory: directory + "/shards") }
        }
        var ids: Set<String> = []
        let scanning = clock.measure { ids = Store.completedShardIds(directory: directory + "/shards") }
        let merging = try clock.measure {
            try Store.merge(shardDirectory: directory + "/shards", runOrder: records.map(\.runId), root: sampleRoot(),
                            into: directory + "/results.h5")
        }
        var read = 0
        let reading = try clock.measure {
            let file = try ResultsFile(path: directory + "/results.h5")
            for id in file.runIds { read += file.series(id, metric: "train_loss")?.count ?? 0 }
        }
        #expect(ids.count == count)
        #expect(read == count * 200)
        let perShard = writing / count
        print("store speed: \(count) runs; write \(perShard) per shard; scan \(scanning); merge \(merging); read \(reading)")
        // Loose bounds (debug build, shared machine): an order of magnitude above what we measure.
        #expect(perShard < .milliseconds(20))
        #expect(merging < .seconds(Double(count) * 0.02))
    }
}
