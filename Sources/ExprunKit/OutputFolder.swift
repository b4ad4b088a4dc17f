import Foundation

/// The output folder's guards, all checked before any run starts: it must be writable (a
/// one-line error and exit 2, not an NSError dump after the sweep), and one exprun process at a
/// time may write it (a lock naming the holder's PID).
enum OutputFolder {
    /// Creates `dir/shards` and proves the folder writable by creating and removing a file.
    static func prepare(_ dir: String) -> String? {
        if let why = makeDirectories(dir + "/shards") { return "cannot create the output folder \(dir): \(why)" }
        let probe = dir + "/.exprun-write-test-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        if fd < 0 { return "the output folder \(dir) is not writable: \(String(cString: strerror(errno)))" }
        close(fd)
        unlink(probe)
        return nil
    }

    /// mkdir -p with mkdir(2), so a failure names its errno (Foundation's message for /proc/x
    /// is "The file doesn't exist").
    static func makeDirectories(_ path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return "\(prefix): \(String(cString: strerror(errno)))" }
        }
        var info = stat()
        if stat(path, &info) != 0 || (info.st_mode & S_IFMT) != S_IFDIR { return "\(path) is not a folder" }
        return nil
    }

    /// The lock on an output folder: `flock` on `dir/.exprun.lock`, which holds the PID and host
    /// of its owner. The kernel drops the lock when its process dies (even by kill -9), so a
    /// lock file left by a killed process is stale by construction and is taken over; the next
    /// owner rewrites the PID. Shard tasks of one SLURM array share the lock; a whole local run
    /// and a merge hold it alone.
    final class Lock {
        private let fd: Int32
        let tookOverFrom: String?

        private init(fd: Int32, tookOverFrom: String?) { self.fd = fd; self.tookOverFrom = tookOverFrom }

        /// The lock, or the message naming the process that holds it.
        static func acquire(_ dir: String, shared: Bool) -> Result<Lock, LockError> {
            let path = dir + "/.exprun.lock"
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            if fd < 0 { return .failure(LockError(message: "cannot open \(path): \(String(cString: strerror(errno)))")) }
            let previous = read(fd)
            if flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
                close(fd)
                let who = previous.isEmpty ? "another exprun process" : "another exprun process (\(previous))"
                return .failure(LockError(message: "\(dir) is in use by \(who); wait for it to finish or use another --out"))
            }
            // Only an exclusive owner rewrites the file; shared owners leave the first PID.
            var stale: String?
            if !shared || previous.isEmpty {
                if !previous.isEmpty { stale = previous }
                let me = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)"
                ftruncate(fd, 0)
                _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
            }
            return .success(Lock(fd: fd, tookOverFrom: stale))
        }

        private static func read(_ fd: Int32) -> String {
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = pread(fd, &buffer, 255, 0)
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        }

        /// Ends ownership cleanly: an empty lock file tells the next owner nobody died holding it.
        func release() {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { ftruncate(fd, 0) }
            flock(fd, LOCK_UN)
        }

        deinit { close(fd) }
    }

    struct LockError: Error { let message: String }
}
