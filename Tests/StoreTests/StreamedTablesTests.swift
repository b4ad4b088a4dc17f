import CHDF5
import ExprunCore
import Foundation
import Testing
@testable import ExprunStore

/// The merge's streamed /index and /tables: scratch files (SpillFile) read back exactly, tables
/// written a block at a time (HDF5.BlockWriter) read back by libhdf5 as written, and column
/// types decided over all rows even when the row that changes them is in a later block.
@Suite struct StreamedTablesTests {
    /// Values of every kind, some long, deterministic in `i`.
    static func value(_ i: Int) -> Value {
        switch i % 6 {
        case 0: return .int(i &* 2_654_435_761 - 1 << 40)
        case 1: return .double(Double(bitPattern: UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15))
        case 2: return .bool(i % 4 == 2)
        case 3: return .string(String(repeating: "é\t\u{1}x", count: i % 50))
        case 4: return .list([.int(i), .list([.double(-0.0), .string("n\(i)")]), .bool(true)])
        default: return .string("")
        }
    }

    @Test func aScratchFileReadsBackBitForBitAcrossItsWindow() throws {
        let directory = try temporaryDirectory("spill")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spill = try SpillFile(directory: directory)
        // ~3 MB: several 1 MB windows, values straddling their edges.
        let count = 60_000
        for i in 0..<count {
            spill.out.u32(UInt32(i))
            spill.value(Self.value(i))
            try spill.flushIfFull()
        }
        #expect(spill.size > 2 << 20)
        // Unlinked at once: nothing is left in the folder, even before it is closed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        let input = try spill.reader()
        for i in 0..<count {
            #expect(try input.u32() == UInt32(i))
            let v = try input.value()
            if !bitwiseEqual(v, Self.value(i)) { Issue.record("value \(i): \(v)"); return }
        }
        #expect(throws: StoreError.self) { try input.u8() }
    }

    @Test func aTableWrittenInBlocksIsWhatLibhdf5ReadsBack() throws {
        let directory = try temporaryDirectory("blocks")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let rows = 2 * HDF5.chunkLength + 123
        let ints = (0..<rows).map { $0 * 7 - 5 }, doubles = (0..<rows).map { Double($0) / 3 }
        let bools = (0..<rows).map { $0 % 3 == 0 }, strings = (0..<rows).map { "row \($0)" + String(repeating: "ü", count: $0 % 9) }
        let path = directory + "/t.h5"
        try HDF5.locked {
            let file = try HDF5.createFile(path)
            do {
                let table = try HDF5.BlockWriter(file, "t", rows: rows, columns: [("i", .int64), ("d", .float64), ("b", .bool), ("s", .string)])
                // Uneven blocks, not in chunk multiples: the hyperslabs must still land in place.
                var first = 0
                for size in [1, 4000, 4097, rows] where first < rows {
                    let n = min(size, rows - first)
                    let range = first..<(first + n)
                    try table.write([.ints(Array(ints[range])), .doubles(Array(doubles[range])),
                                     .bools(Array(bools[range])), .strings(Array(strings[range]))], at: first)
                    first += n
                }
                table.close()
                let plain = try HDF5.BlockWriter(file, "a", rows: rows, columns: [("", .float64)])
                try plain.write([.doubles(doubles)], at: 0)
                plain.close()
                #expect(throws: StoreError.self) {
                    let extra = try HDF5.BlockWriter(file, "x", rows: 2, columns: [("i", .int64)])
                    try extra.write([.ints([1, 2, 3])], at: 0)
                }
            } catch {
                H5Fclose(file)
                throw error
            }
            try HDF5.closeFile(file)
        }
        let read = try HDF5.locked { () throws -> ([(name: String, data: H5Array)], H5Array) in
            let file = try HDF5.openFile(path)
            defer { H5Fclose(file) }
            return (try HDF5.readTable(file, "t"), try HDF5.readDataset(file, "a"))
        }
        #expect(read.0.map(\.name) == ["i", "d", "b", "s"])
        guard case .ints(let i) = read.0[0].data, case .doubles(let d) = read.0[1].data, case .bools(let b) = read.0[2].data,
              case .strings(let s) = read.0[3].data, case .doubles(let a) = read.1 else {
            Issue.record("column types \(read.0.map(\.data))"); return
        }
        #expect(i == ints && bitwiseEqual(d, doubles) && b == bools && s == strings && bitwiseEqual(a, doubles))
    }

    @Test func columnTypesAreDecidedOverEveryBlock() throws {
        // A column that turns mixed, an index column that turns float and an attribute that
        // appears only in the last block: each row's value must come back as it went in.
        let directory = try temporaryDirectory("typed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let rows = HDF5.chunkLength + 600
        func attributes(_ row: Int) -> [(String, Value)] {
            var a: [(String, Value)] = [("seed", row == rows - 1 ? .double(0.5) : .int(row)), ("status", .string("completed")),
                                        ("kind", row == HDF5.chunkLength + 10 ? .string("odd") : .int(row % 5)),
                                        ("payload", Self.value(row))]
            if row > HDF5.chunkLength + 300 { a.append(("late", .double(Double(row)))) }
            return a
        }
        let ids = (0..<rows).map { "run\($0)" }
        var tables = try ConsolidatedTables(indexColumns: ["seed", "absent"], scratch: directory)
        for row in 0..<rows {
            try tables.append(runId: ids[row], attributes: attributes(row),
                              curves: [(view: "last", metric: "loss", steps: [0, row], values: [1, Double(row) / 7])])
        }
        let path = directory + "/r.h5"
        try HDF5.locked {
            let file = try HDF5.createFile(path)
            do { try tables.write(file) } catch { H5Fclose(file); throw error }
            try HDF5.closeFile(file)
        }
        #expect(tables.ids == ids && tables.statuses == Array(repeating: "completed", count: rows))
        try HDF5.locked {
            let file = try HDF5.openFile(path)
            defer { H5Fclose(file) }
            let index = try HDF5.readTable(file, "index")
            #expect(index.map(\.name) == ["run_id", "status", "seed", "absent"])
            guard case .doubles(let seed) = index[2].data, case .strings(let absent) = index[3].data else {
                Issue.record("index types \(index.map(\.data))"); return
            }
            #expect(seed == (0..<rows).map { $0 == rows - 1 ? 0.5 : Double($0) } && absent.allSatisfy(\.isEmpty))
            let existing = try #require(ExistingTables(file, runIds: ids))
            for row in 0..<rows {
                let got = try #require(existing.attributes(ids[row]))
                let want = attributes(row)
                guard got.count == want.count, zip(got, want).allSatisfy({ $0.0 == $1.0 && bitwiseEqual($0.1, $1.1) }) else {
                    Issue.record("row \(row): \(got) vs \(want)"); return
                }
                let expected = "last/loss [0, \(row)] \([1, Double(row) / 7].map(\.bitPattern))"
                guard existing.curveLines(ids[row]) == [expected] else { Issue.record("curves of row \(row)"); return }
            }
        }
    }

    /// ExistingTables holds one block of attribute rows and of curve points: runs read in
    /// index order, backwards and in a scattered order all get their own attributes (an
    /// attribute some runs lack stays absent) and curves, across block edges.
    @Test func existingTablesReadBlockByBlockInAnyOrder() throws {
        let directory = try temporaryDirectory("existing-blocks")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Small blocks: 1,000 rows and 5,000 points.
        let (rows, rowBlock, pointBlock) = (3_905, 1_000, 5_000)
        let length = { (row: Int) in row % 31 }
        // Curve points across many point blocks, a curve straddling each edge.
        #expect((0..<rows).reduce(0) { $0 + 2 * length($1) } > 20 * pointBlock)
        func attributes(_ row: Int) -> [(String, Value)] {
            var a: [(String, Value)] = [("seed", .int(row)), ("status", .string(row % 7 == 0 ? "diverged" : "completed"))]
            if row % 5 == 1 { a.append(("sometimes", .double(Double(row) / 3))) }
            return a
        }
        func curves(_ row: Int) -> [(view: String, metric: String, steps: [Int], values: [Double])] {
            let steps = (0..<length(row)).map { $0 * 10 }
            return [(view: "last", metric: "loss", steps: steps, values: steps.map { Double(row) + Double($0) / 1e3 }),
                    (view: "avg", metric: "loss", steps: steps, values: steps.map { -Double(row * $0) })]
        }
        let ids = (0..<rows).map { "r\($0)" }
        var tables = try ConsolidatedTables(indexColumns: ["seed"], scratch: directory)
        for row in 0..<rows { try tables.append(runId: ids[row], attributes: attributes(row), curves: curves(row)) }
        let path = directory + "/r.h5"
        try HDF5.locked {
            let file = try HDF5.createFile(path)
            do { try tables.write(file) } catch { H5Fclose(file); throw error }
            try HDF5.closeFile(file)
        }
        try HDF5.locked {
            let file = try HDF5.openFile(path)
            defer { H5Fclose(file) }
            let existing = try #require(ExistingTables(file, runIds: ids, rowBlock: rowBlock, pointBlock: pointBlock))
            let scattered = (0..<1_000).map { ($0 &* 7919) % rows }
            for row in Array(0..<rows) + (0..<rows).reversed() + scattered {
                let got = try #require(existing.attributes(ids[row]))
                let want = attributes(row)
                guard got.map(\.0) == want.map(\.0), zip(got, want).allSatisfy({ bitwiseEqual($0.1, $1.1) }) else {
                    Issue.record("attributes of row \(row): \(got)"); return
                }
                let expected = curves(row).map { "\($0.view)/\($0.metric) \($0.steps) \($0.values.map(\.bitPattern))" }
                guard existing.curveLines(ids[row]) == expected else { Issue.record("curves of row \(row)"); return }
            }
            // Ids that do not match /index: not used.
            #expect(ExistingTables(file, runIds: ids.reversed()) == nil)
            #expect(ExistingTables(file, runIds: Array(ids.dropLast())) == nil)
        }
    }
}
