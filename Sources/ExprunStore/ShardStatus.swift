import CHDF5
import Foundation

extension Store {
    /// The `status` attribute of each shard in `directory` named in `ids` (complete shards:
    /// pass the result of `completedShardIds`). A re-run retries the failed ones. Shards that
    /// shards/.manifest describes are not opened.
    public static func shardStatuses(directory: String, ids: Set<String>) -> [String: String] {
        var out: [String: String] = [:]
        let manifest = ShardManifest(directory: directory)
        for id in ids {
            let path = shardPath(runId: id, directory: directory)
            if let status = manifest.status(of: id, path: path) {
                out[id] = status
                continue
            }
            let status: String? = HDF5.locked {
                guard let file = try? HDF5.openFile(path) else { return nil }
                defer { H5Fclose(file) }
                guard let group = try? HDF5.openGroup(file, "runs/" + id) else { return nil }
                defer { H5Gclose(group) }
                return (try? HDF5.readAttribute(group, "status"))?.asString
            }
            if let status { out[id] = status }
        }
        return out
    }
}
