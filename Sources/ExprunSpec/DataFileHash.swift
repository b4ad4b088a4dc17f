import Foundation
import ExprunCore

/// Content hashes of the data files a sweep reads, computed once per file per sweep, so that
/// a run id changes when a file it reads changes (a re-run after editing data reruns).
struct DataFileHashes {
    private var cache: [String: String] = [:]

    /// A 64-bit FNV-1a hash (with SplitMix64's final mixer) of the file's bytes, in hex; nil
    /// when the file cannot be read (that is reported elsewhere).
    mutating func hash(_ path: String) -> String? {
        if let h = cache[path] { return h }
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        // 1 MB at a time: the file is never held in memory whole.
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { raw in
                for b in raw.bindMemory(to: UInt8.self) { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
            }
        }
        let text = String(format: "%016llx", splitMix64Mix(h))
        cache[path] = text
        return text
    }
}
