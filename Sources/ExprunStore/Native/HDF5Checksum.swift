/// Bob Jenkins' lookup3 `hashlittle` with seed 0: the checksum HDF5 puts at the end of
/// superblocks (version 2 and up), version-2 object headers and their continuation chunks
/// (File Format Specification v3, "Checksum"; libhdf5's H5_checksum_lookup3).
enum HDF5Checksum {
    static func lookup3(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        @inline(__always) func rot(_ x: UInt32, _ k: UInt32) -> UInt32 { (x << k) | (x >> (32 - k)) }
        var length = bytes.count
        var a = 0xdead_beef &+ UInt32(truncatingIfNeeded: length)
        var b = a, c = a
        var k = 0
        @inline(__always) func word(_ at: Int, _ count: Int) -> UInt32 {
            var w: UInt32 = 0
            for i in 0..<count { w |= UInt32(bytes[at + i]) << (8 * UInt32(i)) }
            return w
        }
        while length > 12 {
            a &+= UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: k, as: UInt32.self))
            b &+= UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: k + 4, as: UInt32.self))
            c &+= UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: k + 8, as: UInt32.self))
            a &-= c; a ^= rot(c, 4); c &+= b
            b &-= a; b ^= rot(a, 6); a &+= c
            c &-= b; c ^= rot(b, 8); b &+= a
            a &-= c; a ^= rot(c, 16); c &+= b
            b &-= a; b ^= rot(a, 19); a &+= c
            c &-= b; c ^= rot(b, 4); b &+= a
            length -= 12; k += 12
        }
        if length == 0 { return c }
        // The tail (1...12 bytes), as the fall-through switch of the C code adds it.
        a &+= word(k, min(length, 4))
        if length > 4 { b &+= word(k + 4, min(length - 4, 4)) }
        if length > 8 { c &+= word(k + 8, length - 8) }
        c ^= b; c &-= rot(b, 14)
        a ^= c; a &-= rot(c, 11)
        b ^= a; b &-= rot(a, 25)
        c ^= b; c &-= rot(b, 16)
        a ^= c; a &-= rot(c, 4)
        b ^= a; b &-= rot(a, 14)
        c ^= b; c &-= rot(b, 24)
        return c
    }

    static func lookup3(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { lookup3($0) } }
}
