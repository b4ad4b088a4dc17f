import ExprunCore
import Foundation

/// Writes an HDF5 file by encoding the file format directly (NativeHDF5Format.swift), for the
/// objects exprun writes: groups with attributes and compact links, and 1-D / 2-D contiguous
/// datasets. A libhdf5 call costs microseconds of bookkeeping (ids, metadata cache, free lists);
/// a run group of 44 attributes took ~600 us through it, and is a few kilobytes of bytes here.
///
/// Streaming: objects are written children first (a group's header holds its children's
/// addresses) and appended at the end of the file; only the current global heap collection and
/// an output buffer are kept, so memory does not grow with the file. The superblock is written
/// last, at offset 0. The caller writes under a temporary name and renames (see HDF5.swift).
///
/// Anything outside the subset (a chunked dataset, more than 128 attributes on a group, an
/// attribute over 64 KiB) throws `NativeHDF5.Unsupported`; the caller then discards the file
/// and writes it whole through libhdf5.
final class NativeHDF5Writer {
    private var fd: Int32
    let path: String
    /// File offset of `buffer`'s first byte; `buffer` holds what is not yet written.
    private var bufferStart: UInt64 = 0
    /// Grows to `flushSize` for a large file; a shard needs a few kilobytes.
    private var buffer = ByteWriter(capacity: 1 << 16)
    /// The global heap collection being filled (its objects so far in `heapBody`), if any.
    private var heapAddress: UInt64?
    private var heapSize = 0, heapNextIndex: UInt16 = 1
    private var heapBody = ByteWriter(capacity: 4096)
    private let collectionSize: Int
    private static let flushSize = 1 << 20

    /// Creates (truncates) `path`. `collectionSize`: the size of each global heap collection of
    /// string data (small for a shard, larger for results.h5, which holds many runs' strings).
    init(path: String, collectionSize: Int = NativeHDF5.minCollectionSize) throws {
        self.path = path
        self.collectionSize = max(collectionSize, NativeHDF5.minCollectionSize)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw StoreError("cannot create \(path): \(String(cString: strerror(errno)))") }
        buffer.zeros(NativeHDF5.superblockSize)
    }

    deinit { if fd >= 0 { close(fd) } }

    private var end: UInt64 { bufferStart + UInt64(buffer.count) }

    // MARK: Output

    /// Appends `bytes` at the end of the file; returns their address.
    private func append(_ bytes: [UInt8]) throws -> UInt64 {
        let address = end
        buffer.bytes(bytes)
        if buffer.count >= Self.flushSize { try flush() }
        return address
    }

    /// Writes `bytes` at `address` (already allocated: in the buffer or already on disk).
    private func patch(_ bytes: [UInt8], at address: UInt64) throws {
        if address >= bufferStart {
            buffer.patch(bytes, at: Int(address - bufferStart))
            return
        }
        try bytes.withUnsafeBytes { try writeAll($0, at: address) }
    }

    /// pwrite(2) of all of `raw` at `offset`, every write checked.
    private func writeAll(_ raw: UnsafeRawBufferPointer, at offset: UInt64) throws {
        guard writeFully(fd, raw, at: offset) else { throw StoreError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try writeAll($0, at: bufferStart) }
        bufferStart += UInt64(buffer.count)
        buffer.removeAll()
    }

    /// Writes the last heap collection and the superblock (root group at `root`), and closes.
    func finish(root: UInt64) throws {
        try finishCollection()
        var sb = ByteWriter(capacity: NativeHDF5.superblockSize)
        sb.bytes(NativeHDF5.signature)
        sb.bytes([2, 8, 8, 0])
        sb.u64(0)                      // base address
        sb.u64(NativeHDF5.undefined)   // no superblock extension
        sb.u64(end)                    // end of file
        sb.u64(root)
        sb.u32(HDF5Checksum.lookup3(sb.data))
        try patch(sb.data, at: 0)
        try flush()
        let status = close(fd)
        fd = -1
        if status != 0 { throw StoreError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    // MARK: Global heap (variable-length string data)

    /// Stores `bytes` as a global heap object; returns its collection's address and its index.
    private func heapObject(_ bytes: UnsafeBufferPointer<UInt8>) throws -> (UInt64, UInt32) {
        let need = 16 + (bytes.count + 7) / 8 * 8
        if heapAddress == nil || 16 + heapBody.count + need > heapSize || heapNextIndex == UInt16.max {
            try finishCollection()
            let size = max(collectionSize, (16 + need + 16 + 4095) / 4096 * 4096)
            // Reserved now (zeros), filled in when full: the objects that point into it follow it.
            heapAddress = end
            heapSize = size
            heapNextIndex = 1
            buffer.zeros(size)
            if buffer.count >= Self.flushSize { try flush() }
        }
        let index = heapNextIndex
        heapNextIndex += 1
        heapBody.u16(index); heapBody.u16(0); heapBody.u32(0); heapBody.u64(UInt64(bytes.count))
        heapBody.bytes(bytes)
        heapBody.zeros((8 - bytes.count % 8) % 8)
        return (heapAddress!, UInt32(index))
    }

    private func finishCollection() throws {
        guard let address = heapAddress else { return }
        heapAddress = nil
        let free = heapSize - 16 - heapBody.count
        if free >= 16 {
            // The free-space object (index 0); its size counts its own header.
            heapBody.u16(0); heapBody.u16(0); heapBody.u32(0); heapBody.u64(UInt64(free))
        }
        var collection = ByteWriter(capacity: 16 + heapBody.count)
        collection.bytes(NativeHDF5.heapSignature); collection.bytes([1, 0, 0, 0]); collection.u64(UInt64(heapSize))
        collection.bytes(heapBody)
        heapBody.removeAll()
        try patch(collection.data, at: address)
    }

    // MARK: Element data

    /// Appends the raw bytes of `array` in its file type (strings as global heap references).
    private func encode(_ array: H5Array, into out: inout ByteWriter) throws {
        switch array {
        case .ints(let v): for x in v { out.u64(UInt64(bitPattern: Int64(x))) }
        case .doubles(let v): for x in v { out.u64(x.bitPattern) }
        case .bools(let v): for x in v { out.u8(x ? 1 : 0) }
        case .strings(let v):
            for s in v { try string(s, into: &out) }
        }
    }

    /// A string element: its bytes go to the global heap, its reference to `out`.
    private func string(_ s: String, into out: inout ByteWriter) throws {
        try NativeHDF5.withCString(s) { bytes in
            let (collection, index) = try heapObject(bytes)
            out.u32(UInt32(bytes.count)); out.u64(collection); out.u32(index)
        }
    }

    private func encode(_ array: H5Array) throws -> [UInt8] {
        var out = ByteWriter(capacity: array.count * NativeHDF5.Element(of: array).size)
        try encode(array, into: &out)
        return out.data
    }

    // MARK: Objects

    /// One object header under construction.
    private struct Header {
        let tracksOrder: Bool
        var messages: ByteWriter

        /// `capacity`: the expected size of the messages (a /runs of many links is megabytes).
        init(tracksOrder: Bool, capacity: Int = 1024) {
            self.tracksOrder = tracksOrder
            messages = ByteWriter(capacity: capacity)
        }

        mutating func add(_ type: UInt8, flags: UInt8 = 0, order: Int = 0, _ body: [UInt8]) throws {
            let start = begin(type, flags: flags, order: order)
            messages.bytes(body)
            try end(start)
        }

        /// Starts a message whose body the caller appends to `messages`; `end` sets its size.
        mutating func begin(_ type: UInt8, flags: UInt8 = 0, order: Int = 0) -> Int {
            messages.u8(type)
            let start = messages.count
            messages.u16(0); messages.u8(flags)
            if tracksOrder { messages.u16(UInt16(truncatingIfNeeded: order)) }
            return start
        }

        mutating func end(_ start: Int) throws {
            let size = messages.count - start - (tracksOrder ? 5 : 3)
            guard size <= NativeHDF5.maxMessageSize else { throw NativeHDF5.Unsupported("a message over 64 KiB") }
            messages.patch16(UInt16(size), at: start)
        }

        /// Appends the whole header to `out`: prefix, chunk 0 (the messages), checksum.
        func encode(flags: UInt8, into out: inout ByteWriter) {
            let start = out.count
            let size = messages.count
            let width = size < 0x100 ? 0 : size < 0x1_0000 ? 1 : size < 0x1_0000_0000 ? 2 : 3
            out.bytes(NativeHDF5.headerSignature); out.u8(2); out.u8(flags | UInt8(width))
            if flags & 0x10 != 0 {
                out.u16(UInt16(NativeHDF5.maxCompactAttributes)); out.u16(UInt16(NativeHDF5.minDenseAttributes))
            }
            out.uint(UInt64(size), width: 1 << width)
            out.bytes(messages)
            out.u32(out.withUnsafeBytes { HDF5Checksum.lookup3(UnsafeRawBufferPointer(rebasing: $0[start...])) })
        }
    }

    /// Appends an object header at the end of the file, encoded in place; returns its address.
    private func append(_ header: Header, flags: UInt8) throws -> UInt64 {
        let address = end
        guard header.messages.count > Self.flushSize else {
            header.encode(flags: flags, into: &buffer)
            if buffer.count >= Self.flushSize { try flush() }
            return address
        }
        // A header larger than the buffer (the /runs of a big sweep) is written on its own,
        // rather than growing the buffer to twice its size for the rest of the file.
        try flush()
        var out = ByteWriter(capacity: header.messages.count + 64)
        header.encode(flags: flags, into: &out)
        try out.withUnsafeBytes { try writeAll($0, at: bufferStart) }
        bufferStart += UInt64(out.count)
        return address
    }

    /// Writes a group: its attributes in order, then links to `links` (name, object address) in
    /// order, as exprun's groups are (creation order tracked and indexed, compact storage).
    func writeGroup(attributes: [(String, Value)], links: [(name: String, address: UInt64)]) throws -> UInt64 {
        guard attributes.count <= NativeHDF5.maxCompactAttributes else {
            throw NativeHDF5.Unsupported("more than \(NativeHDF5.maxCompactAttributes) attributes")
        }
        // A link message is 20 bytes and the name.
        var header = Header(tracksOrder: true, capacity: links.reduce(1024) { $0 + 24 + $1.name.utf8.count })
        var linkInfo = ByteWriter(capacity: 34)
        linkInfo.bytes([0, 3]); linkInfo.u64(UInt64(links.count))
        for _ in 0..<3 { linkInfo.u64(NativeHDF5.undefined) }
        try header.add(NativeHDF5.linkInfoMessage, linkInfo.data)
        try header.add(NativeHDF5.groupInfoMessage, flags: 1, [0, 0])
        if !attributes.isEmpty {
            var info = ByteWriter(capacity: 28)
            info.bytes([0, 3]); info.u16(UInt16(attributes.count))
            for _ in 0..<3 { info.u64(NativeHDF5.undefined) }
            try header.add(NativeHDF5.attributeInfoMessage, flags: 4, info.data)
        }
        for (order, (name, value)) in attributes.enumerated() {
            try attribute(name, value, order: order, into: &header)
        }
        for (order, link) in links.enumerated() {
            try HDF5.checkLinkName(link.name, "link name")
            let name = Array(link.name.utf8)
            var body = ByteWriter(capacity: 20 + name.count)
            body.u8(1)
            if name.count < 0x100 {
                body.u8(0x04); body.u64(UInt64(order)); body.u8(UInt8(name.count))
            } else {
                body.u8(0x05); body.u64(UInt64(order)); body.u16(UInt16(name.count))
            }
            body.bytes(name); body.u64(link.address)
            try header.add(NativeHDF5.linkMessage, body.data)
        }
        return try append(header, flags: NativeHDF5.groupHeaderFlags)
    }

    /// Version-3 attribute message: scalar for a scalar value, 1-D for a list (narrowest type),
    /// encoded straight into the header (a run's 44 attributes are most of a merge's writing).
    private func attribute(_ name: String, _ value: Value, order: Int, into header: inout Header) throws {
        let element: NativeHDF5.Element, count: Int, space: [UInt8]
        var list: H5Array?
        switch value {
        case .int: element = .int64
        case .double: element = .float64
        case .bool: element = .bool
        case .string: element = .string
        case .list(let values):
            list = H5Array(list: values)
            element = NativeHDF5.Element(of: list!)
        }
        if let list { count = list.count; space = NativeHDF5.dataspace([count]) } else { count = 1; space = NativeHDF5.scalarSpace }
        let type = element.encoded
        try NativeHDF5.withCString(name) { nameBytes in
            guard !nameBytes.isEmpty else { throw StoreError("attribute name '\(name)' is empty") }
            // Check the size before the data: strings would go to the heap first.
            let size = 9 + nameBytes.count + 1 + type.count + space.count + count * element.size
            guard size <= NativeHDF5.maxMessageSize else { throw NativeHDF5.Unsupported("attribute '\(name)' over 64 KiB") }
            let start = header.begin(NativeHDF5.attributeMessage, order: order)
            header.messages.bytes([3, 0]); header.messages.u16(UInt16(nameBytes.count + 1))
            header.messages.u16(UInt16(type.count)); header.messages.u16(UInt16(space.count))
            header.messages.u8(0)  // name character set: ASCII, as libhdf5's default attribute creation list says
            header.messages.bytes(nameBytes); header.messages.u8(0)
            header.messages.bytes(type); header.messages.bytes(space)
            switch value {
            case .int(let v): header.messages.u64(UInt64(bitPattern: Int64(v)))
            case .double(let v): header.messages.u64(v.bitPattern)
            case .bool(let v): header.messages.u8(v ? 1 : 0)
            case .string(let v): try string(v, into: &header.messages)
            case .list: try encode(list!, into: &header.messages)
            }
            try header.end(start)
        }
    }

    /// Writes a dataset: 1-D, or with `columns` > 1 2-D of count / columns rows; contiguous.
    /// Arrays longer than `HDF5.chunkLength` are chunked and compressed by libhdf5: unsupported.
    func writeDataset(_ array: H5Array, columns: Int = 1) throws -> UInt64 {
        if columns <= 1 && array.count > HDF5.chunkLength { throw NativeHDF5.Unsupported("a chunked dataset") }
        let dims = columns > 1 ? [array.count / columns, columns] : [array.count]
        let data = try encode(array)
        let address = data.isEmpty ? NativeHDF5.undefined : try append(data)
        var header = Header(tracksOrder: false)
        try header.add(NativeHDF5.dataspaceMessage, NativeHDF5.dataspace(dims))
        try header.add(NativeHDF5.datatypeMessage, flags: 1, NativeHDF5.Element(of: array).encoded)
        // Fill value v3: allocation late, fill written if set, none set (libhdf5's default).
        try header.add(NativeHDF5.fillValueMessage, flags: 1, [3, 0x0a])
        var layout = ByteWriter(capacity: 18)
        layout.bytes([3, 1]); layout.u64(address); layout.u64(UInt64(data.count))
        try header.add(NativeHDF5.layoutMessage, layout.data)
        return try append(header, flags: 0)
    }
}

extension NativeHDF5Writer {
    /// Writes `run` (its datasets and view subgroups first, then its group); returns the
    /// group's address.
    func write(_ run: StoredRun) throws -> UInt64 {
        var links: [(name: String, address: UInt64)] = []
        links.reserveCapacity(run.members.count)
        for (name, member) in run.members {
            switch member {
            case .dataset(let data, let columns): links.append((name, try writeDataset(data, columns: columns)))
            case .group(let inner): links.append((name, try write(inner)))
            }
        }
        return try writeGroup(attributes: run.attributes, links: links)
    }
}
