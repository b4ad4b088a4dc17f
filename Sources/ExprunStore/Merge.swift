import CHDF5
import ExprunCore
import Foundation

/// Building results.h5 from the shards: in full the first time, then only what is new.
///
/// Safety: results.h5 is only ever replaced by rename(2) of a complete, fsync-ed temporary file
/// in the same directory (".tmp-results.h5-<pid>.h5"), so a crash, a kill or a full disk at any
/// moment leaves the old complete file or the new complete one. The temporary is removed on
/// every error path, and a stale one left by a killed process is removed by the next merge.
///
/// Incremental merge: results.h5's modification time is set to the moment its merge started,
/// so a shard older than the file was complete when the file was built and is already in it
/// (same run id: same configuration, seed and data). A merge into a file written for the same
/// experiment (format, experiment, config, swept and index columns unchanged) keeps the runs
/// whose shard is not newer, reading them from the file instead of their shards: natively, the
/// file is rewritten from them and the new shards (NativeMerge.swift); through libhdf5 (the
/// file is not natively readable, or EXPRUN_HDF5_WRITER=libhdf5) a copy of it is edited: the
/// runs whose shard is newer or gone removed, the new shards copied, the root attributes and
/// /index rewritten. With nothing new the file is left as it is. Anything else is a full
/// rebuild. Either way the groups, datasets and attributes are those of a full merge and /index
/// rows are in `runOrder` order (only the link order inside /runs can differ after a libhdf5
/// edit, which no reader uses: /index is the order of record).
extension Store {
    /// Builds or updates results.h5 at `path` from the shards in `shardDirectory`.
    ///
    /// Root attributes: format, exprun_version, experiment, config, created_utc, swept, then
    /// `root.provenance`. /runs/<id> holds each shard's group, for the ids of `runOrder` that
    /// have a shard that opens. /index is one compound dataset with a row per merged run, in
    /// `runOrder` order: run_id, status, then one column per `root.indexColumns` path taken
    /// from the run's attribute of that name (int64 if all present values are ints, float64 if
    /// all are numbers, else strings; a missing value is 0, NaN or ""). The result depends only
    /// on the shards and `runOrder`, never on the order shards arrived in (created_utc aside).
    ///
    /// - Returns: the ids in results.h5, in order.
    @discardableResult
    public static func merge(shardDirectory: String, runOrder: [String], root: RootInfo,
                             into path: String) throws -> [String] {
        for (name, _) in root.provenance where standardRootAttributes.contains(name) {
            throw StoreError("provenance attribute '\(name)' clashes with a standard root attribute")
        }
        let started = Date()
        let directory = (path as NSString).deletingLastPathComponent
        let folder = directory.isEmpty ? "." : directory
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let prefix = ".tmp-\((path as NSString).lastPathComponent)-"
        removeStaleTemporaries(directory: folder, prefix: prefix)
        let temporary = (folder as NSString)
            .appendingPathComponent(prefix + "\(ProcessInfo.processInfo.processIdentifier).h5")

        let plan = MergePlan(shardDirectory: shardDirectory, runOrder: runOrder, root: root, existing: path)
        if plan.isUpToDate {
            plan.updateManifest(statuses: plan.present.map { plan.existingStatuses[$0] ?? "" })
            return plan.present
        }
        do {
            // Native unless turned off, a run is outside the native subset, or the existing file
            // (incremental) is not natively readable.
            let native = NativeHDF5.enabled ? try plan.writeNative(temporary, root: root, existing: path) : nil
            // libhdf5 editing a /runs that holds many links compactly (a native file) condenses
            // its header link by link, quadratically: rebuild it instead.
            let plan = native == nil && plan.incremental && MergePlan.compactLinks(path, ["runs"]) > 8 ? plan.rebuilt : plan
            let (merged, statuses) = try native ?? HDF5.locked { () throws -> ([String], [String]) in
                let file: hid_t
                if plan.incremental {
                    try copyFile(path, to: temporary)
                    file = try HDF5.openFileForWriting(temporary)
                } else {
                    file = try HDF5.createFile(temporary)
                }
                let merged: ([String], [String])
                do {
                    merged = try plan.write(file, root: root, scratch: folder)
                } catch {
                    H5Fclose(file)
                    throw error
                }
                // Outside the catch: a close that fails (a full disk at the final flush) has
                // released the id already, and closing it again crashes libhdf5.
                try HDF5.closeFile(file)
                return merged
            }
            try durablyReplace(path, with: temporary, modified: started)
            plan.updateManifest(ids: merged, statuses: statuses)
            return merged
        } catch let error as StoreError {
            unlink(temporary)
            let previous = FileManager.default.fileExists(atPath: path) ? " (the previous file is unchanged)" : ""
            throw StoreError("cannot write \(path)\(previous): \(error.message)")
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Removes the files `<prefix><pid>.h5` in `directory` whose writer is gone (see
    /// `isStaleTemporary`): what a merge killed by SIGKILL or a power cut leaves behind.
    public static func removeStaleTemporaries(directory: String, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) {
            let path = (directory as NSString).appendingPathComponent(name)
            if isStaleTemporary(path: path, name: name, grace: 0) { unlink(path) }
        }
    }

    /// fsync the temporary, set its modification time to `modified` (the incremental merge's
    /// clock), rename it over `path`, fsync the directory so the rename itself survives a crash.
    static func durablyReplace(_ path: String, with temporary: String, modified: Date) throws {
        try syncFile(temporary)
        var times = [timespec](repeating: timespec(), count: 2)
        let seconds = modified.timeIntervalSince1970
        times[0] = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        times[1] = times[0]
        if utimensat(AT_FDCWD, temporary, times, 0) != 0 {
            throw StoreError("cannot set the time of \(temporary): \(String(cString: strerror(errno)))")
        }
        try moveAtomically(temporary, to: path)
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw StoreError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Copies `source` to `destination` (created, truncated) with every write checked.
    static func copyFile(_ source: String, to destination: String) throws {
        func failure(_ what: String) -> StoreError { StoreError("\(what): \(String(cString: strerror(errno)))") }
        let input = open(source, O_RDONLY)
        guard input >= 0 else { throw failure("cannot open \(source)") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard output >= 0 else { throw failure("cannot create \(destination)") }
        defer { close(output) }
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(input, buffer, size)
            if count < 0 { throw failure("cannot read \(source)") }
            if count == 0 { return }
            var done = 0
            while done < count {
                let written = write(output, buffer + done, count - done)
                if written <= 0 { throw failure("cannot write \(destination)") }
                done += written
            }
        }
    }
}
