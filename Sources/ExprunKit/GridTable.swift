import ExprunCore
import ExprunSpec
import ExprunReport

/// The `--dry-run` table: one line per run with its id, seed and swept values.
enum GridTable {
    /// Two passes over the runs, holding no row per run: the column widths, then the lines.
    /// The swept labels are made once per cell (the seeds of a cell share its values).
    static func render(_ e: Experiment, runs: [RunSpec]) -> String {
        let head = ["run_id", "seed"] + e.swept
        var widths = head.map(\.count)
        func forEachRow(_ body: (RunSpec, [String]) -> Void) {
            var labels: [String] = []
            for (i, r) in runs.enumerated() {
                if i == 0 || !r.sharesCell(with: runs[i - 1]) { labels = r.swept.map { label($0.1) } }
                body(r, labels)
            }
        }
        forEachRow { r, labels in
            widths[0] = max(widths[0], r.runId.count)
            widths[1] = max(widths[1], String(r.seed).count)
            for (k, c) in labels.enumerated() { widths[k + 2] = max(widths[k + 2], c.count) }
        }
        var out = ""
        func append(_ cells: [String]) {
            for (k, c) in cells.enumerated() {
                if k > 0 { out += "  " }
                out += c.padding(toLength: widths[k], withPad: " ", startingAt: 0)
            }
        }
        let seeds = Set(runs.map(\.seed)).count
        out += "\(e.name): \(runs.count) \(e.problem) runs (\(plural(seeds, "seed")) x \(runs.count / max(1, seeds)) cells)\n"
        append(head)
        forEachRow { r, labels in
            out += "\n"
            append([r.runId, String(r.seed)] + labels)
        }
        return out
    }
    static func label(_ v: Value) -> String {
        if case .double(let d) = v { return String(d) }
        return v.canonical
    }
}
