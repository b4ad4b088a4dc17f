import Foundation
import ExprunCore
import ExprunStore

/// Statistics of one metric over the seeds of one grid cell.
public struct CellStatistics: Sendable {
    /// The swept values of the cell (seed excluded), in `swept` order.
    public var key: [(String, String)]
    public var view: String
    public var count: Int
    public var diverged: Int
    public var failed: Int
    public var mean: Double
    public var std: Double
    public var median: Double
    public var min: Double
    public var max: Double
}

/// Which value of a curve summarises a run.
public enum Reduction: Sendable, Equatable {
    case final
    case best(minimize: Bool)
    case atStep(Int)
}

/// The summary table: one row per grid cell (and view), statistics over seeds.
public struct SummaryTable: Sendable {
    public var metric: String
    public var swept: [String]
    public var rows: [CellStatistics]

    /// Reads results.h5 and summarises `metric` per cell. Diverged runs are counted and left
    /// out of the statistics (their final value is not a number worth averaging).
    public static func make(file: ResultsFile, metric: String, reduction: Reduction = .final,
                            views: [String]? = nil) -> SummaryTable {
        let swept = file.swept
        var order: [String] = []
        var groups: [String: (key: [(String, String)], runs: [String])] = [:]
        for id in file.runIds {
            let attrs = Dictionary(file.attributes(id), uniquingKeysWith: { a, _ in a })
            let key = swept.map { ($0, attrs[$0].map(label) ?? "") }
            let k = key.map { $0.1 }.joined(separator: "\u{1}")
            if groups[k] == nil { order.append(k); groups[k] = (key, []) }
            groups[k]!.runs.append(id)
        }
        let allViews = views ?? (["last"] + (file.runIds.first.map { file.viewNames($0) } ?? []))
        var rows: [CellStatistics] = []
        for k in order {
            let g = groups[k]!
            for view in allViews {
                var values: [Double] = []
                var diverged = 0, failed = 0
                for id in g.runs {
                    let status = file.status(id)
                    if status == RunStatus.diverged.rawValue { diverged += 1; continue }
                    if status == RunStatus.failed.rawValue { failed += 1; continue }
                    guard let series = file.series(id, metric: metric, view: view == "last" ? nil : view),
                          let v = reduce(series, steps: file.steps(id), reduction), v.isFinite else { continue }
                    values.append(v)
                }
                if values.isEmpty && diverged == 0 && failed == 0 { continue }
                rows.append(statistics(key: g.key, view: view, values: values, diverged: diverged, failed: failed))
            }
        }
        return SummaryTable(metric: metric, swept: swept, rows: rows)
    }

    static func reduce(_ s: [Double], steps: [Int], _ r: Reduction) -> Double? {
        switch r {
        case .final: return s.last
        case .best(let minimize):
            let finite = s.filter(\.isFinite)
            return minimize ? finite.min() : finite.max()
        case .atStep(let t):
            guard let i = steps.lastIndex(where: { $0 <= t }) else { return nil }
            return s[i]
        }
    }

    static func label(_ v: Value) -> String {
        if case .double(let d) = v { return formatNumber(d) }
        return v.canonical
    }

    static func statistics(key: [(String, String)], view: String, values: [Double], diverged: Int, failed: Int) -> CellStatistics {
        let n = values.count
        let sorted = values.sorted()
        let mean = n > 0 ? values.reduce(0, +) / Double(n) : .nan
        // Sample standard deviation (ddof = 1), as numpy.std(ddof=1) and pandas' default.
        let std = n > 1 ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot() : (n == 1 ? 0 : .nan)
        let median = n == 0 ? .nan : (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2)
        return CellStatistics(key: key, view: view, count: n, diverged: diverged, failed: failed, mean: mean, std: std,
                              median: median, min: sorted.first ?? .nan, max: sorted.last ?? .nan)
    }

    // MARK: - rendering

    public enum Format: String, Sendable, CaseIterable { case text, csv, markdown, json }

    var header: [String] { swept + ["view", "n", "diverged", "mean", "std", "median", "min", "max"] }

    func cells(_ r: CellStatistics, numbers: (Double) -> String) -> [String] {
        r.key.map(\.1) + [r.view, String(r.count), String(r.diverged + r.failed > 0 ? r.diverged : 0) + (r.failed > 0 ? "+\(r.failed)f" : ""),
                          numbers(r.mean), numbers(r.std), numbers(r.median), numbers(r.min), numbers(r.max)]
    }

    public func render(_ format: Format) -> String {
        let showView = Set(rows.map(\.view)).count > 1
        func drop(_ row: [String]) -> [String] {
            showView ? row : row.enumerated().filter { $0.offset != swept.count }.map(\.element)
        }
        switch format {
        case .text:
            let head = drop(header)
            let body = rows.map { drop(cells($0, numbers: formatNumber)) }
            var widths = head.map(\.count)
            for r in body { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
            let numericFrom = head.count - 7
            func line(_ r: [String]) -> String {
                r.enumerated().map { i, c in
                    i >= numericFrom ? String(repeating: " ", count: widths[i] - c.count) + c
                        : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
            }
            return "\(metric) (final value over seeds)\n" + line(head) + "\n"
                + line(widths.map { String(repeating: "-", count: $0) }) + "\n" + body.map(line).joined(separator: "\n") + "\n"
        case .csv:
            func esc(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
            return ([header] + rows.map { cells($0, numbers: { String($0) }) }).map { $0.map(esc).joined(separator: ",") }.joined(separator: "\n") + "\n"
        case .markdown:
            let head = drop(header)
            return "| " + head.joined(separator: " | ") + " |\n|" + head.map { _ in "---|" }.joined() + "\n"
                + rows.map { "| " + drop(cells($0, numbers: formatNumber)).joined(separator: " | ") + " |" }.joined(separator: "\n") + "\n"
        case .json:
            let objects: [[String: Any]] = rows.map { r in
                var o: [String: Any] = [:]
                for (k, v) in r.key { o[k] = v }
                o["view"] = r.view; o["n"] = r.count; o["diverged"] = r.diverged; o["failed"] = r.failed
                for (k, v) in [("mean", r.mean), ("std", r.std), ("median", r.median), ("min", r.min), ("max", r.max)] {
                    o[k] = v.isFinite ? v : NSNull()
                }
                return o
            }
            let data = try! JSONSerialization.data(withJSONObject: ["metric": metric, "rows": objects], options: [.prettyPrinted, .sortedKeys])
            return String(data: data, encoding: .utf8)! + "\n"
        }
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
