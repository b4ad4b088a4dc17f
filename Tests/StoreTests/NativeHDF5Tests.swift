import CHDF5
import ExprunCore
import Foundation
import Testing
@testable import ExprunStore

/// The native HDF5 writer and reader (Sources/ExprunStore/Native) against libhdf5: files one
/// writes, the other reads back exactly (random attribute sets, datasets, views), libhdf5's
/// checksums are lookup3's, and what is outside the native subset falls back to libhdf5.
/// (tests/python/test_native_hdf5.py compares whole sweeps through h5dump and h5py.)
@Suite struct NativeHDF5Tests {
    /// A deterministic generator (SplitMix64), so a failure reproduces.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let strings = ["", "a", "completed", "ünïcødé ✓", "tab\tquote\"back\\slash", String(repeating: "x", count: 5000),
                          "日本語のテキスト", "line\nbreak", "emoji 🙂"]
    static let doubles: [Double] = [0, -0.0, 1.5, -2.25e-308, 5e-324, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, 0.1]
    static let ints = [0, 1, -1, Int.max, Int.min, 42, 1 << 40]

    static func scalar(_ g: inout Generator) -> Value {
        switch g.below(4) {
        case 0: return .int(ints[g.below(ints.count)])
        case 1: return .double(doubles[g.below(doubles.count)])
        case 2: return .bool(g.below(2) == 1)
        default: return .string(strings[g.below(strings.count)])
        }
    }

    static func value(_ g: inout Generator) -> Value {
        if g.below(4) > 0 { return scalar(&g) }
        let count = g.below(6)
        let kind = g.below(5)
        return .list((0..<count).map { _ in
            // One kind (an array of it), or mixed (strings), or nested lists.
            switch kind {
            case 0: return .int(ints[g.below(ints.count)])
            case 1: return .double(doubles[g.below(doubles.count)])
            case 2: return .bool(g.below(2) == 1)
            case 3: return .string(strings[g.below(strings.count)])
            default: return g.below(2) == 0 ? scalar(&g) : .list([scalar(&g), scalar(&g)])
            }
        })
    }

    static func array(_ g: inout Generator, count: Int) -> H5Array {
        switch g.below(4) {
        case 0: return .ints((0..<count).map { _ in ints[g.below(ints.count)] })
        case 1: return .doubles((0..<count).map { _ in doubles[g.below(doubles.count)] })
        case 2: return .bools((0..<count).map { _ in g.below(2) == 1 })
        default: return .strings((0..<count).map { _ in strings[g.below(strings.count)] })
        }
    }

    /// A random run group: up to 128 attributes of every kind, datasets (empty, 1-D, 2-D) and
    /// view subgroups.
    static func randomRun(_ g: inout Generator) -> StoredRun {
        var attributes: [(String, Value)] = []
        for i in 0..<g.below(129) { attributes.append(("a\(i).\(strings[g.below(4)])", value(&g))) }
        var members: [(name: String, member: StoredRun.Member)] = [("step", .dataset(array(&g, count: g.below(12)), columns: 1))]
        for i in 0..<g.below(5) {
            let columns = 1 + g.below(3)
            members.append(("m\(i)", .dataset(array(&g, count: columns * g.below(9)), columns: columns)))
        }
        if g.below(2) == 0 {
            members.append(("avg", .group(StoredRun(attributes: [], members: [("loss", .dataset(array(&g, count: 3), columns: 1))]))))
        }
        return StoredRun(attributes: attributes, members: members)
    }

    /// What libhdf5 keeps of a value: strings up to a NUL; lists as their narrowest array type.
    static func stored(_ value: Value) -> Value {
        switch value {
        case .string(let s): return .string(String(decoding: s.utf8.prefix { $0 != 0 }, as: UTF8.self))
        case .list(let list): return .list(H5Array(list: list).values.map(stored))
        default: return value
        }
    }

    static func same(_ a: StoredRun, _ b: StoredRun) -> Bool {
        guard a.attributes.map(\.0) == b.attributes.map(\.0),
              zip(a.attributes, b.attributes).allSatisfy({ bitwiseEqual(stored($0.1), $1.1) }),
              a.members.map(\.name) == b.members.map(\.name) else { return false }
        for (x, y) in zip(a.members, b.members) {
            switch (x.member, y.member) {
            case (.dataset(let p, let c), .dataset(let q, let d)):
                guard c == d, p.count == q.count else { return false }
                if case .doubles(let u) = p, case .doubles(let v) = q { if !bitwiseEqual(u, v) { return false } } else if p != q {
                    return false
                }
            case (.group(let p), .group(let q)): if !same(p, q) { return false }
            default: return false
            }
        }
        return true
    }

    func writeNative(_ run: StoredRun, _ path: String) throws {
        let writer = try NativeHDF5Writer(path: path)
        let group = try writer.write(run)
        let runs = try writer.writeGroup(attributes: [], links: [("r", group)])
        try writer.finish(root: try writer.writeGroup(attributes: [], links: [("runs", runs)]))
    }

    func writeLibrary(_ run: StoredRun, _ path: String) throws {
        try HDF5.locked {
            let file = try HDF5.createFile(path)
            let runs = try HDF5.createGroup(file, "runs")
            try run.write(into: runs, as: "r")
            H5Gclose(runs)
            try HDF5.closeFile(file)
        }
    }

    func readLibrary(_ path: String) throws -> StoredRun {
        try HDF5.locked {
            let file = try HDF5.openFile(path)
            defer { H5Fclose(file) }
            let group = try HDF5.openGroup(file, "runs/r")
            defer { H5Gclose(group) }
            return try StoredRun(reading: group)
        }
    }

    func readNative(_ path: String) throws -> StoredRun {
        let reader = try NativeHDF5Reader(path: path)
        return try reader.storedRun(at: try #require(try reader.address(of: ["runs", "r"])))
    }

    @Test func randomRunsRoundTripBetweenNativeAndLibhdf5() throws {
        let directory = try temporaryDirectory("native-fuzz")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var g = Generator(state: 18)
        for trial in 0..<60 {
            let run = Self.randomRun(&g)
            let native = directory + "/n\(trial).h5", library = directory + "/l\(trial).h5"
            try writeNative(run, native)
            try writeLibrary(run, library)
            // libhdf5 reads the native file; the native reader reads both.
            #expect(Self.same(run, try readLibrary(native)), "trial \(trial): libhdf5 reading the native file")
            #expect(Self.same(run, try readNative(native)), "trial \(trial): native reader on the native file")
            #expect(Self.same(run, try readNative(library)), "trial \(trial): native reader on the libhdf5 file")
        }
    }

    @Test func checksumsAreLibhdf5s() throws {
        // libhdf5 wrote this file: its superblock and object header checksums are lookup3's.
        let directory = try temporaryDirectory("native-checksum")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var g = Generator(state: 7)
        let path = directory + "/l.h5"
        try writeLibrary(Self.randomRun(&g), path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let stored = UInt32(bytes[44]) | UInt32(bytes[45]) << 8 | UInt32(bytes[46]) << 16 | UInt32(bytes[47]) << 24
        #expect(HDF5Checksum.lookup3(Array(bytes[0..<44])) == stored)
        // Published values of Bob Jenkins' hashlittle (lookup3.c's driver5): "" with seed 0.
        #expect(HDF5Checksum.lookup3([]) == 0xdead_beef)
        #expect(HDF5Checksum.lookup3(Array("Four score and seven years ago".utf8)) == 0x1777_0551)
    }

    @Test func outsideTheSubsetFallsBackToLibhdf5() throws {
        let directory = try temporaryDirectory("native-fallback")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A series longer than a chunk: libhdf5 writes the shard (chunked, compressed).
        let n = HDF5.chunkLength + 1
        let record = RunRecord(runId: "long", status: .completed, wallSeconds: 1, attributes: [("seed", .int(1))],
                               steps: Array(0..<n), metrics: [Series(name: "loss", values: (0..<n).map(Double.init))], views: [])
        #expect(throws: NativeHDF5.Unsupported.self) { try writeNative(StoredRun(record: record), directory + "/x.h5") }
        try Store.writeShard(record, directory: directory)
        let shard = Store.shardPath(runId: "long", directory: directory)
        let reader = try NativeHDF5Reader(path: shard)
        let group = try #require(try reader.address(of: ["runs", "long"]))
        #expect(throws: NativeHDF5.Unsupported.self) { _ = try reader.storedRun(at: group) }
        #expect(try HDF5.locked {
            let file = try HDF5.openFile(shard)
            defer { H5Fclose(file) }
            return try HDF5.storage(file, "runs/long/loss").chunked
        })
        // Over 128 attributes: unsupported natively.
        let wide = StoredRun(attributes: (0..<129).map { ("a\($0)", .int($0)) }, members: [])
        #expect(throws: NativeHDF5.Unsupported.self) { try writeNative(wide, directory + "/w.h5") }
    }

    @Test func aDamagedNativeFileIsNotReadNatively() throws {
        let directory = try temporaryDirectory("native-damaged")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var g = Generator(state: 3)
        let path = directory + "/n.h5"
        try writeNative(Self.randomRun(&g), path)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let reader = try NativeHDF5Reader(path: path)
        let group = Int(try #require(try reader.address(of: ["runs", "r"])))
        bytes[group + 20] ^= 0x40  // inside the run group's header: its checksum no longer holds
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: NativeHDF5.Unsupported.self) { _ = try readNative(path) }
        // Truncated: the superblock's end of file is past the end.
        try Data(bytes.prefix(bytes.count - 10)).write(to: URL(fileURLWithPath: path))
        #expect(throws: NativeHDF5.Unsupported.self) { _ = try NativeHDF5Reader(path: path) }
    }

    @Test func aMergeWithARunOutsideTheSubsetIsWrittenByLibhdf5() throws {
        let directory = try temporaryDirectory("native-merge-fallback")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shards = directory + "/shards", results = directory + "/results.h5"
        let n = HDF5.chunkLength + 10
        let long = RunRecord(runId: "long", status: .completed, wallSeconds: 1, attributes: [("seed", .int(1))],
                             steps: Array(0..<n), metrics: [Series(name: "loss", values: (0..<n).map { 1 / Double($0 + 1) })],
                             views: [])
        try Store.writeShard(sampleRecord(id: "short", seed: 0, lr: 0.1, optimizer: "sgd"), directory: shards)
        try Store.writeShard(long, directory: shards)
        try Store.merge(shardDirectory: shards, runOrder: ["short", "long"], root: sampleRoot(), into: results)
        let file = try ResultsFile(path: results)
        #expect(file.runIds == ["short", "long"])
        #expect(file.series("long", metric: "loss")?.count == n)
        // The long series is chunked: libhdf5 wrote the file (the native writer cannot chunk).
        #expect(try HDF5.locked {
            let h5 = try HDF5.openFile(results)
            defer { H5Fclose(h5) }
            return try HDF5.storage(h5, "runs/long/loss").chunked
        })
    }
}
