import Foundation
import ExprunCore
import ExprunStore

/// One method-and-problem group of a tuned comparison: the cell whose seed-averaged score won
/// over the tuned parameters.
public struct TunedRow: Sendable {
    /// The swept values that are not tuned (method and problem), in `swept` order.
    public var group: [(String, String)]
    public var view: String
    /// The winning values of the tuned parameters; empty when no candidate has a finite score.
    public var winner: [(String, String)]
    /// The winner's seed-averaged score (final value or area under the curve).
    public var score: Double
    /// Statistics of the winner's per-run scores.
    public var statistics: CellStatistics?
    /// How many candidate cells were compared, and how many of them had a diverged or failed seed
    /// (those score +inf and cannot win).
    public var candidates: Int
    public var excludedDiverged: Int
    /// Tuned parameters whose winning value is the smallest or largest of the grid: the grid is
    /// probably too small.
    public var edge: [String]
    /// The winning cell (nil without a winner).
    public var cell: Cell?
}

/// A tuned comparison (the way optimizer papers compare methods): for each method and
/// problem, the values of the tuned parameters (e.g. optimizer.lr) with the best
/// seed-averaged score. A cell with any diverged or failed seed scores +inf and cannot win.
public struct TunedComparison: Sendable {
    public var metric: String
    public var tuned: [String]
    public var reduction: Reduction
    public var minimize: Bool
    public var swept: [String]
    public var rows: [TunedRow]

    /// Errors such as a tuned parameter that is not swept.
    public struct Problem: Error, CustomStringConvertible { public var description: String }

    /// Picks the winners. `reduction` is `.final` or `.auc` (any reduction works).
    public static func make(file: ResultsFile, cells index: CellIndex, metric: String, tuned: [String],
                            reduction: Reduction = .final, minimize: Bool, views: [String]? = nil) throws -> TunedComparison {
        for t in tuned where !index.swept.contains(t) {
            throw Problem(description: "--best-over \(t): not a swept parameter (swept: \(index.swept.joined(separator: ", ")))")
        }
        let rest = index.swept.filter { !tuned.contains($0) }
        // The grid of a tuned parameter as one method and problem saw it (its own cells: with
        // `zip`, each method can have its own window of step sizes), to tell whether a winner
        // lies on the edge of that window.
        func window(_ t: String, _ cells: [Cell]) -> (Double, Double)? {
            let raw = Set(cells.compactMap { $0.value(t) })
            let numbers = raw.compactMap(Double.init)
            guard numbers.count >= 2, numbers.count == raw.count else { return nil }
            return (numbers.min()!, numbers.max()!)
        }
        var order: [String] = []
        var groups: [String: (key: [(String, String)], cells: [Cell])] = [:]
        for c in index.cells {
            let key = c.subkey(rest)
            let k = key.map(\.1).joined(separator: "\u{1}")
            if groups[k] == nil { order.append(k); groups[k] = (key, []) }
            groups[k]!.cells.append(c)
        }
        var rows: [TunedRow] = []
        for k in order {
            let g = groups[k]!
            for view in views ?? index.allViews {
                var best: (score: Double, cell: Cell, stats: CellStatistics)?
                var excluded = 0, candidates = 0
                for c in g.cells {
                    var values: [Double] = []
                    var bad = false, seen = false
                    for (id, st) in c.runs {
                        if st == RunStatus.diverged.rawValue || st == RunStatus.failed.rawValue { bad = true; continue }
                        guard let s = file.series(id, metric: metric, view: view == "last" ? nil : view) else { continue }
                        seen = true
                        let v = reduction.apply(s, steps: file.steps(id)) ?? .nan
                        if !v.isFinite { bad = true } else { values.append(v) }
                    }
                    if !seen && !bad { continue }
                    candidates += 1
                    if bad || values.isEmpty { excluded += 1; continue }
                    let stats = CellStatistics.of(values, key: c.key, view: view)
                    let better = best.map { minimize ? stats.mean < $0.score : stats.mean > $0.score } ?? true
                    if better { best = (stats.mean, c, stats) }
                }
                if candidates == 0 { continue }
                var edge: [String] = []
                if let b = best {
                    for t in tuned {
                        if let (lo, hi) = window(t, g.cells), let v = b.cell.value(t).flatMap(Double.init), v == lo || v == hi { edge.append(t) }
                    }
                }
                rows.append(TunedRow(group: g.key, view: view, winner: best?.cell.subkey(tuned) ?? [],
                                     score: best?.score ?? (minimize ? .infinity : -.infinity), statistics: best?.stats,
                                     candidates: candidates, excludedDiverged: excluded, edge: edge, cell: best?.cell))
            }
        }
        return TunedComparison(metric: metric, tuned: tuned, reduction: reduction, minimize: minimize, swept: rest, rows: rows)
    }

    public var title: String {
        "\(metric): best \(tuned.joined(separator: ", ")) per method and problem (\(minimize ? "lowest" : "highest") seed mean of the \(reduction.text))"
    }

    /// Warnings: winners on the edge of the grid, groups where every candidate diverged.
    public var warnings: [String] {
        var out: [String] = []
        for r in rows {
            let who = (r.group.map { "\($0.0)=\($0.1)" } + (Set(rows.map(\.view)).count > 1 ? ["view=\(r.view)"] : [])).joined(separator: " ")
            if r.winner.isEmpty {
                out.append("\(who): every candidate diverged or failed; no winner")
            } else if !r.edge.isEmpty {
                let w = r.winner.filter { r.edge.contains($0.0) }.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
                out.append("\(who): best \(w) is on the edge of the grid; extend the grid")
            }
        }
        return out
    }

    var header: [String] {
        swept + ["view"] + tuned.map { "best " + $0 } + ["edge", "score", "std", "n", "excluded"]
    }

    func cells(_ r: TunedRow, numbers: (Double) -> String) -> [String] {
        let winners = tuned.map { t in r.winner.first { $0.0 == t }?.1 ?? "-" }
        return r.group.map(\.1) + [r.view] + winners
            + [r.edge.isEmpty ? "" : "edge", numbers(r.score), numbers(r.statistics?.std ?? .nan), String(r.statistics?.count ?? 0),
               "\(r.excludedDiverged)/\(r.candidates)"]
    }

    public func render(_ format: SummaryTable.Format) -> String {
        let showView = Set(rows.map(\.view)).count > 1
        func drop(_ row: [String]) -> [String] { TableText.droppingView(row, at: swept.count, when: !showView) }
        let note = "excluded = candidates with a diverged or failed seed (score +inf, cannot win) / candidates"
        switch format {
        case .text:
            let head = drop(header)
            let lines = TextTable(header: head, rows: rows.map { drop(cells($0, numbers: formatNumber)) }, numericFrom: head.count - 4).lines()
            return title + "\n" + lines.joined(separator: "\n") + "\n" + note + "\n"
                + warnings.map { "warning: " + $0 + "\n" }.joined()
        case .markdown:
            return TableText.markdown(title: title, drop(header), rows.map { drop(cells($0, numbers: formatNumber)) })
                + "\n" + note + "\n" + warnings.map { "\n> warning: " + $0 + "\n" }.joined()
        case .csv:
            return TableText.csv(header, rows.map { cells($0, numbers: { String($0) }) })
        case .json:
            let objects: [[String: Any]] = rows.map { r in
                var o: [String: Any] = [:]
                for (k, v) in r.group { o[k] = v }
                o["view"] = r.view
                o["best"] = Dictionary(uniqueKeysWithValues: r.winner)
                o["edge"] = r.edge
                o["score"] = TableText.jsonNumber(r.score)
                o["std"] = TableText.jsonNumber(r.statistics?.std ?? .nan)
                o["n"] = r.statistics?.count ?? 0
                o["candidates"] = r.candidates
                o["excluded_diverged"] = r.excludedDiverged
                return o
            }
            return TableText.json(["metric": metric, "tuned": tuned, "minimize": minimize, "reduction": reduction.text,
                                   "rows": objects, "warnings": warnings])
        }
    }
}
