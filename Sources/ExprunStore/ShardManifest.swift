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

    /// The manifest's text (header, one line per entry sorted by the bytes of its id, trailer)
    /// and where each entry's line starts: it is looked up in place, by binary search, rather
    /// than held as a dictionary (at 100,000 runs that was a merge's largest allocation).
    private(set) var bytes: [UInt8] = []
    /// Where each entry's line starts, then where the trailer starts.
    private var lineStarts: [Int] = []

    /// The number of entries.
    var count: Int { max(lineStarts.count - 1, 0) }

    /// The manifest of `directory`, empty when absent, unreadable or damaged. Parsed once per
    /// version of the file (a re-run consults it several times).
    init(directory: String) {
        let path = (directory as NSString).appendingPathComponent(Self.name)
        guard let identity = Identity(path: path) else { return }
        if let known = Self.parsed.withLock({ $0[path] }), known.identity == identity {
            self = known.manifest
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let bytes = [UInt8](data)
        guard let starts = Self.parse(bytes) else { return }
        (self.bytes, lineStarts) = (bytes, starts)
        let manifest = self
        Self.parsed.withLock { $0 = [path: (identity, manifest)] }
    }

    /// The last manifest parsed (a process works in one folder).
    private static let parsed = Mutex<[String: (identity: Identity, manifest: ShardManifest)]>([:])

    /// Where each entry's line starts and then the trailer, or nil unless the manifest is
    /// complete and intact: the
    /// header, well-formed lines with ids in increasing byte order, and the trailer's count
    /// and checksum.
    static func parse(_ bytes: [UInt8]) -> [Int]? {
        let head = Array((header + "\n").utf8)
        guard bytes.count > head.count, bytes.starts(with: head), bytes.last == 10 else { return nil }
        var starts: [Int] = []
        var lineStart = head.count
        var previous: ArraySlice<UInt8>?
        for i in head.count..<bytes.count where bytes[i] == 10 {
            let line = bytes[lineStart..<i]
            if i == bytes.count - 1 {
                let trailer = String(decoding: line, as: UTF8.self).split(separator: " ")
                guard trailer.count == 3, trailer[0] == "end", Int(trailer[1]) == starts.count,
                      UInt64(trailer[2]) == checksum(bytes[0..<lineStart]) else { return nil }
                return starts + [lineStart]
            }
            guard let fields = Self.fields(line), previous.map({ $0.lexicographicallyPrecedes(fields.id) }) ?? true
            else { return nil }
            previous = fields.id
            starts.append(lineStart)
            lineStart = i + 1
        }
        return nil
    }

    /// The id and entry of one line "id<TAB>status<TAB>inode<TAB>size<TAB>seconds<TAB>nanoseconds".
    private static func fields(_ line: ArraySlice<UInt8>) -> (id: ArraySlice<UInt8>, entry: Entry)? {
        let f = line.split(separator: 9, maxSplits: 6, omittingEmptySubsequences: false)
        guard f.count == 6, let inode = UInt64(decimal: f[2]), let size = Int64(decimal: f[3]),
              let seconds = Int(decimal: f[4]), let nanoseconds = Int(decimal: f[5]) else { return nil }
        return (f[0], Entry(status: String(decoding: f[1], as: UTF8.self),
                            identity: Identity(inode: inode, size: size, seconds: seconds, nanoseconds: nanoseconds)))
    }

    /// The manifest of `entries` (an id listed twice keeps its last entry). Entries whose id or
    /// status holds a tab or a newline are left out (a reader opens their shards).
    init(entries: [(id: String, entry: Entry)]) {
        // Built as bytes: string interpolation per entry costs more than the rest of a merge's
        // bookkeeping for a run.
        var body = Array((Self.header + "\n").utf8)
        body.reserveCapacity(body.count + 80 * entries.count)
        func number<T: BinaryInteger>(_ v: T) { body.append(contentsOf: String(v).utf8) }
        // By id, then input order (so the last of an id listed twice is the one kept below).
        let order = entries.indices.sorted { a, b in
            let (x, y) = (entries[a].id.utf8, entries[b].id.utf8)
            return x.elementsEqual(y) ? a < b : x.lexicographicallyPrecedes(y)
        }
        var starts: [Int] = []
        starts.reserveCapacity(entries.count)
        for (k, i) in order.enumerated() {
            let (id, e) = entries[i]
            if k + 1 < order.count, entries[order[k + 1]].id == id { continue }
            guard !id.isEmpty, !id.utf8.contains(where: { $0 == 9 || $0 == 10 }),
                  !e.status.utf8.contains(where: { $0 == 9 || $0 == 10 }),
                  e.identity.size >= 0, e.identity.seconds >= 0, e.identity.nanoseconds >= 0
            else { continue }
            starts.append(body.count)
            body.append(contentsOf: id.utf8); body.append(9)
            body.append(contentsOf: e.status.utf8); body.append(9)
            number(e.identity.inode); body.append(9)
            number(e.identity.size); body.append(9)
            number(e.identity.seconds); body.append(9)
            number(e.identity.nanoseconds); body.append(10)
        }
        let listed = starts.count
        starts.append(body.count)
        body.append(contentsOf: "end \(listed) \(Self.checksum(body[...]))\n".utf8)
        (bytes, lineStarts) = (body, starts)
    }

    /// The ids listed, in order.
    var ids: [String] { (0..<count).map { String(decoding: line($0).prefix { $0 != 9 }, as: UTF8.self) } }

    /// Entry k's line, without its newline.
    private func line(_ k: Int) -> ArraySlice<UInt8> { bytes[lineStarts[k]..<(lineStarts[k + 1] - 1)] }

    /// The entry of run `runId`, or nil when it is not listed.
    func entry(_ runId: String) -> Entry? {
        let key = Array(runId.utf8)
        var (lo, hi) = (0, count)
        while lo < hi {
            let mid = (lo + hi) / 2
            let line = line(mid)
            let id = line.prefix { $0 != 9 }
            if id.elementsEqual(key) { return Self.fields(line)?.entry }
            if id.lexicographicallyPrecedes(key) { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// The status of run `runId` when its shard at `path` is the file the manifest describes.
    func status(of runId: String, path: String) -> String? {
        guard let entry = entry(runId), let identity = Identity(path: path), identity == entry.identity else { return nil }
        return entry.status
    }

    /// Writes the manifest into `directory` (temporary file, then rename). A cache: on any
    /// error the old one (or none) stays, and readers fall back to opening the shards.
    func write(directory: String) {
        let final = (directory as NSString).appendingPathComponent(Self.name)
        let temporary = (directory as NSString)
            .appendingPathComponent(".tmp-manifest-\(ProcessInfo.processInfo.processIdentifier)")
        guard (try? Data(bytes).write(to: URL(fileURLWithPath: temporary))) != nil,
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
