import CHDF5
import ExprunCore
import Foundation

/// What the root of results.h5 records besides the runs (see DESIGN.md, "The HDF5 layout").
public struct RootInfo: Sendable {
    /// The experiment's name.
    public var experiment: String
    /// The resolved YAML text the experiment ran with.
    public var config: String
    /// Dotted paths of the swept parameters (root attribute `swept`).
    public var swept: [String]
    /// Columns of /index after run_id and status: "seed" plus the swept paths; each column's
    /// values are the run attribute of that name.
    public var indexColumns: [String]
    /// The exprun version that wrote the file.
    public var exprunVersion: String
    /// Further root attributes (host, git commit, command line, ...), written after the standard ones.
    public var provenance: [(String, Value)]

    public init(experiment: String, config: String, swept: [String], indexColumns: [String],
                exprunVersion: String, provenance: [(String, Value)]) {
        self.experiment = experiment; self.config = config; self.swept = swept
        self.indexColumns = indexColumns; self.exprunVersion = exprunVersion; self.provenance = provenance
    }
}

/// Writes runs to HDF5: one shard file per finished run, then one merged results.h5.
///
/// Every file is written under a temporary name and renamed when complete (see HDF5.swift), so
/// a crash or kill at any moment leaves either no file or a complete one.
public enum Store {
    /// The `format` root attribute of results files written by this version.
    public static let format = "exprun-results/1"

    /// Root attribute names the Store writes itself (provenance may not reuse them).
    static let standardRootAttributes: Set<String> =
        ["format", "exprun_version", "experiment", "config", "created_utc", "swept"]
    /// Run attribute names the Store writes itself after the record's attributes.
    static let standardRunAttributes: Set<String> =
        ["status", "message", "wall_seconds", "diverged_step", "stopped_step"]

    // MARK: Shards

    /// The path of the shard of `runId` in `directory`.
    public static func shardPath(runId: String, directory: String) -> String {
        (directory as NSString).appendingPathComponent(runId + ".h5")
    }

    /// Writes `<directory>/<run_id>.h5` holding exactly the group /runs/<run_id> (the layout of
    /// results.h5), atomically: written under ".tmp-<run_id>-<pid>.h5", closed, then renamed over
    /// any previous shard. Creates `directory` if needed.
    public static func writeShard(_ record: RunRecord, directory: String) throws {
        try HDF5.checkLinkName(record.runId, "run id")
        try validate(record)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pid = ProcessInfo.processInfo.processIdentifier
        let temporary = (directory as NSString).appendingPathComponent(".tmp-\(record.runId)-\(pid).h5")
        let final = shardPath(runId: record.runId, directory: directory)
        let run = StoredRun(record: record)
        do {
            if !(try writeNativeShard(run, runId: record.runId, to: temporary)) {
                try HDF5.locked {
                    let file = try HDF5.createFile(temporary)
                    do {
                        let runs = try HDF5.createGroup(file, "runs")
                        defer { H5Gclose(runs) }
                        try run.write(into: runs, as: record.runId)
                    } catch {
                        H5Fclose(file)
                        throw error
                    }
                    try HDF5.closeFile(file)
                }
            }
            try moveAtomically(temporary, to: final)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Writes the shard natively (NativeHDF5Writer); false when the native writer is turned off
    /// or the run is outside its subset (a series longer than a chunk): then libhdf5 writes it.
    private static func writeNativeShard(_ run: StoredRun, runId: String, to path: String) throws -> Bool {
        guard NativeHDF5.enabled else { return false }
        do {
            let writer = try NativeHDF5Writer(path: path)
            let group = try writer.write(run)
            let runs = try writer.writeGroup(attributes: [], links: [(runId, group)])
            try writer.finish(root: try writer.writeGroup(attributes: [], links: [("runs", runs)]))
            return true
        } catch is NativeHDF5.Unsupported {
            unlink(path)
            return false
        }
    }

    /// Throws unless `record` can be stored: no attribute given twice or clashing with those the
    /// Store writes, every series of the right length, metric and view names distinct.
    static func validate(_ record: RunRecord) throws {
        var attributeNames = Set<String>()
        for (name, _) in record.attributes {
            guard !standardRunAttributes.contains(name), attributeNames.insert(name).inserted else {
                throw StoreError("run \(record.runId): attribute '\(name)' given twice")
            }
        }
        let n = record.steps.count
        var datasetNames: Set<String> = ["step"]
        for series in record.metrics + record.views.flatMap(\.metrics)
        where series.columns < 1 || series.values.count != n * series.columns {
            throw StoreError("run \(record.runId): metric '\(series.name)' has \(series.values.count) values "
                             + "for \(n) log points" + (series.columns == 1 ? "" : " of \(series.columns) columns"))
        }
        for series in record.metrics where !datasetNames.insert(series.name).inserted {
            throw StoreError("run \(record.runId): metric '\(series.name)' given twice")
        }
        for view in record.views where !datasetNames.insert(view.view).inserted {
            throw StoreError("run \(record.runId): view '\(view.view)' clashes with a metric or another view")
        }
        for view in record.views {
            var names = Set<String>()
            for series in view.metrics where !names.insert(series.name).inserted {
                throw StoreError("run \(record.runId): metric '\(view.view)/\(series.name)' given twice")
            }
        }
    }

    /// Ids of the shards in `directory` that exist and open correctly (a complete /runs/<id>
    /// with its status and step). Deletes shards that do not (corrupt or truncated: they would be
    /// rewritten anyway) and stale temporary files. An absent directory has no shards.
    ///
    /// A shard that shards/.manifest lists as the very file a merge read is complete without
    /// being opened (see ShardManifest).
    ///
    /// A temporary file is stale when its writer is gone: its pid is not a live process on this
    /// host and it is untouched for 2 s (a shard takes milliseconds to write; the grace keeps the
    /// files of writers on other hosts of a shared filesystem), or it is untouched for 10 minutes.
    public static func completedShardIds(directory: String) -> Set<String> {
        var ids = Set<String>()
        forEachCompletedShard(directory: directory) { runId, _ in ids.insert(runId) }
        return ids
    }

    /// `completedShardIds` with the `status` attribute of each shard: `body(runId, status)`
    /// for each, in one pass (one listing, one stat per shard, an open only for shards the
    /// manifest does not describe), without holding the listing (readdir(3) streams it: a
    /// folder of 100,000 shards is a few MB of names otherwise).
    public static func forEachCompletedShard(directory: String, _ body: (String, String) -> Void) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        let manifest = ShardManifest(directory: directory)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            let path = (directory as NSString).appendingPathComponent(name)
            if name.hasPrefix(".tmp-") {
                if isStaleTemporary(path: path, name: name) { unlink(path) }
                continue
            }
            guard name.hasSuffix(".h5"), !name.hasPrefix(".") else { continue }
            let runId = String(name.dropLast(3))
            if let status = manifest.status(of: runId, path: path) ?? completeShardStatus(path: path, runId: runId) {
                body(runId, status)
            } else {
                unlink(path)
            }
        }
    }

    /// The status of the shard at `path` when it opens and holds /runs/<runId> with its status
    /// and step ("" for a status that is not text); nil otherwise.
    static func completeShardStatus(path: String, runId: String) -> String? {
        if NativeHDF5.enabled, let reader = try? NativeHDF5Reader(path: path),
           let group = try? reader.address(of: ["runs", runId]), let run = try? reader.object(at: group), run.isGroup {
            guard run.links.contains(where: { $0.name == "step" }),
                  let status = run.attributes.first(where: { $0.0 == "status" })?.1 else { return nil }
            return status.asString ?? ""
        }
        return HDF5.locked {
            guard let file = try? HDF5.openFile(path) else { return nil }
            defer { H5Fclose(file) }
            guard HDF5.exists(file, ["runs", runId, "step"]), let group = try? HDF5.openGroup(file, "runs/" + runId)
            else { return nil }
            defer { H5Gclose(group) }
            guard HDF5.hasAttribute(group, "status") else { return nil }
            return (try? HDF5.readAttribute(group, "status"))?.asString ?? ""
        }
    }

    /// `grace` is 0 for the merge's temporaries: a merge holds the folder's lock alone, so a
    /// temporary of a dead pid can only be a killed merge's, however young.
    static func isStaleTemporary(path: String, name: String, grace: TimeInterval = 2) -> Bool {
        guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        else { return false }
        let age = Date().timeIntervalSince(modified)
        if age >= 600 { return true }
        // ".tmp-<id>-<pid>.h5": the pid is the text between the last '-' and the extension.
        let stem = name.hasSuffix(".h5") ? String(name.dropLast(3)) : name
        guard age >= grace, let dash = stem.lastIndex(of: "-"), let pid = Int32(stem[stem.index(after: dash)...]),
              pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// rename(2): atomic within one filesystem, replacing `destination` if it exists.
    static func moveAtomically(_ source: String, to destination: String) throws {
        if rename(source, destination) != 0 {
            throw StoreError("cannot rename \(source) to \(destination): \(String(cString: strerror(errno)))")
        }
    }

}
