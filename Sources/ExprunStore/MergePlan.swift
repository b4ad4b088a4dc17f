import CHDF5
import ExprunCore
import Foundation

/// What a merge has to do, decided from file times and the existing results.h5 (see Merge.swift):
/// which runs have a shard, which are already in the file as they are, which must go.
struct MergePlan {
    let shardDirectory: String
    /// Ids of `runOrder` (first occurrence, valid HDF5 names) that have a shard file, in order.
    let present: [String]
    /// The /index columns after run_id and status.
    let columnNames: [String]
    /// Whether the existing results.h5 is for the same experiment and is updated in place (a copy).
    private(set) var incremental = false
    /// Whether the existing file already holds exactly `present`, each from a shard older than it.
    private(set) var isUpToDate = false
    /// Runs of the existing file kept as they are.
    private(set) var kept = Set<String>()
    /// Runs of the existing file to remove (shard newer, gone, or no longer in the sweep).
    private(set) var removed: [String] = []
    /// The identity of each present shard when the plan was made (for shards/.manifest), in
    /// `present` order.
    let shardIdentities: [ShardManifest.Identity]
    /// The runs of the existing file, in its /index order, and the status of each.
    private(set) var existingIds: [String] = []
    private(set) var existingStatuses: [String: String] = [:]
    /// The strings the native reads of this merge share (names and values repeat in every run).
    let strings = InternedStrings()

    init(shardDirectory: String, runOrder: [String], root: RootInfo, existing path: String) {
        self.shardDirectory = shardDirectory
        var columns: [String] = []
        for name in root.indexColumns where name != "run_id" && name != "status" && !columns.contains(name) {
            columns.append(name)
        }
        columnNames = columns
        var seen = Set<String>()
        var present: [String] = []
        var identities: [ShardManifest.Identity] = []
        for runId in runOrder where seen.insert(runId).inserted {
            guard (try? HDF5.checkLinkName(runId, "run id")) != nil,
                  let identity = ShardManifest.Identity(path: Store.shardPath(runId: runId, directory: shardDirectory))
            else { continue }
            present.append(runId)
            identities.append(identity)
        }
        seen = []
        self.present = present
        shardIdentities = identities

        guard let fileTime = Self.modificationTime(path),
              let (existingIds, statuses) = Self.runIds(ofResults: path, matching: root, columns: ["run_id", "status"] + columns)
        else { return }
        incremental = true
        self.existingIds = existingIds
        for (runId, status) in zip(existingIds, statuses) { existingStatuses[runId] = status }
        var position: [String: Int] = [:]
        position.reserveCapacity(present.count)
        for (i, runId) in present.enumerated() { position[runId] = i }
        for runId in existingIds {
            if let i = position[runId], case let identity = identities[i],
               Self.earlier(timespec(tv_sec: identity.seconds, tv_nsec: identity.nanoseconds), fileTime) {
                kept.insert(runId)
            } else {
                removed.append(runId)
            }
        }
        isUpToDate = removed.isEmpty && existingIds == present
    }

    /// The plan as a full rebuild: nothing kept from the existing file.
    var rebuilt: MergePlan {
        var plan = self
        plan.incremental = false
        plan.kept = []
        plan.removed = []
        return plan
    }

    /// Writes the root attributes, /runs and /index into `file` (new, or a copy of the existing
    /// results.h5 when incremental). Returns the ids merged, in order, with their statuses.
    /// Holds the HDF5 lock.
    func write(_ file: hid_t, root: RootInfo, scratch: String) throws -> (ids: [String], statuses: [String]) {
        if incremental {
            for name in try HDF5.attributeNames(file) { try HDF5.deleteAttribute(file, name) }
        }
        for (name, value) in Self.rootAttributes(root) { try HDF5.writeAttribute(file, name, value) }

        let runs = try incremental ? HDF5.openGroup(file, "runs") : HDF5.createGroup(file, "runs")
        defer { H5Gclose(runs) }
        // The kept runs come from the old /tables when it matches the old /index (read a block
        // at a time while the new one is written, so it is moved aside until then), else from
        // their groups.
        var existing: ExistingTables?
        let oldTables = ConsolidatedTables.groupName + ".replaced"
        if incremental {
            for runId in removed { try HDF5.deleteLink(runs, runId) }
            try HDF5.deleteLink(file, "index")
            if HDF5.exists(file, [ConsolidatedTables.groupName]) {
                try HDF5.moveLink(file, ConsolidatedTables.groupName, to: oldTables)
                existing = ExistingTables(file, runIds: existingIds, at: oldTables)
            }
        }

        var tables = try ConsolidatedTables(indexColumns: columnNames, scratch: scratch)
        for runId in present {
            if kept.contains(runId) {
                if let existing, let known = existing.attributes(runId) {
                    try existing.copy(runId, attributes: known, into: &tables)
                } else {
                    let group = try HDF5.openGroup(runs, runId)
                    defer { H5Gclose(group) }
                    let run = try StoredRun(reading: group)
                    try tables.append(runId: runId, attributes: run.attributes, curves: run.curves)
                }
            } else {
                guard let run = try readShard(runId, native: false) else { continue }
                try run.write(into: runs, as: runId)
                try tables.append(runId: runId, attributes: run.attributes, curves: run.curves)
            }
        }
        try tables.write(file)
        if HDF5.exists(file, [oldTables]) { try HDF5.deleteLink(file, oldTables) }
        return (tables.ids, tables.statuses)
    }

    /// The root attributes of results.h5, in order: format, exprun_version, experiment, config,
    /// created_utc, swept (always a string array, even when empty or when the paths look like
    /// numbers), then the provenance.
    static func rootAttributes(_ root: RootInfo) -> [(String, Value)] {
        [("format", .string(Store.format)), ("exprun_version", .string(root.exprunVersion)),
         ("experiment", .string(root.experiment)), ("config", .string(root.config)),
         ("created_utc", .string(ISO8601DateFormatter().string(from: Date()))),
         ("swept", .list(root.swept.map { .string($0) }))] + root.provenance
    }

    /// Reads /runs/<runId> of its shard: natively when `native` and the shard is in the native
    /// subset, otherwise through libhdf5 (then the caller holds the HDF5 lock when `native` is
    /// false; with `native` the lock is taken here). Nil when the shard does not open or lacks the
    /// group (a full merge skips it).
    func readShard(_ runId: String, native: Bool) throws -> StoredRun? {
        let shard = Store.shardPath(runId: runId, directory: shardDirectory)
        if native {
            do {
                let reader = try NativeHDF5Reader(path: shard, strings: strings)
                guard let group = try reader.address(of: ["runs", runId]) else { return nil }
                return try reader.storedRun(at: group)
            } catch is NativeHDF5.Unsupported {
                return try HDF5.locked { try readShard(runId, native: false) }
            }
        }
        guard let source = try? HDF5.openFile(shard) else { return nil }
        defer { H5Fclose(source) }
        guard HDF5.exists(source, ["runs", runId]), let group = try? HDF5.openGroup(source, "runs/" + runId) else {
            return nil
        }
        defer { H5Gclose(group) }
        do {
            return try StoredRun(reading: group)
        } catch let error as StoreError {
            throw StoreError("cannot copy run \(runId) from \(shard): \(error.message)")
        }
    }

    /// The run ids (and statuses) of the results file at `path` in index order, when it is a complete results
    /// file of this version for the same experiment with the same index columns; else nil.
    private static func runIds(ofResults path: String, matching root: RootInfo,
                               columns: [String]) -> (ids: [String], statuses: [String])? {
        HDF5.locked {
            guard let file = try? HDF5.openFile(path) else { return nil }
            defer { H5Fclose(file) }
            guard HDF5.exists(file, ["runs"]), HDF5.exists(file, ["index"]),
                  let attributes = try? HDF5.readAttributes(file) else { return nil }
            let value = { (name: String) in attributes.first { $0.0 == name }?.1 }
            guard value("format")?.asString == Store.format,
                  value("exprun_version")?.asString == root.exprunVersion,
                  value("experiment")?.asString == root.experiment,
                  value("config")?.asString == root.config,
                  (value("swept")?.asList?.compactMap(\.asString) ?? []) == root.swept,
                  let index = try? HDF5.readTable(file, "index"), index.map(\.name) == columns
            else { return nil }
            guard let ids = index.first?.data.values.compactMap(\.asString),
                  let statuses = index.dropFirst().first?.data.values.compactMap(\.asString), ids.count == statuses.count
            else { return nil }
            return (ids, statuses)
        }
    }

    /// Rewrites shards/.manifest for the runs now in results.h5 (`ids`, default `present`),
    /// unless it already says exactly that.
    func updateManifest(ids: [String]? = nil, statuses: [String]) {
        // `ids` is a subsequence of `present` (the merge goes in its order): one walk finds
        // each id's identity.
        var entries: [(id: String, entry: ShardManifest.Entry)] = []
        entries.reserveCapacity(statuses.count)
        var next = 0
        for (id, status) in zip(ids ?? present, statuses) {
            while next < present.count && present[next] != id { next += 1 }
            guard next < present.count else { break }
            entries.append((id, ShardManifest.Entry(status: status, identity: shardIdentities[next])))
            next += 1
        }
        // Up to date (a re-run with nothing new): every entry is already listed as it is.
        let existing = ShardManifest(directory: shardDirectory)
        if existing.count == entries.count && entries.allSatisfy({ existing.entry($0.id) == $0.entry }) { return }
        ShardManifest(entries: entries).write(directory: shardDirectory)
    }

    static func modificationTime(_ path: String) -> timespec? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mtim
    }

    static func earlier(_ a: timespec, _ b: timespec) -> Bool {
        a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec)
    }
}
