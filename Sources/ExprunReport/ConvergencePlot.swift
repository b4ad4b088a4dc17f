import Foundation
import ExprunCore
import ExprunStore

/// What a convergence plot shows.
public struct PlotOptions: Sendable {
    public var metric: String
    public var x: XAxisKind = .step
    /// Iterate views drawn ("last", "avg", ...); several views become one more line dimension.
    public var views: [String] = ["last"]
    public var band: BandKind = .std
    /// Parameters whose values make the panels; nil: the problem parameters (model, dataset,
    /// environment and their parameters) that take more than one value.
    public var facets: [String]? = nil
    /// Tuned parameters: each line is the method at its best value (see `TunedComparison`).
    public var bestOver: [String] = []
    public var bestReduction: Reduction = .final
    public var minimize: Bool
    /// nil: log when every drawn value is positive (and, for y, spans at least a factor 10).
    public var xScale: AxisScale? = nil
    public var yScale: AxisScale? = nil
    public var title: String? = nil
    /// Renamed parameters, metrics, axes and values (`--label`).
    public var labels = PlotLabels()

    public init(metric: String, minimize: Bool? = nil) {
        self.metric = metric
        self.minimize = minimize ?? metricMinimizes(metric)
    }
}

/// Builds convergence-curve figures from a results file: one line per cell (seed mean with a
/// band), panels by facet parameters, legends from the swept values.
public enum ConvergencePlot {
    public struct Problem: Error, CustomStringConvertible { public var description: String }

    /// The short name of a swept parameter for legends and panel titles: its last path
    /// component ("optimizer.lr" -> "lr"), or the full path when that would be ambiguous.
    static func shortNames(_ params: [String]) -> [String: String] {
        var out: [String: String] = [:]
        let lasts = params.map { String($0.split(separator: ".").last ?? Substring($0)) }
        for (p, l) in zip(params, lasts) { out[p] = lasts.filter { $0 == l }.count > 1 ? p : l }
        return out
    }

    /// When the lines are a product of parameters and the colour encodes one of them alone (at
    /// most ten values), a legend of one entry per colour and one per dash pattern (e.g. 8 step
    /// sizes + 4 schedules instead of 32 lines); nil when that would not be shorter.
    static func factoredKey(_ dims: [[String]], _ drawn: [[Int]]) -> [(String, String, String)]? {
        let sizes = dims.map(\.count)
        guard dims.count >= 2, !drawn.isEmpty else { return nil }
        let c = LineStyles.colourDimension(sizes)
        guard sizes[c] <= LineStyles.palette.count else { return nil }
        var colours: [(Int, (String, String, String))] = [], dashes: [([Int], (String, String, String))] = []
        for coords in drawn {
            let style = LineStyles.style(coords, sizes: sizes)
            if !colours.contains(where: { $0.0 == coords[c] }) { colours.append((coords[c], (dims[c][coords[c]], style.color, ""))) }
            let rest = coords.enumerated().filter { $0.offset != c }.map(\.element)
            if !dashes.contains(where: { $0.0 == rest }) {
                let label = dims.indices.filter { $0 != c }.map { dims[$0][coords[$0]] }.joined(separator: " / ")
                dashes.append((rest, (label, "#444444", style.dash)))
            }
        }
        guard colours.count + dashes.count < Set(drawn).count else { return nil }
        return colours.sorted { $0.0 < $1.0 }.map(\.1) + dashes.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
    }

    /// The figure, plus notes (cells left out because every run diverged, tuned winners).
    public static func figure(file: ResultsFile, cells index: CellIndex, options o: PlotOptions) throws -> (ChartFigure, [String]) {
        let views = o.views.isEmpty ? ["last"] : o.views
        for v in views where !index.allViews.contains(v) {
            throw Problem(description: "no view '\(v)' (recorded: \(index.allViews.joined(separator: ", ")))")
        }
        guard let first = index.cells.first?.runIds.first else { throw Problem(description: "the results hold no runs") }
        if file.series(first, metric: o.metric) == nil && file.series(first, metric: o.metric, view: views[0] == "last" ? nil : views[0]) == nil {
            throw Problem(description: "no metric '\(o.metric)' (recorded: \(file.metricNames(first).joined(separator: ", ")))")
        }
        if o.x != .step && o.x != .wall && file.series(first, metric: o.x.rawValue) == nil {
            throw Problem(description: "x axis \(o.x.rawValue): the runs have no '\(o.x.rawValue)' series (record it in run.metrics)")
        }
        let varying = index.swept.filter { index.values(of: $0).count > 1 }
        var facets = o.facets ?? index.problemParameters.filter { varying.contains($0) }
        for f in facets where !index.swept.contains(f) {
            throw Problem(description: "--facet \(f): not a swept parameter (swept: \(index.swept.joined(separator: ", ")))")
        }
        facets = facets.filter { !o.bestOver.contains($0) }
        let lineParams = varying.filter { !facets.contains($0) && !o.bestOver.contains($0) }
        // Names and value texts shown: the user's labels, else short names and numbers of
        // one parameter written in one style.
        var names = shortNames(index.swept)
        let lb = o.labels
        var valueTexts: [String: [String: String]] = [:]
        for p in index.swept { valueTexts[p] = lb.texts(p, index.values(of: p)) }
        valueTexts["view"] = lb.texts("view", index.allViews)
        try lb.check(nameable: index.swept + ["view", o.metric, o.x.rawValue],
                     values: Dictionary(uniqueKeysWithValues: index.swept.map { ($0, index.values(of: $0)) } + [("view", index.allViews)]))
        for p in index.swept { names[p] = lb.name(p, names[p] ?? p) }
        names["view"] = lb.name("view", "view")
        func text(_ p: String, _ label: String) -> String { valueTexts[p]?[label] ?? label }
        /// "name=value" in panel titles and notes; a renamed value stands alone.
        func named(_ p: String, _ label: String) -> String {
            lb.renamed(p, label) ?? "\(names[p] ?? p)=\(text(p, label))"
        }
        let metricName = lb.name(o.metric, o.metric)

        // The (cell, view) pairs drawn: every cell, or each group's winner when tuning.
        var drawn: [(cell: Cell, view: String, note: String)] = []
        var notes: [String] = []
        if o.bestOver.isEmpty {
            for c in index.cells { for v in views { drawn.append((c, v, "")) } }
        } else {
            let tuned = try TunedComparison.make(file: file, cells: index, metric: o.metric, tuned: o.bestOver,
                                                  reduction: o.bestReduction, minimize: o.minimize, views: views)
            for r in tuned.rows {
                guard let c = r.cell else { continue }
                let w = r.winner.map { named($0.0, $0.1) + (r.edge.contains($0.0) ? "*" : "") }.joined(separator: ", ")
                drawn.append((c, r.view, w))
            }
            notes += tuned.warnings
        }

        // Colour by one line dimension and dash by the others (see `LineStyles`), so no two
        // lines share both.
        var lineDims: [(name: String, values: [String])] = lineParams.map { ($0, index.values(of: $0)) }
        if views.count > 1 { lineDims.append(("view", views)) }
        func dimValue(_ d: String, _ c: Cell, _ v: String) -> String { d == "view" ? v : (c.value(d) ?? "") }
        var lineKeys: [String] = []
        for d in drawn {
            let k = lineDims.map { dimValue($0.name, d.cell, d.view) }.joined(separator: " / ")
            if !lineKeys.contains(k) { lineKeys.append(k) }
        }
        func coordinates(_ c: Cell, _ v: String) -> [Int] { lineDims.map { $0.values.firstIndex(of: dimValue($0.name, c, v)) ?? 0 } }
        func style(_ c: Cell, _ v: String) -> (String, String) {
            let s = LineStyles.style(coordinates(c, v), sizes: lineDims.map(\.values.count))
            return (s.color, s.dash)
        }
        var drawnCoordinates: [[Int]] = []

        // With one seed per cell there is no spread to draw (nor to announce in the title).
        let band = (index.cells.map(\.runIds.count).max() ?? 0) > 1 ? o.band : .none
        var panelOrder: [String] = []
        var panels: [String: ChartPanel] = [:]
        var allDiverged: [String] = [], someDiverged: [String] = []
        var positiveX = true, positiveY = true
        var yMin = Double.infinity, yMax = -Double.infinity
        for d in drawn {
            let panelKey = facets.map { named($0, d.cell.value($0) ?? "") }.joined(separator: ", ")
            let lineLabel = lineDims.isEmpty ? metricName : lineDims.map { text($0.name, dimValue($0.name, d.cell, d.view)) }.joined(separator: " / ")
            let cellName = (d.cell.key.filter { varying.contains($0.0) }.map { "\(names[$0.0] ?? $0.0)=\($0.1)" } + (views.count > 1 ? ["view=\(d.view)"] : [])).joined(separator: ", ")
            // A cell where most seeds diverged is left out: its survivors are not a mean over
            // seeds, and their blow-up would set the y range of the whole panel.
            guard let agg = Curves.aggregate(file: file, cell: d.cell, metric: o.metric,
                                             view: d.view, x: o.x, band: band), 2 * agg.excluded <= agg.runs + agg.excluded else {
                allDiverged.append(cellName)
                continue
            }
            let (color, dash) = style(d.cell, d.view)
            var label = lineLabel
            if !d.note.isEmpty { label += " (\(d.note))" }
            if agg.excluded > 0 { someDiverged.append("\(cellName) (\(agg.excluded) of \(agg.runs + agg.excluded))") }
            var series = ChartSeries(label: label, x: agg.x, y: agg.mean, lower: band == .none ? nil : agg.lower,
                                     upper: band == .none ? nil : agg.upper, color: color, dash: dash)
            drawnCoordinates.append(coordinates(d.cell, d.view))
            series.order = lineKeys.firstIndex(of: lineDims.map { dimValue($0.name, d.cell, d.view) }.joined(separator: " / ")) ?? 0
            // Step 0 (x = 0) is left off log x axes; the rest must be positive for a log scale.
            for (xv, yv) in zip(agg.x, agg.mean) where xv > 0 && yv.isFinite {
                if yv <= 0 { positiveY = false }
                yMin = min(yMin, yv); yMax = max(yMax, yv)
            }
            if agg.x.contains(where: { $0 < 0 }) { positiveX = false }
            if panels[panelKey] == nil { panelOrder.append(panelKey); panels[panelKey] = ChartPanel(title: panelKey, series: []) }
            panels[panelKey]!.series.append(series)
        }
        if !allDiverged.isEmpty {
            notes.append("left out (most runs diverged or failed): " + allDiverged.joined(separator: "; "))
        }
        if !someDiverged.isEmpty {
            notes.append("drawn without their diverged runs: " + someDiverged.joined(separator: "; "))
        }
        let xScale = o.xScale ?? (positiveX ? .log : .linear)
        let yScale = o.yScale ?? (positiveY && yMin > 0 && yMax / yMin >= 10 ? .log : .linear)
        let viewText = views.count == 1 && views[0] != "last" ? " (\(lb.renamed("view", views[0]) ?? views[0] + " iterate"))" : ""
        let tunedText = o.bestOver.isEmpty ? "" : ", best \(o.bestOver.map { names[$0] ?? $0 }.joined(separator: ", ")) per line (* = grid edge)"
        let bandText = band == .none ? "" : ", band: \(band == .std ? "±1 std" : band == .minmax ? "min–max" : "25–75%") over seeds"
        let title = o.title ?? "\(file.experiment.isEmpty ? "" : file.experiment + ": ")\(metricName)\(viewText) — seed mean\(bandText)\(tunedText)"
        var figure = ChartFigure(title: title, xLabel: lb.name(o.x.rawValue, o.x.label), yLabel: metricName + viewText, xScale: xScale, yScale: yScale,
                                 panels: panelOrder.map { panels[$0]! },
                                 legendTitle: lineDims.map { names[$0.name] ?? $0.name }.joined(separator: " / "))
        figure.fontSize = 13
        // Tuned lines carry their winners in their labels: no key for them.
        if o.bestOver.isEmpty { figure.legendKey = factoredKey(lineDims.map { d in d.values.map { text(d.name, $0) } }, drawnCoordinates) }
        // Tuned winners differ between panels, so each panel lists its own.
        if !o.bestOver.isEmpty && figure.panels.count > 1 { figure.legendPerPanel = true }
        return (figure, notes)
    }
}
