import ExprunCore
import Foundation

/// Reads the HDF5 files exprun writes, natively: the subset of NativeHDF5Format.swift (which
/// libhdf5 itself also writes for a shard: superblock v2, version-2 object headers with
/// continuation chunks, compact links and attributes, contiguous or compact datasets of int64,
/// float64, the bool enum and variable-length strings). Checksums are verified. Anything else
/// (dense link or attribute storage, chunked data, other types, old superblocks, a bad
/// checksum, a truncated file) throws `NativeHDF5.Unsupported`, and the caller reads the file
/// through libhdf5 instead, which reads it or reports the precise error.
///
/// A shard (kilobytes) is read whole; a larger file (a results.h5 whose runs an incremental
/// merge keeps) is mapped read-only, so only the pages of the objects read are loaded.
/// `maxBytes` bounds it.
final class NativeHDF5Reader {
    private let mapping: UnsafeRawBufferPointer
    let root: UInt64
    /// The global heap collections of the file (string data), parsed as they are asked for.
    private var heap = GlobalHeapIndex()
    static let maxBytes = 1 << 40
    /// Files up to this size are read rather than mapped.
    static let readLimit = 1 << 20
    private let mapped: Bool
    /// Where names and short string values come from (shared by the readers of one merge).
    private let strings: InternedStrings

    init(path: String, strings: InternedStrings = InternedStrings()) throws {
        self.strings = strings
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw NativeHDF5.Unsupported("cannot open \(path)") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= NativeHDF5.superblockSize, info.st_size <= Self.maxBytes else {
            throw NativeHDF5.Unsupported("\(path) is too small or too large")
        }
        let size = Int(info.st_size)
        // A shard is read (one read(2) costs less than mapping and unmapping it); a larger file
        // is mapped, so only the pages of the objects read are loaded.
        mapped = size > Self.readLimit
        let base: UnsafeMutableRawPointer
        if mapped {
            guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
                throw NativeHDF5.Unsupported("cannot map \(path)")
            }
            base = address
        } else {
            base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            var done = 0
            while done < size {
                let n = read(fd, base + done, size - done)
                if n <= 0 { break }
                done += n
            }
            guard done == size else {
                base.deallocate()
                throw NativeHDF5.Unsupported("cannot read \(path)")
            }
        }
        let raw = UnsafeRawBufferPointer(start: base, count: size)
        mapping = raw
        do {
            guard Array(raw[0..<8]) == NativeHDF5.signature, raw[8] == 2 || raw[8] == 3, raw[9] == 8, raw[10] == 8
            else { throw NativeHDF5.Unsupported("not a version 2/3 superblock with 8-byte offsets") }
            var r = ByteReader(data: raw, at: 44)
            guard HDF5Checksum.lookup3(UnsafeRawBufferPointer(rebasing: raw[0..<44])) == UInt32(try r.u32())
            else { throw NativeHDF5.Unsupported("superblock checksum") }
            r.at = 12
            guard try r.u64() == 0 else { throw NativeHDF5.Unsupported("base address") }
            guard try r.u64() == NativeHDF5.undefined else { throw NativeHDF5.Unsupported("superblock extension") }
            guard try r.u64() <= UInt64(size) else { throw NativeHDF5.Unsupported("truncated file") }
            root = try r.u64()
        } catch {
            if mapped { munmap(base, size) } else { base.deallocate() }
            throw error
        }
    }

    /// Lets the kernel drop the pages of a mapped file read so far (they are read again from the
    /// page cache if asked for): an incremental merge reads a whole results.h5 of hundreds of
    /// MB once, in order, and its resident memory would otherwise grow to the file's size.
    func releasePages() {
        guard mapped, let base = mapping.baseAddress else { return }
        madvise(UnsafeMutableRawPointer(mutating: base), mapping.count, MADV_DONTNEED)
    }

    deinit {
        let base = UnsafeMutableRawPointer(mutating: mapping.baseAddress!)
        if mapped { munmap(base, mapping.count) } else { base.deallocate() }
    }

    /// One object: a group (attributes, links in creation order) or a dataset.
    struct Object {
        var attributes: [(String, Value)] = []
        var links: [(name: String, address: UInt64)] = []
        var isGroup = false
        var dataset: (data: H5Array, columns: Int)?
    }

    /// The object whose header is at `address`.
    func object(at address: UInt64) throws -> Object {
        try parse(mapping, address)
    }

    /// The address of the object at `path` (names from the root).
    func address(of path: [String]) throws -> UInt64? {
        var here = root
        for name in path {
            guard let next = try object(at: here).links.first(where: { $0.name == name })?.address else { return nil }
            here = next
        }
        return here
    }

    /// The group at `address` as a StoredRun (attributes, datasets and subgroups, recursively).
    func storedRun(at address: UInt64, depth: Int = 0) throws -> StoredRun {
        guard depth < 8 else { throw NativeHDF5.Unsupported("groups nested too deep") }
        let group = try object(at: address)
        guard group.isGroup else { throw NativeHDF5.Unsupported("not a group") }
        var members: [(name: String, member: StoredRun.Member)] = []
        for link in group.links {
            let child = try object(at: link.address)
            if child.isGroup {
                members.append((link.name, .group(try storedRun(at: link.address, depth: depth + 1))))
            } else if let dataset = child.dataset {
                members.append((link.name, .dataset(dataset.data, columns: dataset.columns)))
            } else {
                throw NativeHDF5.Unsupported("an object that is neither a group nor a dataset")
            }
        }
        return StoredRun(attributes: group.attributes, members: members)
    }

    // MARK: Parsing

    private func parse(_ raw: UnsafeRawBufferPointer, _ address: UInt64) throws -> Object {
        guard address < UInt64(raw.count) else { throw NativeHDF5.Unsupported("address past the end") }
        var r = ByteReader(data: raw, at: Int(address))
        guard try r.bytes(4).elementsEqual(NativeHDF5.headerSignature), try r.u8() == 2 else {
            throw NativeHDF5.Unsupported("not a version-2 object header")
        }
        let flags = try r.u8()
        if flags & 0x20 != 0 { try r.skip(16) }
        if flags & 0x10 != 0 { try r.skip(4) }
        let size = Int(try r.uint(1 << Int(flags & 3)))
        let tracksOrder = flags & 0x04 != 0
        var chunks = [(start: r.at, end: r.at + size, checksumFrom: Int(address))]
        var object = Object()
        // Attributes straight into the object, their creation order beside them (sorted only if out of order).
        var attributeOrder: [Int] = []
        var links: [(order: Int, name: String, address: UInt64)] = []
        var dims: [Int]?, isScalar = false, element: NativeHDF5.Element?, layout: (address: UInt64, size: Int, inline: Range<Int>?)?
        var chunkIndex = 0
        while chunkIndex < chunks.count {
            let chunk = chunks[chunkIndex]
            chunkIndex += 1
            guard chunk.end >= chunk.start, chunk.end <= raw.count - 4 else { throw NativeHDF5.Unsupported("object header past the end") }
            let stored = UInt32(try { var c = ByteReader(data: raw, at: chunk.end); return try c.uint(4) }())
            guard HDF5Checksum.lookup3(UnsafeRawBufferPointer(rebasing: raw[chunk.checksumFrom..<chunk.end])) == stored else {
                throw NativeHDF5.Unsupported("object header checksum")
            }
            var m = ByteReader(data: raw, at: chunk.start)
            let headerSize = tracksOrder ? 6 : 4
            while m.at + headerSize <= chunk.end {
                let type = try m.u8(), length = try m.u16(), messageFlags = try m.u8()
                let order = tracksOrder ? try m.u16() : 0
                guard m.at + length <= chunk.end else { throw NativeHDF5.Unsupported("message past its chunk") }
                guard messageFlags & 0x02 == 0 else { throw NativeHDF5.Unsupported("a shared message") }
                var body = ByteReader(data: UnsafeRawBufferPointer(rebasing: raw[m.at..<(m.at + length)]), at: 0)
                switch type {
                case NativeHDF5.nilMessage, NativeHDF5.fillValueMessage, NativeHDF5.modificationTimeMessage:
                    break
                case NativeHDF5.groupInfoMessage:
                    object.isGroup = true
                case NativeHDF5.linkInfoMessage:
                    object.isGroup = true
                    guard try body.u8() == 0 else { throw NativeHDF5.Unsupported("link info version") }
                    let f = try body.u8()
                    if f & 1 != 0 { try body.skip(8) }
                    guard try body.u64() == NativeHDF5.undefined else { throw NativeHDF5.Unsupported("dense link storage") }
                case NativeHDF5.attributeInfoMessage:
                    guard try body.u8() == 0 else { throw NativeHDF5.Unsupported("attribute info version") }
                    let f = try body.u8()
                    if f & 1 != 0 { try body.skip(2) }
                    guard try body.u64() == NativeHDF5.undefined else { throw NativeHDF5.Unsupported("dense attribute storage") }
                case NativeHDF5.continuationMessage:
                    let at = try body.u64(), len = try body.u64()
                    guard at < UInt64(raw.count), len >= 8, len <= UInt64(raw.count) - at else { throw NativeHDF5.Unsupported("continuation past the end") }
                    var c = ByteReader(data: raw, at: Int(at))
                    guard try c.bytes(4).elementsEqual(NativeHDF5.chunkSignature) else { throw NativeHDF5.Unsupported("continuation signature") }
                    chunks.append((Int(at) + 4, Int(at) + Int(len) - 4, Int(at)))
                case NativeHDF5.linkMessage:
                    links.append(try link(&body, order))
                case NativeHDF5.attributeMessage:
                    object.attributes.append(try attribute(&body, raw))
                    attributeOrder.append(order)
                case NativeHDF5.dataspaceMessage:
                    (dims, isScalar) = try dataspace(&body)
                case NativeHDF5.datatypeMessage:
                    element = try datatype(&body)
                case NativeHDF5.layoutMessage:
                    guard try body.u8() == 3 else { throw NativeHDF5.Unsupported("layout version") }
                    switch try body.u8() {
                    case 0:
                        let n = try body.u16()
                        let start = m.at + body.at
                        try body.skip(n)
                        layout = (0, n, start..<(start + n))
                    case 1: layout = (try body.u64(), Int(try body.u64()), nil)
                    default: throw NativeHDF5.Unsupported("chunked or virtual layout")
                    }
                default:
                    throw NativeHDF5.Unsupported("object header message type \(type)")
                }
                m.at += length
            }
        }
        if tracksOrder {
            if zip(attributeOrder, attributeOrder.dropFirst()).contains(where: { $0 > $1 }) {
                object.attributes = attributeOrder.indices.sorted { attributeOrder[$0] < attributeOrder[$1] }.map { object.attributes[$0] }
            }
        } else {
            object.attributes.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        }
        let ordered = links.allSatisfy { $0.order >= 0 }
        links.sort { ordered ? $0.order < $1.order : Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        object.links = links.map { ($0.name, $0.address) }
        if !object.isGroup {
            guard let element, let layout, !isScalar, let dims else { throw NativeHDF5.Unsupported("an incomplete dataset") }
            let count = dims.reduce(1, *)
            guard count >= 0, count <= layout.size / element.size || count == 0 else { throw NativeHDF5.Unsupported("dataset data too short") }
            let data: H5Array
            if let inline = layout.inline {
                data = try decode(UnsafeRawBufferPointer(rebasing: raw[inline]), element, count, raw)
            } else if count == 0 {
                data = try decode(UnsafeRawBufferPointer(rebasing: raw[0..<0]), element, 0, raw)
            } else {
                guard layout.address < UInt64(raw.count), UInt64(layout.size) <= UInt64(raw.count) - layout.address else {
                    throw NativeHDF5.Unsupported("dataset data past the end")
                }
                let start = Int(layout.address)
                data = try decode(UnsafeRawBufferPointer(rebasing: raw[start..<(start + layout.size)]), element, count, raw)
            }
            object.dataset = (data, dims.count == 2 ? dims[1] : 1)
        }
        return object
    }

    /// A link message: a hard link's name and target (creation order -1 when not stored).
    private func link(_ body: inout ByteReader, _ order: Int) throws -> (order: Int, name: String, address: UInt64) {
        guard try body.u8() == 1 else { throw NativeHDF5.Unsupported("link version") }
        let f = try body.u8()
        if f & 0x08 != 0 { guard try body.u8() == 0 else { throw NativeHDF5.Unsupported("a soft or external link") } }
        let creation = f & 0x04 != 0 ? Int(truncatingIfNeeded: try body.u64()) : -1
        if f & 0x10 != 0 { try body.skip(1) }
        let n = Int(try body.uint(1 << Int(f & 3)))
        let name = strings.string(try body.bytes(n))
        return (creation, name, try body.u64())
    }

    private func dataspace(_ body: inout ByteReader) throws -> (dims: [Int]?, scalar: Bool) {
        let version = try body.u8()
        let rank = Int(try body.u8()), f = try body.u8()
        var type: UInt8 = 1
        if version == 2 { type = try body.u8() } else if version == 1 { try body.skip(5) } else {
            throw NativeHDF5.Unsupported("dataspace version")
        }
        if version == 1 && rank == 0 { type = 0 }
        switch type {
        case 0: return ([], true)
        case 2: return ([0], false)
        case 1:
            var dims: [Int] = []
            for _ in 0..<rank {
                let d = try body.u64()
                guard d <= UInt64(Self.maxBytes) else { throw NativeHDF5.Unsupported("dimension too large") }
                dims.append(Int(d))
            }
            _ = f
            return (dims, false)
        default: throw NativeHDF5.Unsupported("dataspace type")
        }
    }

    private static let commonTypes = [NativeHDF5.Element.int64, .float64, .string].map { ($0, $0.encoded) }

    private func datatype(_ body: inout ByteReader) throws -> NativeHDF5.Element {
        // The encodings exprun writes, recognised whole (most messages of a run are these).
        let rest = UnsafeRawBufferPointer(rebasing: body.data[body.at...])
        for (element, known) in Self.commonTypes {
            if rest.count >= known.count, known.withUnsafeBytes({ memcmp($0.baseAddress!, rest.baseAddress!, known.count) }) == 0 {
                body.at += known.count
                return element
            }
        }
        let classVersion = try body.u8(), b0 = try body.u8(), b1 = try body.u8(), b2 = try body.u8()
        let size = try body.u32()
        switch classVersion & 0x0f {
        case 0 where size == 8 && b0 & 0x09 == 0x08: return .int64           // signed little-endian
        case 1 where size == 8 && b0 & 0x41 == 0 && b1 == 63: return .float64  // IEEE little-endian
        case 8 where size == 1 && b0 == 2 && b1 == 0:
            // h5py's bool: FALSE = 0, TRUE = 1 over a 1-byte integer.
            let start = body.at
            let rest = Array(try body.bytes(body.data.count - start))
            let base = Array(rest.prefix(12))
            guard base.count == 12, base[0] & 0x0f == 0, base[4] == 1 else { throw NativeHDF5.Unsupported("enum base") }
            let names = rest.dropFirst(12)
            let v3 = Array("FALSE".utf8) + [0] + Array("TRUE".utf8) + [0] + [0, 1]
            let v1 = Array("FALSE".utf8) + [0, 0, 0] + Array("TRUE".utf8) + [0, 0, 0, 0] + [0, 1]
            guard Array(names.prefix(v3.count)) == v3 || Array(names.prefix(v1.count)) == v1 else {
                throw NativeHDF5.Unsupported("an enum other than bool")
            }
            return .bool
        case 9 where size == 16 && b0 & 0x0f == 1: return .string
        default:
            _ = b2
            throw NativeHDF5.Unsupported("datatype class \(classVersion & 0x0f) of size \(size)")
        }
    }

    private func attribute(_ body: inout ByteReader, _ raw: UnsafeRawBufferPointer) throws -> (String, Value) {
        guard try body.u8() == 3 else { throw NativeHDF5.Unsupported("attribute version") }
        try body.skip(1)
        let nameSize = try body.u16(), typeSize = try body.u16(), spaceSize = try body.u16()
        try body.skip(1)
        let nameBytes = try body.bytes(nameSize)
        let name = strings.string(UnsafeRawBufferPointer(rebasing: nameBytes.prefix { $0 != 0 }))
        var typeReader = ByteReader(data: try body.bytes(typeSize), at: 0)
        let element = try datatype(&typeReader)
        var spaceReader = ByteReader(data: try body.bytes(spaceSize), at: 0)
        let (dims, scalar) = try dataspace(&spaceReader)
        let count = scalar ? 1 : (dims ?? []).reduce(1, *)
        guard count <= (body.data.count - body.at) / element.size else { throw NativeHDF5.Unsupported("attribute data too short") }
        let data = try body.bytes(count * element.size)
        if scalar {
            // One value, without the arrays of the general case.
            var r = ByteReader(data: data, at: 0)
            switch element {
            case .int64: return (name, .int(Int(Int64(bitPattern: try r.u64()))))
            case .float64: return (name, .double(Double(bitPattern: try r.u64())))
            case .bool: return (name, .bool(try r.u8() != 0))
            case .string: return (name, .string(try string(&r, raw)))
            }
        }
        let values = try decode(data, element, count, raw).values
        if scalar, let value = values.first { return (name, value) }
        return (name, .list(values))
    }

    /// `count` elements of `element` from `data` (strings through the global heap).
    private func decode(_ data: UnsafeRawBufferPointer, _ element: NativeHDF5.Element, _ count: Int,
                        _ raw: UnsafeRawBufferPointer) throws -> H5Array {
        var r = ByteReader(data: data, at: 0)
        switch element {
        case .int64: return .ints(try (0..<count).map { _ in Int(Int64(bitPattern: try r.u64())) })
        case .float64: return .doubles(try (0..<count).map { _ in Double(bitPattern: try r.u64()) })
        case .bool: return .bools(try (0..<count).map { _ in try r.u8() != 0 })
        case .string: return .strings(try (0..<count).map { _ in try string(&r, raw) })
        }
    }

    /// A variable-length string element: its reference at `r`, its bytes in the global heap.
    private func string(_ r: inout ByteReader, _ raw: UnsafeRawBufferPointer) throws -> String {
        let length = try r.u32(), collection = try r.u64(), index = UInt32(try r.u32())
        if length == 0 && collection == 0 { return "" }
        let objects = try heap.objects(collection, raw)
        guard index < objects.count, let range = objects[Int(index)], range.count >= length else {
            throw NativeHDF5.Unsupported("a string outside the global heap")
        }
        return strings.string(UnsafeRawBufferPointer(rebasing: raw[range.lowerBound..<(range.lowerBound + length)]))
    }
}
