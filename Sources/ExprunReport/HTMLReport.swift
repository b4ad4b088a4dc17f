import Foundation
import ExprunCore
import ExprunStore

/// What the HTML report contains besides the config and the summary table.
public struct ReportOptions: Sendable {
    public var metric: String
    public var minimize: Bool
    /// Tuned parameters for the tuned comparison; nil: the swept step sizes (parameters named
    /// lr or ending in .lr with at least two values), if any.
    public var bestOver: [String]? = nil
    public var bestReduction: Reduction = .final
    /// Target for the time-to-target table and performance profile (none when nil).
    public var target: Double? = nil
    public var x: XAxisKind = .step
    public var band: BandKind = .std

    public init(metric: String, minimize: Bool? = nil) {
        self.metric = metric
        self.minimize = minimize ?? metricMinimizes(metric)
    }
}

/// One self-contained HTML page (inline SVG and CSS, no script, no network): config,
/// provenance, summary table, tuned comparison, convergence plots, time to target.
public enum HTMLReport {
    static func esc(_ s: String) -> String { xmlEscape(s) }

    static func table(_ header: [String], _ rows: [[String]], numericFrom: Int) -> String {
        var out = "<table><thead><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for r in rows {
            out += "<tr>" + r.enumerated().map { i, c in i >= numericFrom ? "<td class=\"n\">\(esc(c))</td>" : "<td>\(esc(c))</td>" }.joined() + "</tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    /// The SVG markup of a figure for inlining (no XML declaration).
    static func inline(_ f: ChartFigure) -> String {
        f.svg().split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("<?xml") }.joined(separator: "\n")
    }

    /// Swept step-size parameters, the default tuned axes.
    public static func defaultTuned(_ index: CellIndex) -> [String] {
        index.swept.filter { ($0 == "lr" || $0.hasSuffix(".lr")) && index.values(of: $0).count >= 2 }
    }

    /// `cells` are the grid cells to report (all of the file's unless a selection is given).
    public static func make(file: ResultsFile, cells: CellIndex? = nil, options o: ReportOptions) throws -> String {
        let index = cells ?? CellIndex.make(file: file)
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>\(esc(file.experiment)) — exprun report</title>
        <style>
        body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1400px; color: #222; padding: 0 16px; }
        h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
        th, td { padding: 2px 9px; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
        th { background: #f3f3f3; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
        pre { background: #f7f7f7; padding: 10px; font-size: 12px; overflow-x: auto; }
        .warn { color: #9a4b00; } figure { margin: 12px 0; overflow-x: auto; } svg { max-width: 100%; height: auto; }
        details summary { cursor: pointer; }
        </style></head><body>
        <h1>\(esc(file.experiment.isEmpty ? file.path : file.experiment))</h1>

        """
        let attrs = Dictionary(file.rootAttributes, uniquingKeysWith: { a, _ in a })
        html += "<p>\(file.runIds.count) runs, \(index.cells.count) cells; swept: \(esc(index.swept.joined(separator: ", ")))"
        if let c = attrs["created_utc"]?.asString { html += "; created \(esc(c))" }
        html += ". Source: <code>\(esc(file.path))</code>.</p>\n"
        let statuses = index.statusCounts
        html += "<p>Status: " + statuses.sorted { $0.key < $1.key }.map { "\(esc($0.key)) \($0.value)" }.joined(separator: ", ") + ".</p>\n"

        // Summary table.
        let summary = SummaryTable.make(file: file, cells: index, metric: o.metric, reduction: .final)
        let showView = Set(summary.rows.map(\.view)).count > 1
        func dropView(_ r: [String], at i: Int) -> [String] { showView ? r : r.enumerated().filter { $0.offset != i }.map(\.element) }
        let sHead = dropView(summary.header, at: summary.swept.count)
        var summaryHTML = "<h2>Summary: \(esc(summary.title))</h2>\n"
        summaryHTML += "<p>Diverged and failed runs are counted and left out of the statistics; std is the sample standard deviation (ddof = 1).</p>\n"
        summaryHTML += table(sHead, summary.rows.map { dropView(summary.cells($0, numbers: formatNumber), at: summary.swept.count) },
                      numericFrom: sHead.count - 7)

        var notes: [String] = []
        let tunedParams = o.bestOver ?? defaultTuned(index)
        // Plots: every cell (last iterate), then each view at the tuned values.
        html += "<h2>Convergence</h2>\n"
        var plot = PlotOptions(metric: o.metric, minimize: o.minimize)
        plot.x = o.x; plot.band = o.band
        let (f1, n1) = try ConvergencePlot.figure(file: file, cells: index, options: plot)
        var fig1 = f1; fig1.idPrefix = "all"
        html += "<figure>\(inline(fig1))</figure>\n"
        notes += n1
        if !tunedParams.isEmpty {
            plot.bestOver = tunedParams
            plot.bestReduction = o.bestReduction
            plot.views = index.allViews
            let (f2, n2) = try ConvergencePlot.figure(file: file, cells: index, options: plot)
            var fig2 = f2; fig2.idPrefix = "tuned"
            html += "<figure>\(inline(fig2))</figure>\n"
            notes += n2.filter { !notes.contains($0) }
        }
        for n in Set(notes).sorted() { html += "<p class=\"warn\">\(esc(n))</p>\n" }

        // Tuned comparison.
        if !tunedParams.isEmpty {
            let tuned = try TunedComparison.make(file: file, cells: index, metric: o.metric, tuned: tunedParams,
                                                 reduction: o.bestReduction, minimize: o.minimize)
            let tHead = dropView(tuned.header, at: tuned.swept.count)
            html += "<h2>Tuned comparison</h2>\n<p>\(esc(tuned.title)). A cell with a diverged or failed seed scores +∞ and cannot win; <em>excluded</em> counts those cells among the candidates.</p>\n"
            html += table(tHead, tuned.rows.map { dropView(tuned.cells($0, numbers: formatNumber), at: tuned.swept.count) },
                          numericFrom: tHead.count - 4)
            for w in tuned.warnings { html += "<p class=\"warn\">warning: \(esc(w))</p>\n" }
        }

        html += summaryHTML

        // Time to target and performance profile.
        if let target = o.target {
            let ttt = TimeToTarget.make(file: file, cells: index, metric: o.metric, target: target, minimize: o.minimize)
            let showV = Set(ttt.rows.map(\.view)).count > 1
            let head = showV ? ttt.header : ttt.header.enumerated().filter { $0.offset != ttt.swept.count }.map(\.element)
            html += "<h2>Time to target</h2>\n<p>\(esc(ttt.title)).</p>\n"
            html += table(head, ttt.rows.map { r in
                let c = ttt.cells(r, numbers: { $0.isNaN ? "-" : formatNumber($0) })
                return showV ? c : c.enumerated().filter { $0.offset != ttt.swept.count }.map(\.element)
            }, numericFrom: head.count - 5)
            if let profile = PerformanceProfile.from(ttt, problemParameters: index.problemParameters.filter { index.values(of: $0).count > 1 }) {
                var f = profile.figure(title: "Performance profile: steps to \(o.metric) \(o.minimize ? "≤" : "≥") \(formatNumber(target)) (\(profile.problems.count) problems)",
                                       legendTitle: "method")
                f.idPrefix = "profile"
                html += "<figure>\(inline(f))</figure>\n"
            }
        }

        // Config and provenance.
        html += "<h2>Config (as run)</h2>\n<pre>\(esc(file.config))</pre>\n"
        html += "<h2>Provenance</h2>\n"
        html += table(["attribute", "value"], file.rootAttributes.filter { $0.0 != "config" }.map { [$0.0, $0.1.canonical] }, numericFrom: 99)
        html += "<p>Generated by <code>exprun report</code> from results.h5 alone.</p>\n</body></html>\n"
        return html
    }
}
