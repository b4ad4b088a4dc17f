import Foundation

/// One line of a chart, optionally with a shaded band (lower..upper) around it.
public struct ChartSeries: Sendable {
    public var label: String
    public var x: [Double]
    public var y: [Double]
    public var lower: [Double]?
    public var upper: [Double]?
    public var color: String
    /// SVG stroke-dasharray ("" for solid).
    public var dash: String
    /// Draw as a right-continuous step function (performance profiles).
    public var stepwise: Bool = false
    /// Position in a figure-wide legend (lines of several panels are merged in this order).
    public var order: Int = 0

    public init(label: String, x: [Double], y: [Double], lower: [Double]? = nil, upper: [Double]? = nil,
                color: String, dash: String = "", stepwise: Bool = false) {
        self.label = label; self.x = x; self.y = y; self.lower = lower; self.upper = upper
        self.color = color; self.dash = dash; self.stepwise = stepwise
    }
}

/// One panel (facet) of a figure.
public struct ChartPanel: Sendable {
    public var title: String
    public var series: [ChartSeries]
    /// Extra text under the panel title (e.g. the tuned values that won).
    public var note: String = ""
    public init(title: String, series: [ChartSeries], note: String = "") {
        self.title = title; self.series = series; self.note = note
    }
}

/// A figure: a grid of panels sharing axis labels, scales and a legend (drawn right of the
/// panels, never over the curves; one legend per panel when the panels' lines differ).
public struct ChartFigure: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: AxisScale
    public var yScale: AxisScale
    public var panels: [ChartPanel]
    public var legendTitle: String = ""
    /// Fixed axis ranges (else fitted to the data).
    public var xRange: (Double, Double)? = nil
    public var yRange: (Double, Double)? = nil
    public var fontSize: Double = 13
    /// Prefix of element ids (clip paths), unique per figure when several share an HTML page.
    public var idPrefix: String = "fig"
    /// One legend per panel (true), one for the figure (false), or decided from the labels (nil).
    public var legendPerPanel: Bool? = nil

    public init(title: String, xLabel: String, yLabel: String, xScale: AxisScale, yScale: AxisScale, panels: [ChartPanel],
                legendTitle: String = "") {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.xScale = xScale; self.yScale = yScale
        self.panels = panels; self.legendTitle = legendTitle
    }

    /// Distinct colours that stay apart in print and for common colour-vision deficiencies
    /// (matplotlib's tab10).
    public static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    public static let dashes = ["", "7,3", "2,2.5", "9,3,2,3", "4,4", "1,4"]

    private func legendEntries(_ p: ChartPanel) -> [(String, String, String)] {
        p.series.map { ($0.label, $0.color, $0.dash) }
    }

    /// The SVG text of the figure.
    public func svg() -> String {
        let fs = fontSize
        // One legend for the figure when the panels draw (nearly) the same lines: the union of
        // their entries; one legend per panel when their labels differ (e.g. tuned winners).
        var unionOrdered: [(entry: (String, String, String), order: Int)] = []
        for p in panels {
            for s in p.series where !unionOrdered.contains(where: { $0.entry == (s.label, s.color, s.dash) }) {
                unionOrdered.append(((s.label, s.color, s.dash), s.order))
            }
        }
        let union = unionOrdered.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }.map(\.element.entry)
        let largest = panels.map { $0.series.count }.max() ?? 0
        let sharedLegend = panels.count <= 1 || !(legendPerPanel ?? (Double(union.count) > 1.5 * Double(largest)))
        let columns = panels.count <= 3 ? max(panels.count, 1) : (panels.count == 4 ? 2 : 3)
        let rows = (panels.count + columns - 1) / max(columns, 1)
        let single = panels.count <= 1
        let plotW: Double = single ? 520 : 330, plotH: Double = single ? 360 : 230
        let left: Double = 62, right: Double = 16, top: Double = panels.contains { !$0.note.isEmpty } ? 44 : 28, bottom: Double = 48
        func legendWidth(_ entries: [(String, String, String)]) -> Double {
            guard !entries.isEmpty else { return 0 }
            let w = max(entries.map { SVGDocument.textWidth($0.0, size: fs * 0.9) }.max() ?? 0,
                        SVGDocument.textWidth(legendTitle, size: fs * 0.9))
            return min(w, 360) + 50
        }
        let panelLegendW = sharedLegend ? 0 : (panels.map { legendWidth(legendEntries($0)) }.max() ?? 0)
        let cellW = left + plotW + right + panelLegendW, cellH = top + plotH + bottom
        let figureLegendW = sharedLegend ? legendWidth(union) : 0
        let titleH: Double = title.isEmpty ? 8 : 34
        let width = Double(columns) * cellW + figureLegendW + 10
        let legendH = Double((sharedLegend ? union.count : 0) + 2) * fs * 1.35 + top
        let panelLegendH = sharedLegend ? 0 : Double(largest + 2) * fs * 1.35 + top - cellH
        let height = max(titleH + Double(rows) * cellH + 6 + max(panelLegendH, 0), titleH + legendH)
        var doc = SVGDocument(width: width, height: height)
        if !title.isEmpty { doc.text(title, x: width / 2, y: 23, size: fs * 1.2, anchor: "middle", [("font-weight", "bold")]) }
        for (i, panel) in panels.enumerated() {
            let ox = Double(i % columns) * cellW, oy = titleH + Double(i / columns) * cellH
            drawPanel(&doc, panel, index: i, x: ox + left, y: oy + top, w: plotW, h: plotH,
                      showYLabel: i % columns == 0 || !sharedLegend)
            if !sharedLegend {
                drawLegend(&doc, legendEntries(panel), x: ox + left + plotW + 12, y: oy + top, fs: fs)
            }
        }
        if sharedLegend {
            drawLegend(&doc, union, x: Double(columns) * cellW + 4, y: titleH + top, fs: fs)
        }
        return doc.render()
    }

    private func drawLegend(_ doc: inout SVGDocument, _ entries: [(String, String, String)], x: Double, y: Double, fs: Double) {
        guard !entries.isEmpty else { return }
        var yy = y + fs * 0.9
        if !legendTitle.isEmpty {
            doc.text(legendTitle, x: x, y: yy, size: fs * 0.9, [("font-weight", "bold")])
            yy += fs * 1.35
        }
        for (label, color, dash) in entries {
            doc.line(x, yy - fs * 0.33, x + 30, yy - fs * 0.33,
                     [("stroke", color), ("stroke-width", "2.2")] + (dash.isEmpty ? [] : [("stroke-dasharray", dash)]))
            doc.text(label, x: x + 36, y: yy, size: fs * 0.9)
            yy += fs * 1.35
        }
    }

    /// Values that can be drawn on `scale` (finite; positive on a log scale).
    private static func drawable(_ v: Double, _ scale: AxisScale) -> Bool { v.isFinite && (scale == .linear || v > 0) }

    private func drawPanel(_ doc: inout SVGDocument, _ panel: ChartPanel, index: Int, x: Double, y: Double, w: Double, h: Double,
                           showYLabel: Bool) {
        let fs = fontSize
        // Data ranges: the lines always; bands only where drawable, so a band reaching 0 on a
        // log axis is clipped rather than stretching the axis to nothing.
        var xs: [Double] = [], ys: [Double] = []
        for s in panel.series {
            for (i, xv) in s.x.enumerated() where Self.drawable(xv, xScale) {
                if i < s.y.count, Self.drawable(s.y[i], yScale) { xs.append(xv); ys.append(s.y[i]) }
                for band in [s.lower, s.upper] {
                    if let b = band, i < b.count, Self.drawable(b[i], yScale), Self.drawable(s.y[i], yScale) { ys.append(b[i]) }
                }
            }
        }
        // The x axis ends where the data end (a log axis snapped to 10^5 for 2*10^4 steps wastes
        // most of a decade); the y axis snaps to powers of ten.
        let xAxis = Axis.make(xRange?.0 ?? xs.min() ?? .nan, xRange?.1 ?? xs.max() ?? .nan, scale: xScale, snap: false)
        let yAxis = Axis.make(yRange?.0 ?? ys.min() ?? .nan, yRange?.1 ?? ys.max() ?? .nan, scale: yScale, target: 6)
        func px(_ v: Double) -> Double { x + xAxis.fraction(v) * w }
        func py(_ v: Double) -> Double { y + h - yAxis.fraction(v) * h }

        // Panel title and note.
        if !panel.title.isEmpty { doc.text(panel.title, x: x + w / 2, y: y - (panel.note.isEmpty ? 8 : 22), size: fs, anchor: "middle", [("font-weight", "bold")]) }
        if !panel.note.isEmpty { doc.text(panel.note, x: x + w / 2, y: y - 7, size: fs * 0.8, anchor: "middle", [("fill", "#444")]) }
        // Grid and ticks.
        for t in xAxis.ticks where t.value >= xAxis.lo * (1 - 1e-9) - 1e-300 && xAxis.fraction(t.value) <= 1 + 1e-9 && xAxis.fraction(t.value) >= -1e-9 {
            let X = px(t.value)
            doc.line(X, y, X, y + h, [("stroke", t.major ? "#dddddd" : "#f0f0f0"), ("stroke-width", "1")])
            doc.line(X, y + h, X, y + h + (t.major ? 5 : 3), [("stroke", "#333"), ("stroke-width", "1")])
            if t.major { doc.tickLabel(t.label, x: X, y: y + h + 7 + fs * 0.9, size: fs * 0.85, anchor: "middle") }
        }
        for t in yAxis.ticks where yAxis.fraction(t.value) <= 1 + 1e-9 && yAxis.fraction(t.value) >= -1e-9 {
            let Y = py(t.value)
            doc.line(x, Y, x + w, Y, [("stroke", t.major ? "#dddddd" : "#f0f0f0"), ("stroke-width", "1")])
            doc.line(x - (t.major ? 5 : 3), Y, x, Y, [("stroke", "#333"), ("stroke-width", "1")])
            if t.major { doc.tickLabel(t.label, x: x - 8, y: Y + fs * 0.3, size: fs * 0.85, anchor: "end") }
        }
        // Curves, clipped to the plot area.
        let clip = "\(idPrefix)-clip\(index)"
        doc.raw("<clipPath id=\"\(clip)\"><rect x=\"\(SVGDocument.num(x))\" y=\"\(SVGDocument.num(y))\" width=\"\(SVGDocument.num(w))\" height=\"\(SVGDocument.num(h))\"/></clipPath>")
        doc.raw("<g clip-path=\"url(#\(clip))\">")
        for s in panel.series {
            if let lo = s.lower, let hi = s.upper {
                // One polygon per run of consecutive drawable points.
                var upper: [(Double, Double)] = [], lower: [(Double, Double)] = []
                func flush() {
                    if upper.count >= 2 { doc.polygon(upper + lower.reversed(), [("fill", s.color), ("fill-opacity", "0.18"), ("stroke", "none")]) }
                    upper = []; lower = []
                }
                for i in s.x.indices where i < lo.count && i < hi.count && i < s.y.count {
                    guard Self.drawable(s.x[i], xScale), Self.drawable(s.y[i], yScale), hi[i].isFinite, lo[i].isFinite else { flush(); continue }
                    // On a log axis a lower edge at or below 0 (std larger than the mean) is drawn
                    // as the mirror image of the upper edge in log space, mean^2/upper.
                    let lv = Self.drawable(lo[i], yScale) ? lo[i] : s.y[i] * s.y[i] / max(hi[i], s.y[i])
                    let l = py(lv)
                    upper.append((px(s.x[i]), py(max(hi[i], s.y[i])))); lower.append((px(s.x[i]), max(min(l, y + h + 2), py(s.y[i]))))
                }
                flush()
            }
            var points: [(Double, Double)] = []
            let stroke: [(String, String)] = [("stroke", s.color), ("stroke-width", "2"), ("stroke-linejoin", "round")]
                + (s.dash.isEmpty ? [] : [("stroke-dasharray", s.dash)])
            func flushLine() { if points.count >= 2 { doc.polyline(points, stroke) }; points = [] }
            for i in s.x.indices where i < s.y.count {
                guard Self.drawable(s.x[i], xScale), Self.drawable(s.y[i], yScale) else { flushLine(); continue }
                let p = (px(s.x[i]), py(s.y[i]))
                if s.stepwise, let last = points.last { points.append((p.0, last.1)) }
                points.append(p)
            }
            if s.stepwise, let last = points.last, xAxis.fraction(s.x.last ?? 0) < 1 { points.append((x + w, last.1)) }
            flushLine()
            if points.isEmpty, s.x.count == 1, let p = s.x.first.flatMap({ xv in s.y.first.map { (px(xv), py($0)) } }) {
                doc.element("circle", [("cx", SVGDocument.num(p.0)), ("cy", SVGDocument.num(p.1)), ("r", "2.5"), ("fill", s.color)])
            }
        }
        doc.raw("</g>")
        doc.rect(x: x, y: y, width: w, height: h, [("fill", "none"), ("stroke", "#333"), ("stroke-width", "1")])
        // Axis labels.
        doc.text(xLabel, x: x + w / 2, y: y + h + 20 + fs * 1.4, size: fs, anchor: "middle")
        if showYLabel {
            let cx = x - 47, cy = y + h / 2
            doc.text(yLabel, x: cx, y: cy, size: fs, anchor: "middle", [("transform", "rotate(-90 \(SVGDocument.num(cx)) \(SVGDocument.num(cy)))")])
        }
    }
}
