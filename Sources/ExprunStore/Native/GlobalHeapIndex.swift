import Foundation

/// The global heap collections of a file the native reader reads (where its variable-length
/// strings are): for each collection parsed, object index -> byte range (nil: no such object).
/// At most `maxCollections` are kept (a results file has thousands; its runs are read in
/// order, so the recent ones are the ones asked for again).
struct GlobalHeapIndex {
    static let maxCollections = 256
    private var collections: [UInt64: [Range<Int>?]] = [:]
    /// The collection read last (a shard has one): looked up without the dictionary.
    private var lastCollection: (address: UInt64, objects: [Range<Int>?])?

    /// The objects of the collection at `address` in `raw` (the file), parsed once while kept.
    mutating func objects(_ address: UInt64, _ raw: UnsafeRawBufferPointer) throws -> [Range<Int>?] {
        if let last = lastCollection, last.address == address { return last.objects }
        if let known = collections[address] { lastCollection = (address, known); return known }
        guard address < UInt64(raw.count) else { throw NativeHDF5.Unsupported("heap past the end") }
        var r = ByteReader(data: raw, at: Int(address))
        guard try r.bytes(4).elementsEqual(NativeHDF5.heapSignature), try r.u8() == 1 else { throw NativeHDF5.Unsupported("heap signature") }
        try r.skip(3)
        let size = try r.u64()
        guard size >= 16, size <= UInt64(raw.count) - address else { throw NativeHDF5.Unsupported("heap past the end") }
        let end = Int(address) + Int(size)
        var objects: [Range<Int>?] = []
        while r.at + 16 <= end {
            let index = try r.u16()
            try r.skip(6)
            let length = try r.u64()
            if index == 0 { break }
            guard length <= UInt64(end - r.at) else { throw NativeHDF5.Unsupported("heap object past its collection") }
            if index >= objects.count { objects.append(contentsOf: repeatElement(nil, count: index + 1 - objects.count)) }
            objects[index] = r.at..<(r.at + Int(length))
            r.at += (Int(length) + 7) / 8 * 8
        }
        if collections.count >= Self.maxCollections { collections.removeAll(keepingCapacity: true) }
        collections[address] = objects
        lastCollection = (address, objects)
        return objects
    }
}
