import Foundation
import ExprunCore
import ExprunStore
import ExprunReport

/// What a sweep prints when it ends: a short table that fits on a screen, where the full one
/// is, and after an interruption how to resume.
enum SweepEnd {
    static let shortRows = 10

    /// With a swept step size (`*.lr`), the tuned comparison (each method at its best step
    /// size); otherwise the best `shortRows` cells of the last iterate by mean. Then where the
    /// full table is.
    static func shortTable(file: ResultsFile, metric: String, fullTable: String) -> String {
        let index = CellIndex.make(file: file).finalRung()
        let minimize = metricMinimizes(metric)
        // (Not for a halving sweep's last rung: its few survivors are the comparison.)
        if !index.swept.contains("rung"), let lr = index.swept.first(where: { $0.hasSuffix(".lr") && index.values(of: $0).count > 1 }),
           let tuned = try? TunedComparison.make(file: file, cells: index, metric: metric, tuned: [lr], minimize: minimize,
                                                 views: ["last"]),
           tuned.rows.count <= 3 * shortRows {
            return tuned.render(.text) + "full table (every cell and view): \(fullTable)\n"
        }
        var table = SummaryTable.make(file: file, cells: index, metric: metric, views: ["last"])
        _ = table.sort(by: "mean", descending: !minimize)
        let all = table.rows.count
        table.rows = Array(table.rows.prefix(shortRows))
        let more = all > table.rows.count ? "the best \(table.rows.count) of \(all) cells (last iterate); " : ""
        return table.render(.text) + "\(more)full table (every cell and view): \(fullTable)\n"
    }

    /// Whether summary.txt was written after results.h5 (whose time is when its merge began):
    /// then nothing was merged since, and the summary is not computed again.
    static func summaryIsCurrent(outDir: String) -> Bool {
        var summary = stat(), results = stat()
        guard stat(outDir + "/summary.txt", &summary) == 0, stat(outDir + "/results.h5", &results) == 0 else { return false }
        let (s, r) = (summary.st_mtim, results.st_mtim)
        return s.tv_sec > r.tv_sec || (s.tv_sec == r.tv_sec && s.tv_nsec > r.tv_nsec)
    }

    /// The line printed after Ctrl-C: what was kept and the command that resumes.
    static func resumeHint(finished: Int, total: Int) -> String {
        let args = CommandLine.arguments.dropFirst().filter { $0 != "--fresh" }.map { a in
            a.contains(where: { " \"'$[]*?;&|<>(){}".contains($0) }) ? "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'" : a
        }
        return "interrupted: \(finished) of \(total) runs finished and kept; to resume, run again: exprun \(args.joined(separator: " "))"
    }
}
