import CHDF5
import ExprunCore
import Foundation

/// A merge with the native writer (Native/NativeHDF5Writer.swift): each run is read natively
/// (its shard, or for a run an incremental merge keeps, its group in the existing results.h5;
/// libhdf5 for a shard outside the native subset) and its group appended to the new file as
/// it is read, so only the /runs links (and each run's id and status) stay in memory; the rows
/// of /index and /tables wait in scratch files (ConsolidatedTables.swift). Then libhdf5 opens
/// the finished file and adds /index and /tables, a block of rows at a time: a few objects
/// whatever the number of runs (compound types; chunked, compressed long arrays), so their
/// cost does not scale with runs the way one libhdf5 call per attribute does.
///
/// An incremental merge is a rewrite too, not libhdf5 editing a copy: /runs keeps its links in
/// its object header (compact storage), and libhdf5 removing or adding one there condenses the
/// header message by message, which is quadratic (minutes at 10,000 runs). Rewriting costs the
/// native read and write of each kept run (tens of microseconds) and leaves no dead space.
/// When the existing file is not natively readable (written by libhdf5, edited by h5py), the
/// caller edits a copy through libhdf5 as before.
///
/// The groups, datasets and attributes are those `write` produces through libhdf5 (same names,
/// types, values and creation order), and /runs lists the runs in `present` order, as a full
/// merge does; tests compare both files with h5dump and h5py.
extension MergePlan {
    /// Writes results.h5 at `path` (a temporary name) natively, the kept runs of an incremental
    /// merge read from `existing`; returns the ids merged, in order, with their statuses, or nil
    /// when a run is outside the native subset (a series longer than a chunk, over 128
    /// attributes) or `existing` is not natively readable: the caller then merges through libhdf5.
    /// Takes the HDF5 lock itself, only around libhdf5 calls.
    func writeNative(_ path: String, root: RootInfo, existing: String) throws -> (ids: [String], statuses: [String])? {
        var tables = try ConsolidatedTables(indexColumns: columnNames, scratch: (path as NSString).deletingLastPathComponent)
        do {
            var old: (reader: NativeHDF5Reader, runs: [String: UInt64])?
            if incremental {
                let reader = try NativeHDF5Reader(path: existing, strings: strings)
                guard let runs = try reader.address(of: ["runs"]) else { return nil }
                let links = try reader.object(at: runs).links
                old = (reader, Dictionary(links.map { ($0.name, $0.address) }, uniquingKeysWith: { first, _ in first }))
            }
            // Collections of 64 KiB: a results file holds the strings of many runs.
            let writer = try NativeHDF5Writer(path: path, collectionSize: 1 << 16)
            var links: [(name: String, address: UInt64)] = []
            links.reserveCapacity(present.count)
            for (i, runId) in present.enumerated() {
                if i % 4096 == 4095 { old?.reader.releasePages() }
                let kept = old.flatMap { old in self.kept.contains(runId) ? old.runs[runId].map { (old.reader, $0) } : nil }
                guard let run = try kept.map({ try $0.0.storedRun(at: $0.1) }) ?? readShard(runId, native: true) else { continue }
                links.append((runId, try writer.write(run)))
                try tables.append(runId: runId, attributes: run.attributes, curves: run.curves)
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
                try tables.write(file)
            } catch {
                H5Fclose(file)
                throw error
            }
            try HDF5.closeFile(file)
        }
        return (tables.ids, tables.statuses)
    }

    /// How many links the group at `path` of the file holds in its object header (compact
    /// storage, as the native writer stores them); 0 when the file is not natively readable.
    static func compactLinks(_ file: String, _ path: [String]) -> Int {
        guard let reader = try? NativeHDF5Reader(path: file), let address = try? reader.address(of: path),
              let group = try? reader.object(at: address) else { return 0 }
        return group.links.count
    }
}
