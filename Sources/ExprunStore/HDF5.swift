// A thin wrapper of our own over the HDF5 C library: files, groups, 1-D datasets and attributes
// of Int64 / Float64 / bool / variable-length UTF-8 strings, and one compound table. This file
// is the only place in exprun that calls HDF5.
//
// Why every file is written in two steps (temporary name, close, then rename):
// an HDF5 file is a tree of blocks whose superblock, object headers and B-trees are updated in
// place and flushed only when the file is closed. A process killed (kill -9, OOM killer, SLURM
// time limit) while a file is open for writing usually leaves a file HDF5 cannot open at all
// ("truncated file", bad superblock EOF), not one with a few runs missing. So shards and
// results.h5 are first written under a temporary name in the same directory (".tmp-...") and
// closed, and only then renamed to their final name. rename(2) within one filesystem is atomic:
// a reader, or a resume after a crash, sees either no file or a complete one. Stale temporary
// files are swept by `Store.completedShardIds`.
//
// Locking: the HDF5 library serializes its API calls itself (Debian builds it thread-safe),
// but we take one process-wide lock around every public Store/ResultsFile operation anyway, so
// a sequence of calls (create, write, close) is never interleaved with another thread's. The
// functions in `HDF5` assume the caller holds that lock and never take it themselves, so they
// nest freely.

import CHDF5
import ExprunCore
import Foundation

/// An error from the results store (HDF5 or the filesystem), with a message saying what failed.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A 1-D array of one HDF5 element type: the payload of a dataset, an array attribute or a
/// column of the index table.
enum H5Array: Equatable {
    case ints([Int])
    case doubles([Double])
    case bools([Bool])
    case strings([String])

    var count: Int {
        switch self {
        case .ints(let v): return v.count
        case .doubles(let v): return v.count
        case .bools(let v): return v.count
        case .strings(let v): return v.count
        }
    }

    /// The elements as configuration values.
    var values: [Value] {
        switch self {
        case .ints(let v): return v.map { .int($0) }
        case .doubles(let v): return v.map { .double($0) }
        case .bools(let v): return v.map { .bool($0) }
        case .strings(let v): return v.map { .string($0) }
        }
    }

    /// The narrowest element type that holds every value of a list: int64 if all are ints,
    /// float64 if all are numbers, bool if all are bools, otherwise strings (canonical text;
    /// nested lists too). An empty list is an empty string array.
    init(list: [Value]) {
        if list.isEmpty {
            self = .strings([])
        } else if list.allSatisfy({ if case .int = $0 { return true } else { return false } }) {
            self = .ints(list.map { $0.asInt! })
        } else if list.allSatisfy({ $0.asDouble != nil }) {
            self = .doubles(list.map { $0.asDouble! })
        } else if list.allSatisfy({ $0.asBool != nil }) {
            self = .bools(list.map { $0.asBool! })
        } else {
            self = .strings(list.map { $0.canonical })
        }
    }
}

/// Calls into HDF5. Every function assumes the caller holds `HDF5.lock` (see `locked`).
enum HDF5 {
    /// The one process-wide lock around HDF5 use.
    static let lock = NSLock()
    /// Arrays longer than this are chunked (this many elements per chunk) and compressed.
    static let chunkLength = 4096
    /// Deflate (gzip) level of compressed arrays.
    static let deflateLevel: UInt32 = 4

    static var defaultList: hid_t { exprun_H5P_DEFAULT() }

    /// Runs `body` holding the process-wide HDF5 lock.
    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = noTerminationAtExit
        // The library is built thread-safe, so its error stack (and whether it prints itself to
        // stderr) is per thread: silence it on whichever thread we are; errors become StoreError.
        H5Eset_auto2(exprun_H5E_DEFAULT(), nil, nil)
        return try body()
    }

    /// HDF5 closes every open file at exit; a file whose close failed (a full disk at the final
    /// flush) stays half-closed in its tables and that exit handler then segfaults. The process
    /// is ending anyway and the kernel releases its files, so the handler is turned off, before
    /// the library initialises (the first HDF5 call of the process goes through `locked`).
    private static let noTerminationAtExit: Void = { _ = H5dont_atexit() }()

    // MARK: Errors

    /// A StoreError for `what`, with the innermost and outermost messages of HDF5's error stack.
    static func failure(_ what: String) -> StoreError {
        var messages: [String] = []
        withUnsafeMutablePointer(to: &messages) { list in
            // Upward: from the deepest function (the actual cause) to the API call.
            _ = H5Ewalk2(exprun_H5E_DEFAULT(), H5E_WALK_UPWARD, { _, entry, data in
                guard let entry, let data, let text = entry.pointee.desc else { return 0 }
                let message = String(cString: text)
                if !message.isEmpty { data.assumingMemoryBound(to: [String].self).pointee.append(message) }
                return 0
            }, list)
        }
        H5Eclear2(exprun_H5E_DEFAULT())
        var detail = messages.first ?? "unknown HDF5 error"
        // A failed system call comes as a multi-line dump (time, filename, buffer address...):
        // keep the operating system's reason ("No space left on device").
        if let start = detail.range(of: "error message = '"),
           let end = detail[start.upperBound...].firstIndex(of: "'") {
            detail = String(detail[start.upperBound..<end])
        }
        detail = detail.split(whereSeparator: \.isNewline).joined(separator: " ")
        if let outer = messages.last, messages.count > 1, outer != detail { detail += " (\(outer))" }
        return StoreError("\(what): \(detail)")
    }

    /// Returns `id`, or throws if HDF5 signalled failure with a negative id.
    @discardableResult
    static func id(_ id: hid_t, _ what: @autoclosure () -> String) throws -> hid_t {
        if id < 0 { throw failure(what()) }
        return id
    }

    /// Throws if HDF5 signalled failure with a negative status.
    static func ok(_ status: herr_t, _ what: @autoclosure () -> String) throws {
        if status < 0 { throw failure(what()) }
    }

    /// Throws unless `name` can be one link of an HDF5 path.
    static func checkLinkName(_ name: String, _ what: String) throws {
        if name.isEmpty || name == "." || name.utf8.contains(UInt8(ascii: "/")) || name.utf8.contains(0) {
            throw StoreError("\(what) '\(name)' cannot be an HDF5 name (empty, '.', or contains '/')")
        }
    }

    // MARK: Reused ids

    /// Property lists, types and the scalar dataspace that every file, group, attribute and
    /// dataset needs, created once per process and never closed: creating and closing them per
    /// object was a third of the HDF5 calls of a merge. Only touched holding the lock.
    nonisolated(unsafe) private static var reused: [String: hid_t] = [:]

    static func reusedId(_ key: String, _ make: () throws -> hid_t) throws -> hid_t {
        if let id = reused[key] { return id }
        let id = try make()
        reused[key] = id
        return id
    }

    /// The variable-length UTF-8 string type, shared: never close it.
    static func sharedStringType() throws -> hid_t { try reusedId("string", stringType) }
    /// The bool enum type, shared: never close it.
    static func sharedBoolType() throws -> hid_t { try reusedId("bool", boolType) }

    // MARK: Files

    /// Track creation order of links and attributes, so runs, metrics and attributes read back in
    /// the order they were written (HDF5 otherwise lists them by name).
    private static var creationOrder: UInt32 { exprun_H5P_CRT_ORDER_TRACKED() | exprun_H5P_CRT_ORDER_INDEXED() }

    private static func fileAccessList() throws -> hid_t {
        try reusedId("fapl", makeFileAccessList)
    }

    private static func makeFileAccessList() throws -> hid_t {
        let fapl = try id(H5Pcreate(exprun_H5P_FILE_ACCESS()), "cannot create file access list")
        do {
            // Closing a file closes everything still open in it, so close() really releases it.
            try ok(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "cannot set close degree")
            // No flock(): files are never shared while being written (temporary name + rename),
            // and flock fails on some cluster filesystems.
            try ok(H5Pset_file_locking(fapl, false, true), "cannot disable file locking")
            try ok(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110), "cannot set format bounds")
        } catch {
            H5Pclose(fapl)
            throw error
        }
        return fapl
    }

    /// Creates (truncating) an HDF5 file for writing; close it with `closeFile`.
    static func createFile(_ path: String) throws -> hid_t {
        let fcpl = try id(H5Pcreate(exprun_H5P_FILE_CREATE()), "cannot create file creation list")
        defer { H5Pclose(fcpl) }
        try ok(H5Pset_link_creation_order(fcpl, creationOrder), "cannot track link order")
        try ok(H5Pset_attr_creation_order(fcpl, creationOrder), "cannot track attribute order")
        let fapl = try fileAccessList()
        return try id(H5Fcreate(path, exprun_H5F_ACC_TRUNC(), fcpl, fapl), "cannot create HDF5 file \(path)")
    }

    /// Opens an existing HDF5 file read-only; close it with `closeFile`.
    static func openFile(_ path: String) throws -> hid_t {
        let fapl = try fileAccessList()
        return try id(H5Fopen(path, exprun_H5F_ACC_RDONLY(), fapl), "cannot open HDF5 file \(path)")
    }

    /// Opens an existing HDF5 file for reading and writing; close it with `closeFile`.
    static func openFileForWriting(_ path: String) throws -> hid_t {
        let fapl = try fileAccessList()
        return try id(H5Fopen(path, exprun_H5F_ACC_RDWR(), fapl), "cannot open HDF5 file \(path) for writing")
    }

    /// Removes the link `name` (a run group, the index) from `location`.
    static func deleteLink(_ location: hid_t, _ name: String) throws {
        try ok(H5Ldelete(location, name, defaultList), "cannot delete '\(name)'")
    }

    /// Renames the link `name` of `location` to `newName` (the object stays where it is).
    static func moveLink(_ location: hid_t, _ name: String, to newName: String) throws {
        try ok(H5Lmove(location, name, location, newName, defaultList, defaultList), "cannot rename '\(name)'")
    }

    /// Removes attribute `name` of `object`.
    static func deleteAttribute(_ object: hid_t, _ name: String) throws {
        try ok(H5Adelete(object, name), "cannot delete attribute '\(name)'")
    }

    static func closeFile(_ file: hid_t) throws {
        try ok(H5Fclose(file), "cannot close HDF5 file")
    }

    // MARK: Groups and links

    /// Creates a group `name` in `location` (a file or group); close it with H5Gclose.
    static func createGroup(_ location: hid_t, _ name: String) throws -> hid_t {
        try checkLinkName(name, "group name")
        let gcpl = try reusedId("gcpl") {
            let gcpl = try id(H5Pcreate(exprun_H5P_GROUP_CREATE()), "cannot create group creation list")
            do {
                try ok(H5Pset_link_creation_order(gcpl, creationOrder), "cannot track link order")
                try ok(H5Pset_attr_creation_order(gcpl, creationOrder), "cannot track attribute order")
                try ok(H5Pset_attr_phase_change(gcpl, 128, 100), "cannot keep attributes compact")
                // No timestamps in object headers: the same run always gives the same objects.
                try ok(H5Pset_obj_track_times(gcpl, false), "cannot turn off time tracking")
            } catch {
                H5Pclose(gcpl)
                throw error
            }
            return gcpl
        }
        return try id(H5Gcreate2(location, name, defaultList, gcpl, defaultList), "cannot create group '\(name)'")
    }

    /// Opens the group at `path` (relative to `location`); close it with H5Gclose.
    static func openGroup(_ location: hid_t, _ path: String) throws -> hid_t {
        try id(H5Gopen2(location, path, defaultList), "cannot open group '\(path)'")
    }

    /// Whether every link of `components`, taken as a path from `location`, exists.
    static func exists(_ location: hid_t, _ components: [String]) -> Bool {
        var path = ""
        for component in components {
            if component.isEmpty || component.contains("/") { return false }
            path = path.isEmpty ? component : path + "/" + component
            if H5Lexists(location, path, defaultList) <= 0 {
                H5Eclear2(exprun_H5E_DEFAULT())
                return false
            }
        }
        return true
    }

    /// The links of a group in creation order (name order when the group does not track it),
    /// each with whether it is a group (otherwise a dataset or another object).
    static func children(_ group: hid_t) throws -> [(name: String, isGroup: Bool)] {
        let names = try namesInCreationOrder("group members") { index, list in
            H5Literate(group, index, H5_ITER_INC, nil, { _, name, _, data in
                guard let name, let data else { return -1 }
                data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                return 0
            }, list)
        }
        return try names.map { name in
            let object = try id(H5Oopen(group, name, defaultList), "cannot open '\(name)'")
            defer { H5Oclose(object) }
            return (name, H5Iget_type(object) == H5I_GROUP)
        }
    }

    // MARK: Attributes

    /// Writes attribute `name` on `object`: int -> int64, double -> float64, string -> vlen UTF-8,
    /// bool -> enum {FALSE, TRUE} over int8, list -> 1-D array of the narrowest element type.
    static func writeAttribute(_ object: hid_t, _ name: String, _ value: Value) throws {
        let array: H5Array
        let scalar: Bool
        switch value {
        case .int(let v): array = .ints([v]); scalar = true
        case .double(let v): array = .doubles([v]); scalar = true
        case .bool(let v): array = .bools([v]); scalar = true
        case .string(let v): array = .strings([v]); scalar = true
        case .list(let list): array = H5Array(list: list); scalar = false
        }
        var length = hsize_t(array.count)
        let space = try scalar ? reusedId("scalar") { try id(H5Screate(H5S_SCALAR), "cannot create a scalar dataspace") }
                               : id(H5Screate_simple(1, &length, nil), "cannot create dataspace for attribute '\(name)'")
        defer { if !scalar { H5Sclose(space) } }
        try withElements(array) { memory, file, elements in
            let attribute = try id(H5Acreate2(object, name, file, space, defaultList, defaultList),
                                   "cannot create attribute '\(name)'")
            defer { H5Aclose(attribute) }
            try ok(H5Awrite(attribute, memory, elements), "cannot write attribute '\(name)'")
        }
    }

    /// Reads attribute `name` of `object` back as the Value `writeAttribute` was given (a 1-D
    /// array attribute is a list; lists of mixed numbers come back as doubles).
    static func readAttribute(_ object: hid_t, _ name: String) throws -> Value {
        let attribute = try id(H5Aopen(object, name, defaultList), "cannot open attribute '\(name)'")
        defer { H5Aclose(attribute) }
        let space = try id(H5Aget_space(attribute), "cannot read dataspace of attribute '\(name)'")
        defer { H5Sclose(space) }
        let type = try id(H5Aget_type(attribute), "cannot read type of attribute '\(name)'")
        defer { H5Tclose(type) }
        let shape = H5Sget_simple_extent_type(space)
        let count = shape == H5S_NULL ? 0 : Int(H5Sget_simple_extent_npoints(space))
        let array = try readElements(fileType: type, space: space, count: count, what: "attribute '\(name)'") {
            H5Aread(attribute, $0, $1)
        }
        if shape == H5S_SCALAR, let value = array.values.first { return value }
        return .list(array.values)
    }

    /// Whether `object` has an attribute `name`.
    static func hasAttribute(_ object: hid_t, _ name: String) -> Bool {
        let answer = H5Aexists(object, name)
        if answer < 0 { H5Eclear2(exprun_H5E_DEFAULT()) }
        return answer > 0
    }

    /// Names collected by an HDF5 iteration (`iterate(index, list)` appends into `list`), in
    /// creation order, or in name order when the object does not track creation order.
    static func namesInCreationOrder(_ what: String,
                                     _ iterate: (H5_index_t, UnsafeMutablePointer<[String]>) -> herr_t) throws -> [String] {
        var names: [String] = []
        func run(_ index: H5_index_t) -> herr_t {
            names.removeAll()
            return withUnsafeMutablePointer(to: &names) { iterate(index, $0) }
        }
        if run(H5_INDEX_CRT_ORDER) < 0 {
            H5Eclear2(exprun_H5E_DEFAULT())
            try ok(run(H5_INDEX_NAME), "cannot list \(what)")
        }
        return names
    }

    /// Attribute names of `object` in creation order (name order when it is not tracked).
    static func attributeNames(_ object: hid_t) throws -> [String] {
        try namesInCreationOrder("attributes") { index, list in
            H5Aiterate2(object, index, H5_ITER_INC, nil, { _, name, _, data in
                guard let name, let data else { return -1 }
                data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                return 0
            }, list)
        }
    }

    /// Every attribute of `object`, in creation order.
    static func readAttributes(_ object: hid_t) throws -> [(String, Value)] {
        try attributeNames(object).map { ($0, try readAttribute(object, $0)) }
    }
}
