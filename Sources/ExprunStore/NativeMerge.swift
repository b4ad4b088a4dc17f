import CHDF5
import ExprunCore
import Foundation

/// A full merge with the native writer (Native/NativeHDF5Writer.swift): the shards are read
/// natively (libhdf5 for a shard outside the native subset) and each run group is appended to
/// the file as it is read, so only the /runs links, /index rows and /tables columns stay in
/// memory. Then libhdf5 opens the finished file and adds /index and /tables: a few objects
/// whatever the number of runs (compound types; chunked, compressed long arrays), so their cost
/// does not scale with runs the way one libhdf5 call per attribute does.
///
/// The groups, datasets and attributes are those `write` produces through libhdf5 (same names,
/// types, values and creation order); tests compare both files with h5dump and h5py.
extension MergePlan {
    /// Writes results.h5 at `path` (a temporary name) natively; returns the ids merged, in
    /// order, with their statuses, or nil when a run is outside the native subset (a series
    /// longer than a chunk, over 128 attributes): the caller then merges through libhdf5.
    /// Takes the HDF5 lock itself, only around libhdf5 calls.
    func writeNative(_ path: String, root: RootInfo) throws -> (ids: [String], statuses: [String])? {
        var rows = IndexRows(columnNames: columnNames)
        var tables = ConsolidatedTables()
        do {
            // Collections of 64 KiB: a results file holds the strings of many runs.
            let writer = try NativeHDF5Writer(path: path, collectionSize: 1 << 16)
            var links: [(name: String, address: UInt64)] = []
            links.reserveCapacity(present.count)
            for runId in present {
                guard let run = try readShard(runId, native: true) else { continue }
                links.append((runId, try writer.write(run)))
                tables.append(runId: runId, attributes: run.attributes, curves: run.curves)
                rows.append(runId, run.attributes)
            }
            let runs = try writer.writeGroup(attributes: [], links: links)
            try writer.finish(root: try writer.writeGroup(attributes: Self.rootAttributes(root), links: [("runs", runs)]))
        } catch is NativeHDF5.Unsupported {
            unlink(path)
            return nil
        }
        try HDF5.locked {
            let file = try HDF5.openFileForWriting(path)
            do {
                try HDF5.writeTable(file, "index", columns: rows.table)
                try tables.write(file)
            } catch {
                H5Fclose(file)
                throw error
            }
            try HDF5.closeFile(file)
        }
        return (rows.ids, rows.statuses)
    }
}
