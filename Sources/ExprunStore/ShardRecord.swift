import ExprunCore
import Foundation

extension Store {
    /// The record of a finished run read back from its shard in `directory` (what a
    /// downstream run of a later invocation gets as its upstream record), or nil when the
    /// run has no complete shard there. Series are float64 in the file, so they come back
    /// bit for bit; `wallSeconds` is the stored timing.
    public static func readShard(runId: String, directory: String) -> RunRecord? {
        let path = shardPath(runId: runId, directory: directory)
        guard FileManager.default.fileExists(atPath: path), completeShardStatus(path: path, runId: runId) != nil,
              let file = try? ResultsFile(path: path) else { return nil }
        let all = file.attributes(runId)
        let value = { (name: String) in all.first { $0.0 == name }?.1 }
        guard let status = value("status")?.asString.flatMap(RunStatus.init(rawValue:)) else { return nil }
        let series = { (view: String?) in
            file.metricNames(runId, view: view).map {
                Series(name: $0, values: file.series(runId, metric: $0, view: view) ?? [],
                       columns: file.seriesColumns(runId, metric: $0, view: view))
            }
        }
        return RunRecord(runId: runId, status: status, message: value("message")?.asString ?? "",
                         divergedStep: value("diverged_step")?.asInt, stoppedStep: value("stopped_step")?.asInt,
                         wallSeconds: value("wall_seconds")?.asDouble ?? 0,
                         attributes: all.filter { !standardRunAttributes.contains($0.0) },
                         steps: file.steps(runId), metrics: series(nil),
                         views: file.viewNames(runId).map { (view: $0, metrics: series($0)) })
    }
}
