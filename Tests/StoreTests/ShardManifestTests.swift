import ExprunCore
import Foundation
import Testing
@testable import ExprunStore

/// shards/.manifest (ShardManifest.swift): what a merge leaves for the next re-run, and why a
/// stale or damaged one can neither hide an unfinished run nor list a missing one.
@Suite struct ShardManifestTests {
    static func merged(_ label: String) throws -> (directory: String, shards: String, records: [RunRecord]) {
        let directory = try temporaryDirectory(label)
        let shards = directory + "/shards"
        let records = MergeTests.records()
        for record in records { try Store.writeShard(record, directory: shards) }
        try Store.merge(shardDirectory: shards, runOrder: records.map(\.runId), root: sampleRoot(),
                        into: directory + "/results.h5")
        return (directory, shards, records)
    }

    @Test func aMergeListsEveryShardItReadWithItsStatus() throws {
        let (directory, shards, records) = try Self.merged("manifest")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manifest = ShardManifest(directory: shards)
        #expect(Set(manifest.entries.keys) == Set(records.map(\.runId)))
        for record in records {
            #expect(manifest.status(of: record.runId, path: Store.shardPath(runId: record.runId, directory: shards))
                    == record.status.rawValue)
        }
        #expect(Store.completedShardIds(directory: shards) == Set(records.map(\.runId)))
        // A merge with nothing new leaves the manifest as it is.
        let before = try String(contentsOfFile: shards + "/" + ShardManifest.name, encoding: .utf8)
        try Store.merge(shardDirectory: shards, runOrder: records.map(\.runId), root: sampleRoot(), into: directory + "/results.h5")
        #expect(try String(contentsOfFile: shards + "/" + ShardManifest.name, encoding: .utf8) == before)
    }

    @Test func aStaleManifestNeitherHidesNorInventsRuns() throws {
        let (directory, shards, records) = try Self.merged("manifest-stale")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A listed shard that is gone is not finished.
        let gone = records[0].runId
        try FileManager.default.removeItem(atPath: Store.shardPath(runId: gone, directory: shards))
        // A listed shard rewritten since (a retried run, now failed) is opened: its new status counts.
        var retried = records[1]
        retried.status = .failed
        try Store.writeShard(retried, directory: shards)
        // A listed shard replaced by a corrupt file of another inode is opened, found corrupt, deleted.
        let corrupt = Store.shardPath(runId: records[2].runId, directory: shards)
        try FileManager.default.removeItem(atPath: corrupt)
        try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: corrupt))
        // A shard the manifest does not know is opened.
        let extra = sampleRecord(id: "extra", seed: 9, lr: 0.5, optimizer: "sgd")
        try Store.writeShard(extra, directory: shards)

        let complete = Store.completedShardIds(directory: shards)
        #expect(complete == Set(records.dropFirst(3).map(\.runId) + [records[1].runId, "extra"]))
        #expect(!FileManager.default.fileExists(atPath: corrupt))
        let statuses = Store.shardStatuses(directory: shards, ids: complete)
        #expect(statuses[records[1].runId] == "failed")
        #expect(statuses["extra"] == "completed")
    }

    @Test func aDamagedManifestIsIgnored() throws {
        let (directory, shards, records) = try Self.merged("manifest-damaged")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = shards + "/" + ShardManifest.name
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // One status changed (the checksum no longer matches), then the file cut short.
        let edited = text.replacingOccurrences(of: "\tcompleted\t", with: "\tfailed\t")
        for damaged in [edited, String(text.prefix(text.count / 2)), "", "exprun-shard-manifest/1\n"] {
            try damaged.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(ShardManifest(directory: shards).entries.isEmpty)
            let complete = Store.completedShardIds(directory: shards)
            #expect(complete == Set(records.map(\.runId)))
            #expect(Set(Store.shardStatuses(directory: shards, ids: complete).values) == ["completed"])
        }
    }
}
