import Foundation
import ExprunCore
import ExprunStore

/// Statistics of one metric over the seeds of one grid cell.
public struct CellStatistics: Sendable {
    /// The swept values of the cell (seed excluded), in `swept` order.
    public var key: [(String, String)]
    public var view: String
    /// Runs that contributed a finite value.
    public var count: Int
    public var diverged: Int
    public var failed: Int
    public var mean: Double
    /// Sample standard deviation (ddof = 1; NaN for one run, as numpy).
    public var std: Double
    public var median: Double
    public var min: Double
    public var max: Double

    /// The row's label in a column: a swept parameter's value, or the view ("" when absent).
    public func label(_ column: String) -> String {
        column == "view" ? view : (key.first { $0.0 == column }?.1 ?? "")
    }

    /// Mean, sample std (ddof = 1, as numpy.std(ddof=1) and pandas), median, min, max of `values`.
    public static func of(_ values: [Double], key: [(String, String)] = [], view: String = "last",
                          diverged: Int = 0, failed: Int = 0) -> CellStatistics {
        let n = values.count
        let sorted = values.sorted()
        let mean = n > 0 ? values.reduce(0, +) / Double(n) : .nan
        let std = n > 1 ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot() : .nan
        return CellStatistics(key: key, view: view, count: n, diverged: diverged, failed: failed, mean: mean, std: std,
                              median: quantile(sorted, 0.5), min: sorted.first ?? .nan, max: sorted.last ?? .nan)
    }
}

/// Quantile of sorted values with linear interpolation (numpy's default method).
public func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let h = Double(sorted.count - 1) * q
    let lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, sorted.count - 1)
    // Exact positions skip the interpolation, so an infinite neighbour cannot make 0 * inf = NaN.
    if Double(lo) == h || sorted[lo] == sorted[hi] { return sorted[lo] }
    return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
}

/// The summary table: one row per grid cell (and view), statistics over seeds.
public struct SummaryTable: Sendable {
    public var metric: String
    public var reduction: Reduction
    public var swept: [String]
    public var rows: [CellStatistics]
    /// Parameter whose values split the table into sections (text and Markdown), if any.
    public var groupBy: String?

    /// Reads results.h5 and summarises `metric` per cell and view. Diverged and failed runs are
    /// counted and left out of the statistics (their final value is not a number worth averaging).
    public static func make(file: ResultsFile, metric: String, reduction: Reduction = .final,
                            views: [String]? = nil) -> SummaryTable {
        make(file: file, cells: CellIndex.make(file: file), metric: metric, reduction: reduction, views: views)
    }

    public static func make(file: ResultsFile, cells index: CellIndex, metric: String, reduction: Reduction = .final,
                            views: [String]? = nil) -> SummaryTable {
        let allViews = views ?? index.allViews
        var rows: [CellStatistics] = []
        for cell in index.cells {
            for view in allViews {
                var values: [Double] = []
                var diverged = 0, failed = 0
                var seen = false
                for (id, status) in cell.runs {
                    if status == RunStatus.diverged.rawValue { diverged += 1; continue }
                    if status == RunStatus.failed.rawValue { failed += 1; continue }
                    guard let series = file.series(id, metric: metric, view: view == "last" ? nil : view) else { continue }
                    seen = true
                    if let v = reduction.apply(series, steps: file.steps(id)), v.isFinite { values.append(v) }
                }
                if !seen && diverged == 0 && failed == 0 { continue }
                rows.append(.of(values, key: cell.key, view: view, diverged: diverged, failed: failed))
            }
        }
        return SummaryTable(metric: metric, reduction: reduction, swept: index.swept, rows: rows)
    }

    /// Columns a table can be sorted by.
    public static let sortColumns = ["mean", "std", "median", "min", "max", "n", "diverged"]

    /// Sorts rows by a statistic (NaN last) or by a swept parameter (numerically when both
    /// labels are numbers), stable, keeping grid order among ties. Returns false for an
    /// unknown column.
    public mutating func sort(by column: String, descending: Bool = false) -> Bool {
        let numeric: ((CellStatistics) -> Double)?
        switch column {
        case "mean": numeric = { $0.mean }
        case "std": numeric = { $0.std }
        case "median": numeric = { $0.median }
        case "min": numeric = { $0.min }
        case "max": numeric = { $0.max }
        case "n": numeric = { Double($0.count) }
        case "diverged": numeric = { Double($0.diverged) }
        default: numeric = nil
        }
        let indexed = Array(rows.enumerated())
        if let f = numeric {
            // A statistic of the surviving seeds flatters a cell where others diverged: such
            // cells rank after every cell whose seeds all finished, fewest lost seeds first.
            let lost = { (r: CellStatistics) in r.diverged + r.failed }
            let byStatistic = column != "n" && column != "diverged"
            rows = indexed.sorted { a, b in
                if byStatistic && lost(a.element) != lost(b.element) { return lost(a.element) < lost(b.element) }
                let x = f(a.element), y = f(b.element)
                if x.isNaN != y.isNaN { return !x.isNaN }
                if x != y && !x.isNaN { return descending ? x > y : x < y }
                return a.offset < b.offset
            }.map(\.element)
            return true
        }
        guard swept.contains(column) || column == "view" else { return false }
        rows = indexed.sorted { a, b in
            let c = compareLabels(a.element.label(column), b.element.label(column))
            if c != 0 { return descending ? c > 0 : c < 0 }
            return a.offset < b.offset
        }.map(\.element)
        return true
    }

    /// Orders rows by the values of `parameter` (first appearance order) and splits the text
    /// and Markdown renderings into one section per value. Returns false for an unknown parameter.
    public mutating func group(by parameter: String) -> Bool {
        guard swept.contains(parameter) || parameter == "view" else { return false }
        var order: [String: Int] = [:]
        for r in rows where order[r.label(parameter)] == nil { order[r.label(parameter)] = order.count }
        rows = rows.enumerated().sorted { a, b in
            let x = order[a.element.label(parameter)]!, y = order[b.element.label(parameter)]!
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
        groupBy = parameter
        return true
    }

    // MARK: - rendering

    public enum Format: String, Sendable, CaseIterable { case text, csv, markdown, json }

    var header: [String] { swept + ["view", "n", "diverged", "mean", "std", "median", "min", "max"] }

    func cells(_ r: CellStatistics, numbers: (Double) -> String) -> [String] {
        r.key.map(\.1) + [r.view, String(r.count), String(r.diverged) + (r.failed > 0 ? "+\(r.failed)f" : ""),
                          numbers(r.mean), numbers(r.std), numbers(r.median), numbers(r.min), numbers(r.max)]
    }

    /// The table title: the metric and how each run was reduced to one number.
    public var title: String { "\(metric) (\(reduction.text), statistics over seeds)" }

    public func render(_ format: Format) -> String {
        let showView = Set(rows.map(\.view)).count > 1
        // Columns dropped from text/Markdown: the view when there is one, the grouping column.
        var hidden = Set<Int>()
        if !showView { hidden.insert(swept.count) }
        if let g = groupBy { hidden.insert(g == "view" ? swept.count : swept.firstIndex(of: g)!) }
        // Text: a swept parameter with one value over every row (e.g. `environment: [sea]`) is
        // said once above the table rather than repeated on every line.
        var constants: [String] = []
        if format == .text && rows.count > 1 {
            for (i, p) in swept.enumerated() where !hidden.contains(i) && Set(rows.map { $0.key[i].1 }).count == 1 {
                hidden.insert(i); constants.append("\(p) = \(rows[0].key[i].1)")
            }
        }
        func drop(_ row: [String]) -> [String] { row.enumerated().filter { !hidden.contains($0.offset) }.map(\.element) }
        func groupLabel(_ r: CellStatistics) -> String? { groupBy.map(r.label) }
        switch format {
        case .text:
            let head = drop(header)
            let body = rows.map { drop(cells($0, numbers: formatNumber)) }
            let aligned = TextTable(header: head, rows: body, numericFrom: head.count - 7).lines()
            var out = title + "\n" + (constants.isEmpty ? "" : "all rows: " + constants.joined(separator: ", ") + "\n")
                + aligned[0] + "\n" + aligned[1] + "\n"
            var previous: String?
            // Without --by, a blank line separates the blocks of the first column shown (model,
            // learner, ...) so long tables read in groups.
            let firstShown = groupBy == nil ? (0..<swept.count).first { !hidden.contains($0) } : nil
            var previousBlock: String?
            for (i, r) in rows.enumerated() {
                if let g = groupLabel(r), g != previous {
                    out += (previous == nil ? "" : "\n") + "\(groupBy!) = \(g)\n"
                    previous = g
                }
                if let f = firstShown, rows.count > 12 {
                    if let p = previousBlock, p != r.key[f].1 { out += "\n" }
                    previousBlock = r.key[f].1
                }
                out += aligned[i + 2] + "\n"
            }
            return out
        case .csv:
            return TableText.csv(header, rows.map { cells($0, numbers: { String($0) }) })
        case .markdown:
            let head = drop(header)
            let tableHead = TableText.markdownHead(head)
            var out = "**\(title)**\n\n"
            var previous: String?
            for (i, r) in rows.enumerated() {
                if let g = groupLabel(r), g != previous {
                    out += (previous == nil ? "" : "\n") + "**\(groupBy!) = \(g)**\n\n" + tableHead
                    previous = g
                } else if i == 0 { out += tableHead }
                out += TableText.markdownRow(drop(cells(r, numbers: formatNumber)))
            }
            if rows.isEmpty { out += tableHead }
            return out
        case .json:
            let objects: [[String: Any]] = rows.map { r in
                var o: [String: Any] = [:]
                for (k, v) in r.key { o[k] = v }
                o["view"] = r.view; o["n"] = r.count; o["diverged"] = r.diverged; o["failed"] = r.failed
                for (k, v) in [("mean", r.mean), ("std", r.std), ("median", r.median), ("min", r.min), ("max", r.max)] {
                    o[k] = TableText.jsonNumber(v)
                }
                return o
            }
            return TableText.json(["metric": metric, "reduction": reduction.text, "swept": swept, "rows": objects])
        }
    }
}

/// Compares two labels: numerically when both are numbers, else as text. -1, 0 or 1.
public func compareLabels(_ a: String, _ b: String) -> Int {
    if let x = Double(a), let y = Double(b) { return x < y ? -1 : (x > y ? 1 : 0) }
    return a < b ? -1 : (a > b ? 1 : 0)
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
public func csvEscape(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

/// The renderings every report table shares.
enum TableText {
    /// A CSV document: the header, then one line per row.
    static func csv(_ header: [String], _ rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(csvEscape).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }
    /// A Markdown table's header and rule.
    static func markdownHead(_ header: [String]) -> String {
        "| " + header.joined(separator: " | ") + " |\n|" + header.map { _ in "---|" }.joined() + "\n"
    }
    /// A Markdown table row.
    static func markdownRow(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |\n" }
    /// A Markdown table under a bold title.
    static func markdown(title: String, _ header: [String], _ rows: [[String]]) -> String {
        "**\(title)**\n\n" + markdownHead(header) + rows.map(markdownRow).joined()
    }
    /// Pretty-printed JSON with sorted keys.
    static func json(_ root: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
        return String(data: data, encoding: .utf8)! + "\n"
    }
    /// A finite number, or JSON null.
    static func jsonNumber(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
    /// Drops column `index` (the view) from a row when the table has a single view.
    static func droppingView(_ row: [String], at index: Int, when single: Bool) -> [String] {
        single ? row.enumerated().filter { $0.offset != index }.map(\.element) : row
    }
}

/// A table aligned in columns: text left-aligned, numbers (columns from `numericFrom`) right-aligned.
struct TextTable {
    var header: [String]
    var rows: [[String]]
    var numericFrom: Int

    /// The header, a rule and one line per row.
    func lines() -> [String] {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ r: [String]) -> String {
            r.enumerated().map { i, c in
                i >= numericFrom ? String(repeating: " ", count: widths[i] - c.count) + c
                    : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return [line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)
    }
}

/// Four significant digits, scientific outside [1e-3, 1e5).
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == 0 { return "0" }
    let a = abs(x)
    if a >= 1e-3 && a < 1e5 { return String(format: "%.4g", x) }
    return String(format: "%.3e", x)
}
