import Foundation

/// The strings a merge reads again and again (every run repeats the attribute names, the
/// dataset names and most string values: "completed", a component's kind), each made once:
/// looked up by a hash of their bytes and checked against them. Bounded; short strings
/// (inline in a String, no allocation) and long ones are not kept.
final class InternedStrings {
    private var table: [UInt64: String] = [:]
    private static let capacity = 1 << 14, maxLength = 256

    func string(_ bytes: UnsafeRawBufferPointer) -> String {
        guard bytes.count > 15, bytes.count <= Self.maxLength else { return String(decoding: bytes, as: UTF8.self) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        if let known = table[hash], known.utf8.count == bytes.count,
           known.utf8.withContiguousStorageIfAvailable({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) == true {
            return known
        }
        let made = String(decoding: bytes, as: UTF8.self)
        if table.count < Self.capacity { table[hash] = made }
        return made
    }
}
