import CHDF5
import ExprunCore
import Foundation
import Testing
@testable import ExprunStore

/// /tables (ConsolidatedTables.swift): the same attributes and curves as the run groups, read
/// back through the groups (ResultsFile), after full and incremental merges.
@Suite struct ConsolidatedTablesTests {
    /// MergeTests' records plus runs that exercise every column kind: a list attribute, a bool,
    /// an attribute only some runs have, a failed run without log points.
    static func records() -> [RunRecord] {
        var records = MergeTests.records()
        var diverged = sampleRecord(id: "div", seed: 0, lr: 100, optimizer: "sgd", points: 3,
                                    extra: [("model.hidden", .list([.int(64), .int(64)])), ("model.bias", .bool(true)),
                                            ("mixed", .list([.double(0.5), .string("a\"b\n")]))])
        diverged.status = .diverged
        diverged.divergedStep = 20
        records.append(diverged)
        records.append(RunRecord(runId: "broken", status: .failed, message: "boom", wallSeconds: 0,
                                 attributes: [("optimizer.kind", .string("sgd")), ("seed", .int(1)),
                                              ("model.hidden", .list([.int(8)])), ("mixed", .double(.nan))],
                                 steps: [], metrics: [], views: []))
        return records
    }

    /// The tables of `path` as text: per run its attributes (sorted by name) and curves.
    static func tables(_ path: String) throws -> String {
        let file = try ResultsFile(path: path)
        let id = try HDF5.locked { try HDF5.openFile(path) }
        defer { HDF5.locked { _ = H5Fclose(id) } }
        let existing = try #require(HDF5.locked { ExistingTables(id, runIds: file.runIds) })
        var text = ""
        for runId in file.runIds {
            let attributes = try #require(existing.attributes(runId))
            text += runId + " " + attributes.sorted { $0.0 < $1.0 }.map { "\($0.0)=\(TableJSON.encode($0.1))" }
                .joined(separator: " ") + "\n"
            text += existing.curveLines(runId).joined(separator: "\n") + "\n"
        }
        return text
    }

    @Test func tablesHoldWhatTheRunGroupsHold() throws {
        let directory = try temporaryDirectory("tables")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let records = Self.records()
        for record in records { try Store.writeShard(record, directory: directory + "/shards") }
        let results = directory + "/results.h5"
        try Store.merge(shardDirectory: directory + "/shards", runOrder: records.map(\.runId), root: sampleRoot(), into: results)
        let file = try ResultsFile(path: results)
        let id = try HDF5.locked { try HDF5.openFile(results) }
        defer { HDF5.locked { _ = H5Fclose(id) } }
        let existing = try #require(HDF5.locked { ExistingTables(id, runIds: file.runIds) })
        for runId in file.runIds {
            // Attributes: the same names and bit-identical values as the group's (table order
            // is the union over runs, in first-written order).
            let fromTable = try #require(existing.attributes(runId))
            let fromGroup = file.attributes(runId)
            #expect(fromTable.map(\.0).sorted() == fromGroup.map(\.0).sorted(), "\(runId)")
            for (name, value) in fromGroup {
                let other = try #require(fromTable.first { $0.0 == name }?.1)
                #expect(bitwiseEqual(value, other), "\(runId).\(name): \(value) vs \(other)")
            }
            // Curves: every series of the group, at its steps, views after the last iterate.
            var expected: [String] = []
            let steps = file.steps(runId)
            for view in [nil] + file.viewNames(runId) {
                for metric in file.metricNames(runId, view: view) {
                    let values = try #require(file.series(runId, metric: metric, view: view))
                    expected.append("\(view ?? "last")/\(metric) \(steps) \(values.map(\.bitPattern))")
                }
            }
            #expect(existing.curveLines(runId) == expected, "\(runId)")
        }
        #expect(file.runIds.contains("broken") && file.runIds.contains("div"))
    }

    @Test func incrementalMergesKeepTheTablesOfAFullMerge() throws {
        let directory = try temporaryDirectory("tables-incremental")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let records = Self.records()
        let order = records.map(\.runId)
        let results = directory + "/results.h5"
        for record in records.prefix(4) { try Store.writeShard(record, directory: directory + "/shards") }
        try Store.merge(shardDirectory: directory + "/shards", runOrder: order, root: sampleRoot(), into: results)
        var retried = records[1]
        retried.status = .failed
        retried.message = "retried"
        for record in Array(records.dropFirst(4)) + [retried] { try Store.writeShard(record, directory: directory + "/shards") }
        try FileManager.default.removeItem(atPath: Store.shardPath(runId: records[3].runId, directory: directory + "/shards"))
        try Store.merge(shardDirectory: directory + "/shards", runOrder: order, root: sampleRoot(), into: results)

        var expected = records
        expected[1] = retried
        expected.remove(at: 3)
        for record in expected { try Store.writeShard(record, directory: directory + "/fresh") }
        try Store.merge(shardDirectory: directory + "/fresh", runOrder: order, root: sampleRoot(), into: directory + "/full.h5")
        let incremental = try Self.tables(results)
        #expect(incremental == (try Self.tables(directory + "/full.h5")))
        #expect(incremental.contains("retried"))
    }

    @Test func aFileWithoutTablesGetsThemAtItsNextMerge() throws {
        // A results.h5 of an older version (no /tables): the kept runs are read from their groups.
        let directory = try temporaryDirectory("tables-old")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let records = Self.records()
        let order = records.map(\.runId)
        let results = directory + "/results.h5"
        for record in records.dropLast(2) { try Store.writeShard(record, directory: directory + "/shards") }
        try Store.merge(shardDirectory: directory + "/shards", runOrder: order, root: sampleRoot(), into: results)
        try HDF5.locked {
            let file = try HDF5.openFileForWriting(results)
            try HDF5.deleteLink(file, ConsolidatedTables.groupName)
            try HDF5.closeFile(file)
        }
        // Keep the file's time: the merge must still see its runs as merged (kept, not re-copied).
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: results)
        for record in records.suffix(2) { try Store.writeShard(record, directory: directory + "/shards") }
        try Store.merge(shardDirectory: directory + "/shards", runOrder: order, root: sampleRoot(), into: results)
        for record in records { try Store.writeShard(record, directory: directory + "/fresh") }
        try Store.merge(shardDirectory: directory + "/fresh", runOrder: order, root: sampleRoot(), into: directory + "/full.h5")
        #expect(try Self.tables(results) == (try Self.tables(directory + "/full.h5")))
    }

    @Test func aMergeOfNoRunsWritesEmptyTables() throws {
        // Ctrl-C before any run finished: the merge of nothing must still succeed.
        let directory = try temporaryDirectory("tables-empty")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let results = directory + "/results.h5"
        #expect(try Store.merge(shardDirectory: directory + "/shards", runOrder: ["a", "b"], root: sampleRoot(), into: results) == [])
        #expect(try Self.tables(results) == "")
    }

    @Test func jsonTextRoundTrips() {
        let values: [Value] = [.int(-3), .double(1), .double(1e-5), .double(-0.0), .double(.infinity), .double(5e-324),
                               .bool(false), .string("tab\tquote\"back\\slash\u{1}é"), .list([]),
                               .list([.int(1), .list([.double(2.5), .string("x")])])]
        for value in values {
            let decoded = TableJSON.decode(TableJSON.encode(value))
            #expect(decoded.map { bitwiseEqual($0, value) } == true, "\(value) -> \(TableJSON.encode(value))")
        }
        #expect(TableJSON.decode(TableJSON.encode(.double(.nan)))?.asDouble?.isNaN == true)
        for bad in ["", "[1,", "\"open", "tru", "1 2", "[1]]"] { #expect(TableJSON.decode(bad) == nil, "\(bad)") }
    }
}
