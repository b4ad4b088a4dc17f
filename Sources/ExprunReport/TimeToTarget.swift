import Foundation
import ExprunCore
import ExprunStore

/// Time to target per cell: the first log point at which each run's metric reaches a target
/// (at or below it when minimising, at or above when maximising), in steps, gradient
/// evaluations and seconds, summarised over seeds. Resolution is that of the log points.
public struct TargetRow: Sendable {
    public var key: [(String, String)]
    public var view: String
    /// Runs considered (diverged and failed runs count as not reaching the target).
    public var runs: Int
    public var reached: Int
    /// Per-run first steps reaching the target (nil: never), in cell run order.
    public var steps: [Int?]
    /// Median and mean over the runs that reached it.
    public var medianStep: Double
    public var meanStep: Double
    public var medianGradEvals: Double
    public var medianSeconds: Double
    /// Median over all runs with "never" as +inf: the cost a performance profile compares
    /// (finite only when at least half of the seeds reach the target).
    public var cost: Double
}

public struct TimeToTarget: Sendable {
    public var metric: String
    public var target: Double
    public var minimize: Bool
    public var swept: [String]
    public var rows: [TargetRow]

    /// Index of the first value reaching `target`, or nil. NaN never reaches it.
    public static func firstHit(_ values: [Double], target: Double, minimize: Bool) -> Int? {
        values.firstIndex { minimize ? $0 <= target : $0 >= target }
    }

    /// Median over all entries where nil is +inf.
    static func medianWithInfinity(_ xs: [Double?]) -> Double {
        quantile(xs.map { $0 ?? .infinity }.sorted(), 0.5)
    }

    public static func make(file: ResultsFile, cells index: CellIndex, metric: String, target: Double, minimize: Bool,
                            views: [String]? = nil, only: [(Cell, String)]? = nil) -> TimeToTarget {
        var rows: [TargetRow] = []
        let pairs = only ?? index.cells.flatMap { c in (views ?? index.allViews).map { (c, $0) } }
        for (cell, view) in pairs {
            var steps: [Int?] = [], evals: [Double] = [], seconds: [Double] = []
            var seen = false
            for (id, st) in cell.runs {
                let bad = st == RunStatus.diverged.rawValue || st == RunStatus.failed.rawValue
                guard let s = file.series(id, metric: metric, view: view == "last" ? nil : view) else {
                    if bad { steps.append(nil); seen = true }
                    continue
                }
                seen = true
                // A diverged run may pass the target on its way to blowing up; it still counts
                // if it got there before diverging (its curve stops at divergence).
                guard let i = firstHit(s, target: target, minimize: minimize) else { steps.append(nil); continue }
                let st0 = file.steps(id)
                steps.append(i < st0.count ? st0[i] : nil)
                if let g = file.series(id, metric: "grad_evals"), i < g.count { evals.append(g[i]) }
                if let w = Curves.xValues(file: file, runId: id, kind: .wall), i < w.count { seconds.append(w[i]) }
            }
            if !seen { continue }
            let hit = steps.compactMap { $0 }.map(Double.init)
            rows.append(TargetRow(key: cell.key, view: view, runs: steps.count, reached: hit.count, steps: steps,
                                  medianStep: quantile(hit.sorted(), 0.5),
                                  meanStep: hit.isEmpty ? .nan : hit.reduce(0, +) / Double(hit.count),
                                  medianGradEvals: quantile(evals.sorted(), 0.5), medianSeconds: quantile(seconds.sorted(), 0.5),
                                  cost: medianWithInfinity(steps.map { $0.map(Double.init) })))
        }
        return TimeToTarget(metric: metric, target: target, minimize: minimize, swept: index.swept, rows: rows)
    }

    public var title: String {
        "time to \(metric) \(minimize ? "<=" : ">=") \(formatNumber(target)) (first log point reaching it; medians over the seeds that reach it)"
    }

    var header: [String] { swept + ["view", "reached", "median step", "mean step", "median grad_evals", "median seconds"] }

    func cells(_ r: TargetRow, numbers: (Double) -> String) -> [String] {
        r.key.map(\.1) + [r.view, "\(r.reached)/\(r.runs)", numbers(r.medianStep), numbers(r.meanStep),
                          numbers(r.medianGradEvals), numbers(r.medianSeconds)]
    }

    public func render(_ format: SummaryTable.Format) -> String {
        let showView = Set(rows.map(\.view)).count > 1
        func drop(_ row: [String]) -> [String] { TableText.droppingView(row, at: swept.count, when: !showView) }
        func num(_ x: Double) -> String { x.isNaN ? "-" : formatNumber(x) }
        switch format {
        case .text:
            let head = drop(header)
            return title + "\n" + TextTable(header: head, rows: rows.map { drop(cells($0, numbers: num)) }, numericFrom: head.count - 5)
                .lines().joined(separator: "\n") + "\n"
        case .markdown:
            return TableText.markdown(title: title, drop(header), rows.map { drop(cells($0, numbers: num)) })
        case .csv:
            return TableText.csv(header, rows.map { cells($0, numbers: { String($0) }) })
        case .json:
            let objects: [[String: Any]] = rows.map { r in
                var o: [String: Any] = [:]
                for (k, v) in r.key { o[k] = v }
                o["view"] = r.view; o["runs"] = r.runs; o["reached"] = r.reached
                o["steps"] = r.steps.map { $0.map { $0 as Any } ?? NSNull() }
                for (k, v) in [("median_step", r.medianStep), ("mean_step", r.meanStep), ("median_grad_evals", r.medianGradEvals),
                               ("median_seconds", r.medianSeconds)] { o[k] = TableText.jsonNumber(v) }
                return o
            }
            return TableText.json(["metric": metric, "target": target, "minimize": minimize, "rows": objects])
        }
    }
}

/// A performance profile (Dolan & Moré 2002): for each method s, the fraction of problems p
/// whose cost t(p,s) is within a factor tau of the best method's cost on p,
/// rho_s(tau) = |{p : t(p,s) <= tau * min_s' t(p,s')}| / |P|. Cost: the median steps to the
/// target over seeds (+inf when fewer than half of the seeds reach it); a problem no method
/// solves counts as unsolved for every method.
public struct PerformanceProfile: Sendable {
    public var methods: [String]
    public var problems: [String]
    /// ratios[s][p] = t(p,s) / min over methods (inf when unsolved).
    public var ratios: [[Double]]

    /// Builds the profile from costs[method][problem].
    public init(methods: [String], problems: [String], costs: [[Double]]) {
        self.methods = methods
        self.problems = problems
        var r = costs
        for p in problems.indices {
            let best = costs.map { $0[p] }.filter { $0.isFinite && $0 >= 0 }.min()
            for s in methods.indices {
                // A zero cost (the target reached at step 0) makes ratios meaningless; count ties as 1.
                guard let b = best, costs[s][p].isFinite else { r[s][p] = .infinity; continue }
                r[s][p] = b == 0 ? (costs[s][p] == 0 ? 1 : .infinity) : costs[s][p] / b
            }
        }
        ratios = r
    }

    /// rho_s(tau).
    public func fraction(method s: Int, tau: Double) -> Double {
        Double(ratios[s].filter { $0 <= tau * (1 + 1e-12) }.count) / Double(max(problems.count, 1))
    }

    /// The steps of rho_s: the distinct finite ratios (with 1 first) and rho at each.
    public func curve(method s: Int) -> (tau: [Double], rho: [Double]) {
        let taus = Array(Set([1.0] + ratios[s].filter(\.isFinite))).sorted()
        return (taus, taus.map { fraction(method: s, tau: $0) })
    }

    /// Groups a time-to-target table into problems (values of `problemParameters`) and methods
    /// (the other swept values, and the view when several); nil with fewer than two problems.
    /// With `tuned` parameters (e.g. optimizer.lr), a method is the swept values without them
    /// and its cost on a problem is the least over their values: tuned methods are compared.
    /// `labels` renames values in the method names (`PATH:VALUE=TEXT`, `view:VALUE=TEXT`).
    public static func from(_ ttt: TimeToTarget, problemParameters: [String], tuned: [String] = [],
                            labels: PlotLabels = PlotLabels()) -> PerformanceProfile? {
        guard !problemParameters.isEmpty else { return nil }
        let showView = Set(ttt.rows.map(\.view)).count > 1
        // The numbers of one parameter are written in one style in the legend (1e-4 ... 1e2).
        var labelsOf: [String: [String]] = [:]
        for r in ttt.rows { for (p, v) in r.key where !(labelsOf[p]?.contains(v) ?? false) { labelsOf[p, default: []].append(v) } }
        let shown = Dictionary(uniqueKeysWithValues: labelsOf.map { ($0.key, labels.texts($0.key, $0.value)) })
        var methods: [String] = [], problems: [String] = []
        var cost: [String: [String: Double]] = [:]
        for r in ttt.rows {
            let p = r.key.filter { problemParameters.contains($0.0) }.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            var m = r.key.filter { !problemParameters.contains($0.0) && !tuned.contains($0.0) && ttt.swept.contains($0.0) }
                .map { shown[$0.0]?[$0.1] ?? $0.1 }.joined(separator: " / ")
            if showView { m += (m.isEmpty ? "" : " / ") + (labels.renamed("view", r.view) ?? r.view) }
            if !methods.contains(m) { methods.append(m) }
            if !problems.contains(p) { problems.append(p) }
            cost[m, default: [:]][p] = min(cost[m]?[p] ?? .infinity, r.cost)
        }
        guard problems.count >= 2 else { return nil }
        return PerformanceProfile(methods: methods, problems: problems,
                                  costs: methods.map { m in problems.map { cost[m]?[$0] ?? .infinity } })
    }

    /// The profile as a figure: rho_s(tau) against tau on a log axis, one step line per method.
    public func figure(title: String, legendTitle: String) -> ChartFigure {
        let maxTau = ratios.flatMap { $0 }.filter(\.isFinite).max() ?? 1
        var series: [ChartSeries] = []
        for s in methods.indices {
            var (tau, rho) = curve(method: s)
            tau.append(max(maxTau * 2, 2)); rho.append(rho.last ?? 0)
            let style = LineStyles.style(s)
            series.append(ChartSeries(label: methods[s], x: tau, y: rho, color: style.color, dash: style.dash, stepwise: true))
        }
        var f = ChartFigure(title: title, xLabel: "τ (cost within a factor τ of the best method)",
                            yLabel: "fraction of problems", xScale: .log, yScale: .linear,
                            panels: [ChartPanel(title: "", series: series)], legendTitle: legendTitle)
        f.xRange = (1, max(maxTau * 2, 2))
        f.yRange = (0, 1)
        return f
    }
}
