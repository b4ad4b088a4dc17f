/// CRC-32 as zlib computes it (IEEE 802.3 polynomial 0xEDB88320 reflected, initial value and
/// final xor 0xFFFFFFFF): the external oracle's per-frame check, which Python's `zlib.crc32`
/// and every language's standard library reproduce. Slicing-by-8 (eight bytes per table round),
/// about a cycle per byte, so checking a d = 1000 frame costs a few microseconds.
public enum CRC32 {
    /// Eight tables of 256 entries: table k gives the CRC of a byte followed by k zero bytes.
    /// (A pointer allocated once, so the per-frame loop has no closure or array access to pay for.)
    nonisolated(unsafe) static let tables: UnsafePointer<UInt32> = {
        let t = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * 256)
        t.initialize(repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k * 256 + i] = (t[(k - 1) * 256 + i] >> 8) ^ t[Int(t[(k - 1) * 256 + i] & 0xFF)] }
        }
        return UnsafePointer(t)
    }()

    /// The CRC of `count` bytes at `p`, continuing from `crc` (0 to start).
    public static func checksum(_ p: UnsafeRawPointer, count: Int, continuing crc: UInt32 = 0) -> UInt32 {
        let t = tables
        var c = ~crc
        var at = 0
        while at + 8 <= count {
            let word = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            let lo = UInt32(truncatingIfNeeded: word) ^ c, hi = UInt32(truncatingIfNeeded: word >> 32)
            c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
            at += 8
        }
        while at < count {
            c = t[Int((c ^ UInt32(p.load(fromByteOffset: at, as: UInt8.self))) & 0xFF)] ^ (c >> 8)
            at += 1
        }
        return ~c
    }
}
