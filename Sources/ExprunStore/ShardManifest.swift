import Foundation
import Synchronization

/// shards/.manifest: the shards the last merge put into results.h5, each with its status and
/// the identity of the file it read (inode, size, modification time to the nanosecond). A
/// re-run learns which runs are finished, and which failed, from a directory listing and one
/// stat(2) per shard instead of opening every shard with HDF5 (about 0.3 ms each).
///
/// Why a stale manifest is harmless: it is only ever consulted for a shard the directory
/// listing shows, so it cannot list a missing run; and an entry is trusted only while the file
/// under that name is the very file the merge read (a retried run's new shard has another
/// inode and time, and is opened as before), so it cannot hide an unfinished or rewritten run.
/// It is replaced by rename(2), so a kill leaves the old or the new one; its last line holds a
/// count and a checksum, so a torn or damaged file (a power cut before the data reached the
/// disk) is ignored as a whole. Without a usable manifest everything is opened, as before.
struct ShardManifest {
    static let name = ".manifest"
    static let header = "exprun-shard-manifest/1"

    struct Identity: Equatable {
        var inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int
        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            inode = UInt64(info.st_ino); size = Int64(info.st_size)
            seconds = info.st_mtim.tv_sec; nanoseconds = info.st_mtim.tv_nsec
        }
        init(inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int) {
            self.inode = inode; self.size = size; self.seconds = seconds; self.nanoseconds = nanoseconds
        }
    }

    struct Entry: Equatable {
        var status: String
        var identity: Identity
    }

    var entries: [String: Entry] = [:]

    /// The manifest of `directory`, empty when absent, unreadable or damaged. Parsed once per
    /// version of the file (a re-run consults it several times).
    init(directory: String) {
        let path = (directory as NSString).appendingPathComponent(Self.name)
        guard let identity = Identity(path: path) else { return }
        if let known = Self.parsed.withLock({ $0[path] }), known.identity == identity {
            entries = known.manifest.entries
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else { return }
        entries = Self.parse([UInt8](data)) ?? [:]
        let manifest = self
        Self.parsed.withLock { $0[path] = (identity, manifest) }
    }

    private static let parsed = Mutex<[String: (identity: Identity, manifest: ShardManifest)]>([:])

    /// The entries of a manifest's bytes, or nil unless it is complete and intact.
    static func parse(_ bytes: [UInt8]) -> [String: Entry]? {
        // Lines; the file ends with a newline, the last line is the trailer.
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for (i, byte) in bytes.enumerated() where byte == 10 {
            lines.append(bytes[start..<i])
            start = i + 1
        }
        guard start == bytes.count, lines.count >= 2, String(decoding: lines[0], as: UTF8.self) == header else { return nil }
        let trailer = String(decoding: lines.removeLast(), as: UTF8.self).split(separator: " ")
        guard trailer.count == 3, trailer[0] == "end", Int(trailer[1]) == lines.count - 1,
              UInt64(trailer[2]) == checksum(bytes[0..<(lines.last!.endIndex + 1)]) else { return nil }
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(lines.count)
        for line in lines.dropFirst() {
            let f = line.split(separator: 9, omittingEmptySubsequences: false)
            guard f.count == 6, let inode = UInt64(decimal: f[2]), let size = Int64(decimal: f[3]),
                  let seconds = Int(decimal: f[4]), let nanoseconds = Int(decimal: f[5]) else { return nil }
            entries[String(decoding: f[0], as: UTF8.self)] = Entry(
                status: String(decoding: f[1], as: UTF8.self),
                identity: Identity(inode: inode, size: size, seconds: seconds, nanoseconds: nanoseconds))
        }
        return entries
    }

    init(entries: [String: Entry]) { self.entries = entries }

    /// The status of run `runId` when its shard at `path` is the file the manifest describes.
    func status(of runId: String, path: String) -> String? {
        guard let entry = entries[runId], let identity = Identity(path: path), identity == entry.identity else { return nil }
        return entry.status
    }

    /// Writes the manifest into `directory` (temporary file, then rename). A cache: on any
    /// error the old one (or none) stays, and readers fall back to opening the shards.
    func write(directory: String) {
        // Built as bytes: string interpolation per entry costs more than the rest of a merge's
        // bookkeeping for a run.
        var body = Array((Self.header + "\n").utf8)
        body.reserveCapacity(body.count + 80 * entries.count)
        func number<T: BinaryInteger>(_ v: T) { body.append(contentsOf: String(v).utf8) }
        var count = 0
        for id in entries.keys.sorted() {
            let e = entries[id]!
            guard !id.utf8.contains(where: { $0 == 9 || $0 == 10 }), !e.status.utf8.contains(where: { $0 == 9 || $0 == 10 }),
                  e.identity.size >= 0, e.identity.seconds >= 0, e.identity.nanoseconds >= 0
            else { continue }
            body.append(contentsOf: id.utf8); body.append(9)
            body.append(contentsOf: e.status.utf8); body.append(9)
            number(e.identity.inode); body.append(9)
            number(e.identity.size); body.append(9)
            number(e.identity.seconds); body.append(9)
            number(e.identity.nanoseconds); body.append(10)
            count += 1
        }
        body.append(contentsOf: "end \(count) \(Self.checksum(body[...]))\n".utf8)
        let final = (directory as NSString).appendingPathComponent(Self.name)
        let temporary = (directory as NSString)
            .appendingPathComponent(".tmp-manifest-\(ProcessInfo.processInfo.processIdentifier)")
        guard (try? Data(body).write(to: URL(fileURLWithPath: temporary))) != nil,
              rename(temporary, final) == 0 else {
            unlink(temporary)
            return
        }
    }

    /// FNV-1a over the bytes.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}

private extension FixedWidthInteger {
    /// A non-negative decimal number of ASCII digits (nothing else), or nil.
    init?(decimal digits: ArraySlice<UInt8>) {
        guard !digits.isEmpty, digits.count <= 20 else { return nil }
        var value: Self = 0
        for d in digits {
            guard d >= 48, d <= 57 else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Self(d - 48))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        self = value
    }
}
