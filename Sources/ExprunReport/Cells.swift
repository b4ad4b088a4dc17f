import Foundation
import ExprunCore
import ExprunStore

/// One grid cell: the runs that share every swept value except the seed.
public struct Cell: Sendable {
    /// The swept values of the cell (seed excluded), in `swept` order, as display labels.
    public var key: [(String, String)]
    /// The runs of the cell (one per seed), in index order.
    public var runIds: [String]
    /// How each of them ended (completed, diverged, failed, timeout), in `runIds` order.
    public var statuses: [String]

    /// The runs with their statuses.
    public var runs: Zip2Sequence<[String], [String]> { zip(runIds, statuses) }

    /// The cell's label for parameter `name`, or nil when it is not swept.
    public func value(_ name: String) -> String? { key.first { $0.0 == name }?.1 }

    /// The key restricted to `names` (in key order).
    public func subkey(_ names: [String]) -> [(String, String)] { key.filter { names.contains($0.0) } }
}

/// A results file's runs grouped into grid cells, with the status of every run; read from
/// /index when present (one read), else from the run attributes.
public struct CellIndex: Sendable {
    /// Swept parameters without the seed, in the order of the sweep.
    public var swept: [String]
    /// Cells in grid order (the order of their first run in the index).
    public var cells: [Cell]
    /// How many runs of the cells ended with each status.
    public var statusCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for cell in cells { for status in cell.statuses { counts[status, default: 0] += 1 } }
        return counts
    }
    /// The iterate views recorded besides `last` (avg, suffix_avg, ema), from the first run.
    public var views: [String]

    /// Only the cells whose label of each parameter is one of the given labels (numbers
    /// compare by value, so `1` selects the label `1.0` too).
    public func selecting(_ conditions: [(parameter: String, labels: [String])]) -> CellIndex {
        var copy = self
        copy.cells = cells.filter { cell in
            conditions.allSatisfy { condition in
                let label = cell.value(condition.parameter) ?? ""
                return condition.labels.contains { compareLabels($0, label) == 0 }
            }
        }
        return copy
    }

    /// The last rung of a successive-halving sweep (the cells of the highest `rung`, the
    /// survivors at the largest budget), where summaries and plots look by default; the
    /// index itself when there are no rungs.
    public func finalRung() -> CellIndex {
        guard swept.contains("rung"), let last = cells.compactMap({ $0.value("rung").flatMap { Int($0) } }).max() else { return self }
        return selecting([(parameter: "rung", labels: [String(last)])])
    }

    public static func make(file: ResultsFile) -> CellIndex {
        let swept = file.swept.filter { $0 != "seed" }
        let runs = file.runIds.count
        // Labels column by column from /index (a few bytes per run: no per-run dictionaries);
        // a run the index does not cover is read from its attributes.
        func column(_ name: String) -> [Value]? { file.indexColumn(name).flatMap { $0.count >= runs ? $0 : nil } }
        let labelColumns = swept.map { column($0)?.prefix(runs).map(valueLabel) }
        let statusColumn = column("status")?.prefix(runs).map { $0.asString ?? $0.canonical }
        var order: [String] = []
        var groups: [String: Cell] = [:]
        for (i, id) in file.runIds.enumerated() {
            let key: [(String, String)], status: String
            if let statusColumn, labelColumns.allSatisfy({ $0 != nil }) {
                status = statusColumn[i]
                key = zip(swept, labelColumns).map { ($0, $1![i]) }
            } else {
                let attrs = Dictionary(file.attributes(id), uniquingKeysWith: { a, _ in a })
                status = attrs["status"]?.asString ?? ""
                key = swept.map { ($0, attrs[$0].map(valueLabel) ?? "") }
            }
            let k = key.map(\.1).joined(separator: "\u{1}")
            if groups[k] == nil { order.append(k); groups[k] = Cell(key: key, runIds: [], statuses: []) }
            groups[k]!.runIds.append(id)
            groups[k]!.statuses.append(status)
        }
        let views = file.runIds.first.map { file.viewNames($0) } ?? []
        return CellIndex(swept: swept, cells: order.map { groups[$0]! }, views: views)
    }

    /// "last" followed by the recorded views.
    public var allViews: [String] { ["last"] + views }

    /// The distinct labels of parameter `name` over the cells, in grid order.
    public func values(of name: String) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for c in cells { if let v = c.value(name), seen.insert(v).inserted { out.append(v) } }
        return out
    }

    /// Swept parameters that describe the problem rather than the method: roles and
    /// parameters of datasets, models and environments.
    public var problemParameters: [String] {
        swept.filter { p in
            let role = p.split(separator: ".").first.map(String.init) ?? p
            return ["dataset", "model", "environment"].contains(role)
        }
    }
}

/// Display label of a swept value: numbers in short form (0.01, 10), the rest as written.
public func valueLabel(_ v: Value) -> String {
    if case .double(let d) = v { return formatNumber(d) }
    return v.canonical
}

/// Which value of a curve summarises a run.
public enum Reduction: Sendable, Equatable {
    /// The last logged value.
    case final
    /// The best value over the curve (min, or max).
    case best(minimize: Bool)
    /// The value at the last log point at or before this step.
    case atStep(Int)
    /// The area under the curve divided by the step span (trapezoid rule over the logged
    /// steps): the time-average of the metric, lower for methods that get low early.
    case auc

    /// The reduced value of series `s` logged at `steps` (nil when there is none).
    public func apply(_ s: [Double], steps: [Int]) -> Double? {
        switch self {
        case .final: return s.last
        case .best(let minimize):
            let finite = s.filter(\.isFinite)
            return minimize ? finite.min() : finite.max()
        case .atStep(let t):
            guard let i = steps.lastIndex(where: { $0 <= t }), i < s.count else { return nil }
            return s[i]
        case .auc:
            let n = min(s.count, steps.count)
            guard n >= 2 else { return s.first }
            var area = 0.0
            for i in 1..<n {
                let a = s[i - 1], b = s[i]
                // A NaN (e.g. an online loss at step 0) contributes nothing rather than poisoning the sum.
                if !a.isNaN && !b.isNaN { area += 0.5 * (a + b) * Double(steps[i] - steps[i - 1]) }
            }
            let span = Double(steps[n - 1] - steps[0])
            return span > 0 ? area / span : s[n - 1]
        }
    }

    /// A short description used in table titles.
    public var text: String {
        switch self {
        case .final: return "final value"
        case .best(let m): return m ? "best (min) value" : "best (max) value"
        case .atStep(let t): return "value at the last log point at or before step \(t)"
        case .auc: return "area under the curve / steps"
        }
    }
}

/// Whether smaller is better for `metric`: accuracy-like metrics are maximised.
public func metricMinimizes(_ metric: String) -> Bool {
    !(metric.contains("accuracy") || metric.hasSuffix("_acc") || metric.contains("reward"))
}
