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
        #expect(manifest.ids == records.map(\.runId).sorted())
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
            #expect(ShardManifest(directory: shards).count == 0)
            let complete = Store.completedShardIds(directory: shards)
            #expect(complete == Set(records.map(\.runId)))
            #expect(Set(Store.shardStatuses(directory: shards, ids: complete).values) == ["completed"])
        }
    }

    /// The manifest is looked up in its bytes by binary search: every listed id is found with
    /// its own entry, absent ids (between, before, after the listed ones) are not, the text
    /// is the same whatever order the entries came in, and a file out of order is ignored.
    @Test func entriesAreFoundInTheSortedText() throws {
        func identity(_ i: Int) -> ShardManifest.Identity {
            ShardManifest.Identity(inode: UInt64(1000 + i), size: Int64(i * 7), seconds: 1_700_000_000 + i, nanoseconds: i)
        }
        let ids = (0..<500).map { String(format: "%08x", ($0 &* 2_654_435_761) & 0xffff_ffff) + "-\($0)" }
        let entries = ids.enumerated().map { (id: $1, entry: ShardManifest.Entry(status: $0 % 3 == 0 ? "failed" : "completed",
                                                                                  identity: identity($0))) }
        let manifest = ShardManifest(entries: entries)
        #expect(manifest.count == ids.count)
        #expect(manifest.ids == ids.sorted())
        for (i, id) in ids.enumerated() {
            #expect(manifest.entry(id) == entries[i].entry)
            #expect(manifest.entry(id + "0") == nil && manifest.entry(String(id.dropLast())) == nil)
        }
        #expect(manifest.entry("") == nil && manifest.entry("~") == nil && manifest.entry("0") == nil)
        #expect(ShardManifest(entries: entries.reversed()).bytes == manifest.bytes)
        // Listed twice: the last entry counts.
        let twice = ShardManifest(entries: entries + [(ids[3], ShardManifest.Entry(status: "diverged", identity: identity(3)))])
        #expect(twice.count == ids.count && twice.entry(ids[3])?.status == "diverged")

        // Parsed back from the file; with two lines swapped (checksum made right) it is ignored.
        let directory = try temporaryDirectory("manifest-sorted")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        manifest.write(directory: directory)
        #expect(ShardManifest(directory: directory).bytes == manifest.bytes)
        var lines = String(decoding: manifest.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        lines.swapAt(1, 2)
        lines.removeLast()
        let body = lines.joined(separator: "\n") + "\n"
        let swapped = body + "end \(ids.count) \(ShardManifest.checksum(Array(body.utf8)[...]))\n"
        try swapped.write(toFile: directory + "/" + ShardManifest.name, atomically: false, encoding: .utf8)
        #expect(ShardManifest.parse(Array(swapped.utf8)) == nil)
        #expect(ShardManifest(directory: directory).count == 0)
        #expect(ShardManifest.parse(manifest.bytes) != nil)
    }
}
