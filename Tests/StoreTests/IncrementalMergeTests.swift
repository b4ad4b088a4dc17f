import ExprunCore
import Foundation
import Testing
@testable import ExprunStore

/// The merge that updates results.h5 with only what is new, and its safety (Merge.swift).
@Suite struct IncrementalMergeTests {
    /// The records of MergeTests, plus `extra` more of the same shape.
    static func shards(_ directory: String, _ records: [RunRecord]) throws {
        for record in records { try Store.writeShard(record, directory: directory) }
    }

    static func modified(_ path: String) throws -> Date {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
    }

    @Test func updatingInPlaceGivesTheFileOfAFullMerge() throws {
        let directory = try temporaryDirectory("incremental")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let records = MergeTests.records()
        let order = records.map(\.runId) + ["never_ran"]
        let root = sampleRoot(columns: ["seed", "optimizer.kind", "optimizer.lr", "mixed", "tag", "absent"])
        let results = directory + "/results.h5"
        // First merge: half of the runs have finished.
        try Self.shards(directory + "/shards", Array(records[1...3]))
        #expect(try Store.merge(shardDirectory: directory + "/shards", runOrder: order, root: root, into: results)
                == Array(records[1...3]).map(\.runId))
        // Then the rest arrive, and one finished run is rewritten (a retried run) with new values.
        var retried = records[2]
        retried.status = .failed
        retried.message = "retried"
        try Self.shards(directory + "/shards", [records[0], records[4], records[5], retried])
        let merged = try Store.merge(shardDirectory: directory + "/shards", runOrder: order, root: root, into: results)
        #expect(merged == records.map(\.runId))

        var expected = records
        expected[2] = retried
        try Self.shards(directory + "/fresh", expected)
        try Store.merge(shardDirectory: directory + "/fresh", runOrder: order, root: root, into: directory + "/full.h5")
        #expect(try MergeTests.contents(results) == (try MergeTests.contents(directory + "/full.h5")))
        #expect(try ResultsFile(path: results).status(records[2].runId) == "failed")

        // A shard that disappears (deleted as corrupt) leaves the file too, as in a full merge.
        try FileManager.default.removeItem(atPath: Store.shardPath(runId: records[4].runId, directory: directory + "/shards"))
        try FileManager.default.removeItem(atPath: Store.shardPath(runId: records[4].runId, directory: directory + "/fresh"))
        try Store.merge(shardDirectory: directory + "/shards", runOrder: order, root: root, into: results)
        try Store.merge(shardDirectory: directory + "/fresh", runOrder: order, root: root, into: directory + "/full.h5")
        #expect(try MergeTests.contents(results) == (try MergeTests.contents(directory + "/full.h5")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".tmp") } == [])
    }

    @Test func aFinishedSweepIsNotMergedAgain() throws {
        let directory = try temporaryDirectory("uptodate")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let records = MergeTests.records()
        try Self.shards(directory + "/shards", records)
        let results = directory + "/results.h5"
        try Store.merge(shardDirectory: directory + "/shards", runOrder: records.map(\.runId), root: sampleRoot(), into: results)
        let before = try Self.modified(results)
        let inode = try FileManager.default.attributesOfItem(atPath: results)[.systemFileNumber] as? Int
        #expect(try Store.merge(shardDirectory: directory + "/shards", runOrder: records.map(\.runId),
                                root: sampleRoot(), into: results) == records.map(\.runId))
        #expect(try Self.modified(results) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: results)[.systemFileNumber] as? Int == inode)
        // A different experiment (config changed) is a full rebuild, not an update of the old file.
        var other = sampleRoot()
        other.config += "# edited\n"
        try Store.merge(shardDirectory: directory + "/shards", runOrder: records.map(\.runId), root: other, into: results)
        #expect(try ResultsFile(path: results).config == other.config)
    }

    @Test func aStaleTemporaryOfAKilledMergeIsRemoved() throws {
        let directory = try temporaryDirectory("stale")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stale = directory + "/.tmp-results.h5-999999999.h5"
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: stale))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: stale)
        let records = Array(MergeTests.records().prefix(2))
        try Self.shards(directory + "/shards", records)
        try Store.merge(shardDirectory: directory + "/shards", runOrder: records.map(\.runId), root: sampleRoot(),
                        into: directory + "/results.h5")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["results.h5", "shards"])
    }

    /// A full disk during the merge: a one-line error, the old results.h5 intact, no temporary.
    /// Needs root to mount a small tmpfs (skipped with a message otherwise).
    @Test func aFullDiskLeavesTheOldResultsAndNoTemporary() throws {
        let mountPoint = try temporaryDirectory("fulldisk")
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]) == 0 else {
            print("skipped: cannot mount a tmpfs here (needs root)")
            return
        }
        // Lazy: the failed temporary may stay open in libhdf5 until the process exits.
        defer { _ = run("/bin/umount", ["-l", mountPoint]) }
        let shards = try temporaryDirectory("fulldisk-shards")
        defer { try? FileManager.default.removeItem(atPath: shards) }
        // Runs of 4000 points: the first two fit in 1 MB (uncompressed random-looking series), all do not.
        let records = (0..<60).map { sampleRecord(id: "big\($0)", seed: $0, lr: 0.1 + Double($0), optimizer: "sgd",
                                                  points: 4000) }
        try Self.shards(shards, records)
        let results = mountPoint + "/results.h5"
        try Store.merge(shardDirectory: shards, runOrder: records.prefix(1).map(\.runId), root: sampleRoot(), into: results)
        let before = try MergeTests.contents(results)
        var message = ""
        do {
            try Store.merge(shardDirectory: shards, runOrder: records.map(\.runId), root: sampleRoot(), into: results)
        } catch let error as StoreError {
            message = error.message
        }
        #expect(!message.isEmpty, "the merge must fail on a full disk")
        #expect(!message.contains("\n"), "one line: \(message)")
        #expect(try MergeTests.contents(results) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint) == ["results.h5"])
    }

    private func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
