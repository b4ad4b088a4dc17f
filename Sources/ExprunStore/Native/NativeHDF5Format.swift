import ExprunCore
import Foundation

/// The pieces of the HDF5 file format (File Format Specification v3) that exprun's own files
/// use, encoded byte for byte as libhdf5 1.10 writes them with exprun's settings (libver bounds
/// v18..v110, creation order tracked and indexed, no times, compact attributes up to 128):
/// superblock v2, version-2 object headers, link info / group info / link messages, attribute
/// info and version-3 attribute messages, datatypes (int64, float64, the bool enum over int8, the
/// variable-length UTF-8 string over uchar), version-2 dataspaces, fill value v3 and contiguous
/// layout v3. The writer (NativeHDF5Writer.swift) and the reader (NativeHDF5Reader.swift) share
/// these constants, so what one writes the other recognises exactly.
enum NativeHDF5 {
    /// Thrown when a file or an object is outside the subset: the caller falls back to libhdf5.
    struct Unsupported: Error, CustomStringConvertible {
        let reason: String
        init(_ reason: String) { self.reason = reason }
        var description: String { "not in the native HDF5 subset: \(reason)" }
    }

    /// Whether exprun writes and reads its own files natively (the default), or only through
    /// libhdf5, the reference implementation (`EXPRUN_HDF5_WRITER=libhdf5`).
    static let enabled: Bool = {
        guard let raw = getenv("EXPRUN_HDF5_WRITER") else { return true }
        return String(cString: raw) != "libhdf5"
    }()

    static let undefined = UInt64.max
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
    static let superblockSize = 48

    // Message types.
    static let nilMessage: UInt8 = 0x00, dataspaceMessage: UInt8 = 0x01, linkInfoMessage: UInt8 = 0x02
    static let datatypeMessage: UInt8 = 0x03, fillValueMessage: UInt8 = 0x05, linkMessage: UInt8 = 0x06
    static let layoutMessage: UInt8 = 0x08, groupInfoMessage: UInt8 = 0x0a, attributeMessage: UInt8 = 0x0c
    static let continuationMessage: UInt8 = 0x10, modificationTimeMessage: UInt8 = 0x12
    static let attributeInfoMessage: UInt8 = 0x15

    /// Object header flags: creation order of attributes tracked (bit 2) and indexed (bit 3),
    /// attribute phase change values stored (bit 4); bits 0-1 are the width of chunk 0's size.
    static let groupHeaderFlags: UInt8 = 0x04 | 0x08 | 0x10
    /// exprun's groups keep up to this many attributes compact (H5Pset_attr_phase_change(128, 100)).
    static let maxCompactAttributes = 128, minDenseAttributes = 100
    /// The largest message an object header holds (its size field is 16 bits).
    static let maxMessageSize = 0xffff

    /// A global heap collection's minimum size (libhdf5's H5HG_MINSIZE).
    static let minCollectionSize = 4096

    /// The element types exprun stores.
    enum Element: Equatable {
        case int64, float64, bool, string

        var size: Int {
            switch self {
            case .int64, .float64: return 8
            case .bool: return 1
            case .string: return 16  // sequence length, collection address, object index
            }
        }

        /// The datatype message body.
        var encoded: [UInt8] {
            switch self {
            case .int64: return Self.int64Type
            case .float64: return Self.float64Type
            case .bool: return Self.boolType
            case .string: return Self.stringType
            }
        }
        private static let int64Type = encode(.int64), float64Type = encode(.float64)
        private static let boolType = encode(.bool), stringType = encode(.string)

        private static func encode(_ element: Element) -> [UInt8] {
            var out = ByteWriter()
            switch element {
            case .int64:
                out.bytes([0x10, 0x08, 0x00, 0x00]); out.u32(8); out.u16(0); out.u16(64)
            case .float64:
                out.bytes([0x11, 0x20, 0x3f, 0x00]); out.u32(8); out.u16(0); out.u16(64)
                out.bytes([52, 11, 0, 52]); out.u32(1023)
            case .bool:
                // Enum version 3 (names unpadded), 2 members, over a signed 8-bit integer.
                out.bytes([0x38, 0x02, 0x00, 0x00]); out.u32(1)
                out.bytes([0x10, 0x08, 0x00, 0x00]); out.u32(1); out.u16(0); out.u16(8)
                out.bytes(Array("FALSE".utf8) + [0] + Array("TRUE".utf8) + [0]); out.bytes([0, 1])
            case .string:
                // Variable-length (class 9) string, null-terminated padding, UTF-8, over uchar.
                out.bytes([0x19, 0x01, 0x01, 0x00]); out.u32(16)
                out.bytes([0x10, 0x00, 0x00, 0x00]); out.u32(1); out.u16(0); out.u16(8)
            }
            return out.data
        }

        init(of array: H5Array) {
            switch array {
            case .ints: self = .int64
            case .doubles: self = .float64
            case .bools: self = .bool
            case .strings: self = .string
            }
        }
    }

    /// A dataspace message body: scalar (`dims` nil) or simple with maximum = current dimensions.
    static func dataspace(_ dims: [Int]?) -> [UInt8] {
        guard let dims else { return scalarSpace }
        var out = ByteWriter(capacity: 4 + 16 * dims.count)
        out.bytes([2, UInt8(dims.count), 1, 1])
        for d in dims { out.u64(UInt64(d)) }
        for d in dims { out.u64(UInt64(d)) }
        return out.data
    }

    static let scalarSpace: [UInt8] = [2, 0, 0, 0]
    static let headerSignature = Array("OHDR".utf8), chunkSignature = Array("OCHK".utf8)
    static let heapSignature = Array("GCOL".utf8)

    /// Calls `body` with the bytes libhdf5 stores for a string: its UTF-8 up to the first NUL
    /// (HDF5 takes C strings), without copying them.
    static func withCString<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var s = s
        return try s.withUTF8 { utf8 in
            try body(UnsafeBufferPointer(rebasing: utf8[..<(utf8.firstIndex(of: 0) ?? utf8.count)]))
        }
    }
}

/// Little-endian bytes appended to a buffer. The storage is kept at its capacity (zeros past
/// `count`) and written in place: appending a UInt64 is one store, where Array's append of a
/// few bytes costs ~100 instructions (a merge appends millions of them).
struct ByteWriter {
    private var storage: [UInt8]
    /// The number of bytes written.
    private(set) var count = 0

    /// `capacity` is reserved, not filled: a shard's writer reserves a megabyte and touches a
    /// few kilobytes of it (zero-filling it all was a page fault per 4 KiB, per shard).
    init(capacity: Int = 64) {
        storage = []
        storage.reserveCapacity(capacity)
        storage.append(contentsOf: repeatElement(0, count: min(max(capacity, 16), 256)))
    }

    /// The bytes written (a copy).
    var data: [UInt8] { Array(storage[..<count]) }

    @inline(__always) private mutating func reserve(_ n: Int) {
        if count + n > storage.count { storage.append(contentsOf: repeatElement(0, count: max(storage.count, n))) }
    }

    @inline(__always) private mutating func store<T: FixedWidthInteger>(_ v: T) {
        reserve(MemoryLayout<T>.size)
        let at = count
        storage.withUnsafeMutableBytes { $0.storeBytes(of: v.littleEndian, toByteOffset: at, as: T.self) }
        count += MemoryLayout<T>.size
    }

    mutating func u8(_ v: UInt8) { store(v) }
    mutating func u16(_ v: UInt16) { store(v) }
    mutating func u32(_ v: UInt32) { store(v) }
    mutating func u64(_ v: UInt64) { store(v) }
    /// An unsigned integer in `width` bytes (1, 2, 4 or 8).
    mutating func uint(_ v: UInt64, width: Int) {
        switch width {
        case 1: u8(UInt8(truncatingIfNeeded: v))
        case 2: u16(UInt16(truncatingIfNeeded: v))
        case 4: u32(UInt32(truncatingIfNeeded: v))
        default: u64(v)
        }
    }

    mutating func bytes(_ b: UnsafeRawBufferPointer) {
        guard b.count > 0 else { return }
        reserve(b.count)
        let at = count
        storage.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: at).copyMemory(from: b.baseAddress!, byteCount: b.count) }
        count += b.count
    }
    mutating func bytes(_ b: UnsafeBufferPointer<UInt8>) { bytes(UnsafeRawBufferPointer(b)) }
    mutating func bytes(_ b: [UInt8]) { b.withUnsafeBytes { bytes($0) } }
    mutating func bytes(_ other: ByteWriter) { other.withUnsafeBytes { bytes($0) } }
    mutating func zeros(_ n: Int) {
        reserve(n)
        let at = count
        storage.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: at).initializeMemory(as: UInt8.self, repeating: 0, count: n) }
        count += n
    }

    /// Overwrites bytes already written, from `offset`.
    mutating func patch(_ b: [UInt8], at offset: Int) {
        precondition(offset >= 0 && offset + b.count <= count)
        storage.replaceSubrange(offset..<(offset + b.count), with: b)
    }
    mutating func patch16(_ v: UInt16, at offset: Int) {
        precondition(offset >= 0 && offset + 2 <= count)
        storage.withUnsafeMutableBytes { $0.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt16.self) }
    }

    mutating func removeAll() { count = 0 }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }
}

/// Little-endian reads from a byte array; every read is bounds-checked and throws
/// `NativeHDF5.Unsupported` past the end (a truncated or foreign file).
struct ByteReader {
    let data: UnsafeRawBufferPointer
    var at: Int

    mutating func need(_ n: Int) throws {
        guard n >= 0, at >= 0, at <= data.count - n else { throw NativeHDF5.Unsupported("read past the end of the file") }
    }
    mutating func u8() throws -> UInt8 { try need(1); defer { at += 1 }; return data[at] }
    mutating func uint(_ width: Int) throws -> UInt64 {
        try need(width)
        defer { at += width }
        switch width {
        case 1: return UInt64(data[at])
        case 2: return UInt64(UInt16(littleEndian: data.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
        case 4: return UInt64(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        case 8: return UInt64(littleEndian: data.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        default:
            var v: UInt64 = 0
            for i in 0..<min(width, 8) { v |= UInt64(data[at + i]) << (8 * UInt64(i)) }
            return v
        }
    }
    mutating func u16() throws -> Int { Int(try uint(2)) }
    mutating func u32() throws -> Int { Int(try uint(4)) }
    mutating func u64() throws -> UInt64 { try uint(8) }
    mutating func bytes(_ n: Int) throws -> UnsafeRawBufferPointer {
        try need(n)
        defer { at += n }
        return UnsafeRawBufferPointer(rebasing: data[at..<(at + n)])
    }
    mutating func skip(_ n: Int) throws { try need(n); at += n }
}
