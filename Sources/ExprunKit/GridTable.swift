import ExprunCore
import ExprunSpec
import ExprunReport

/// The `--dry-run` table: one line per run with its id, seed and swept values.
enum GridTable {
    static func render(_ e: Experiment, runs: [RunSpec]) -> String {
        let head = ["run_id", "seed"] + e.swept
        let rows = runs.map { r in [r.runId, String(r.seed)] + r.swept.map { label($0.1) } }
        var widths = head.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ r: [String]) -> String {
            r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        let kind = e.problem
        return "\(e.name): \(runs.count) \(kind) runs (\(plural(Set(runs.map(\.seed)).count, "seed")) x \(runs.count / max(1, Set(runs.map(\.seed)).count)) cells)\n"
            + line(head) + "\n" + rows.map(line).joined(separator: "\n")
    }
    static func label(_ v: Value) -> String {
        if case .double(let d) = v { return String(d) }
        return v.canonical
    }
}
