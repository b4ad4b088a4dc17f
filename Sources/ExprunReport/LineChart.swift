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

/// A figure's fixed size: CSS px for the layout (96 per inch) and the SVG's width and height
/// in the unit the user gave, so a PDF comes out at that physical size.
public struct FigureSize: Sendable, Equatable {
    public var width: Double
    public var height: Double
    public var widthText: String
    public var heightText: String

    /// Parses WxH with a unit: in, cm or px (default px), e.g. 6x4in, 15x10cm, 900x600.
    public static func parse(_ s: String) -> FigureSize? {
        var body = s.lowercased(), unit = "px", perUnit = 1.0
        for (u, f) in [("in", 96.0), ("cm", 96 / 2.54), ("px", 1.0)] where body.hasSuffix(u) {
            body.removeLast(2); unit = u; perUnit = f; break
        }
        let parts = body.split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Double(parts[0]), let h = Double(parts[1]), w.isFinite, h.isFinite, w > 0, h > 0 else { return nil }
        return FigureSize(width: w * perUnit, height: h * perUnit,
                          widthText: SVGDocument.num(w) + unit, heightText: SVGDocument.num(h) + unit)
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

    /// A fixed size of the whole figure, in CSS px (96 per inch), and how the SVG states it
    /// ("6in", "15cm", "900px"); nil: the panels have a fixed size and the figure grows around them.
    public var size: FigureSize? = nil
    /// The shared legend's entries (label, colour, dash) when they are not one per line: a
    /// colour key and a dash key when the lines are a product of parameters.
    public var legendKey: [(String, String, String)]? = nil

    private func legendEntries(_ p: ChartPanel) -> [(String, String, String)] {
        p.series.map { ($0.label, $0.color, $0.dash) }
    }

    /// Where the figure-wide legend goes: right of the panels or below them, in `columns` columns.
    struct LegendPlacement {
        var below: Bool
        var columns: Int
        var rows: Int
        var columnWidth: Double
        /// The legend title's width (bold), which the legend spans at least.
        var titleWidth: Double
        var width: Double { max(Double(columns) * columnWidth, titleWidth) }
    }

    /// Width of one legend column: the line sample, a gap, the longest label, some air.
    private func legendColumnWidth(_ entries: [(String, String, String)], _ lfs: Double) -> Double {
        let w = entries.map { SVGDocument.textWidth($0.0, size: lfs) }.max() ?? 0
        return min(w, 30 * lfs) + 36 + 1.2 * lfs
    }

    /// The legend's height for `rows` rows (plus the title row).
    private func legendHeight(rows: Int, _ lfs: Double) -> Double {
        Double(rows + (legendTitle.isEmpty ? 0 : 1)) * lfs * 1.5 + 0.5 * lfs
    }

    /// The SVG text of the figure.
    public func svg() -> String {
        let fs = fontSize
        // Margins grow with the text so ticks and labels keep their room at any font size.
        let k = fs / 13
        // One legend for the figure when the panels draw (nearly) the same lines: the union of
        // their entries; one legend per panel when their labels differ (e.g. tuned winners).
        var unionOrdered: [(entry: (String, String, String), order: Int)] = []
        for p in panels {
            for s in p.series where !unionOrdered.contains(where: { $0.entry == (s.label, s.color, s.dash) }) {
                unionOrdered.append(((s.label, s.color, s.dash), s.order))
            }
        }
        let lineEntries = unionOrdered.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }.map(\.element.entry)
        let largest = panels.map { $0.series.count }.max() ?? 0
        let sharedLegend = panels.count <= 1 || !(legendPerPanel ?? (Double(lineEntries.count) > 1.5 * Double(largest)))
        let columns = panels.count <= 3 ? max(panels.count, 1) : (panels.count == 4 ? 2 : 3)
        let rows = (panels.count + columns - 1) / max(columns, 1)
        let single = panels.count <= 1
        let left = 62 * k, right = 16 * k, top = (panels.contains { !$0.note.isEmpty } ? 44 : 28) * k, bottom = 48 * k
        let titleH = title.isEmpty ? 8 : 34 * k
        let lfs = fs * 0.9
        let panelLegendW = sharedLegend ? 0 : (panels.map { legendEntries($0).isEmpty ? 0 : legendColumnWidth(legendEntries($0), lfs) }.max() ?? 0)
        let panelLegendH = sharedLegend ? 0 : legendHeight(rows: largest, lfs)
        let union = sharedLegend ? (legendKey ?? lineEntries) : lineEntries
        let colW = legendColumnWidth(union, lfs), legendTitleW = SVGDocument.textWidth(legendTitle, size: lfs * 1.1) + 8
        let n = sharedLegend ? union.count : 0

        // Panel size: fixed (the figure grows around the panels), or what a fixed figure size
        // leaves. The shared legend is placed where it costs the least area: right of the
        // panels in as few columns as fit their height, or below them in as many as fit the
        // width; so it stays a strip beside the panels, never a column half the figure tall.
        var plotW: Double = single ? 520 : 330, plotH: Double = single ? 360 : 230
        var placement = LegendPlacement(below: false, columns: 1, rows: n, columnWidth: colW, titleWidth: legendTitleW)
        if n > 0 {
            var best: (area: Double, placement: LegendPlacement)? = nil
            // First with room for a readable curve in every panel; if the size is too small for
            // that, the placement that leaves the panels the most.
            for strict in [true, false] where best == nil {
            for below in [false, true] {
                for c in 1...n {
                    let r = (n + c - 1) / c
                    if c > 1 && (n + c - 2) / (c - 1) == r { continue }  // same rows with fewer columns
                    let p = LegendPlacement(below: below, columns: c, rows: r, columnWidth: colW, titleWidth: legendTitleW)
                    let lh = legendHeight(rows: r, lfs)
                    let area: Double
                    if let size {
                        // The legend's strip is taken from the panels.
                        let gridH = size.height - titleH - (below ? lh + 6 : 0), gridW = size.width - (below ? 0 : p.width + 10)
                        // Each panel keeps room for a readable curve.
                        let minH = strict ? top + bottom + 70 * k : 20, minW = strict ? left + right + panelLegendW + 80 * k : 20
                        guard gridH / Double(rows) >= minH, gridW / Double(columns) >= minW else { continue }
                        if below ? p.width > size.width : lh + top > size.height - titleH { continue }
                        area = below ? size.width * (lh + 6) : (p.width + 10) * size.height
                    } else {
                        let gw = Double(columns) * (left + plotW + right), gh = Double(rows) * (top + plotH + bottom)
                        if below && p.width > max(gw, 1) && c > 1 { continue }
                        area = below ? max(gw, p.width) * (gh + lh + 6) : (gw + p.width + 10) * max(gh, lh + top)
                    }
                    if best == nil || area < best!.area - 1e-9 { best = (area, p) }
                }
            }
            }
            placement = best?.placement ?? LegendPlacement(below: true, columns: 1, rows: n, columnWidth: colW, titleWidth: legendTitleW)
        }
        let legendH = n > 0 ? legendHeight(rows: placement.rows, lfs) : 0
        let stripW = n > 0 && !placement.below ? placement.width + 10 : 0
        let stripH = n > 0 && placement.below ? legendH + 6 : 0
        if let size {
            plotW = max((size.width - stripW) / Double(columns) - left - right - panelLegendW, 20)
            plotH = max((size.height - titleH - stripH - 6) / Double(rows) - top - bottom, 20)
        }
        let cellW = left + plotW + right + panelLegendW
        let cellH = top + plotH + bottom + max(panelLegendH - (top + plotH + bottom), 0)
        let gridW = Double(columns) * cellW, gridH = Double(rows) * cellH
        let width = size?.width ?? max(gridW + stripW, placement.below ? placement.width : 0) + 10
        let height = size?.height ?? (titleH + max(gridH, stripW > 0 ? legendH + top : 0) + stripH + 6)
        var doc = SVGDocument(width: width, height: height)
        doc.physicalSize = size.map { ($0.widthText, $0.heightText) }
        // A long title shrinks to the figure's width rather than running off it.
        let titleSize = min(fs * 1.2, 0.96 * width / max(SVGDocument.textWidth(title, size: 1), 1))
        if !title.isEmpty { doc.text(title, x: width / 2, y: 23 * k, size: titleSize, anchor: "middle", [("font-weight", "bold")]) }
        for (i, panel) in panels.enumerated() {
            let ox = Double(i % columns) * cellW, oy = titleH + Double(i / columns) * cellH
            drawPanel(&doc, panel, index: i, x: ox + left, y: oy + top, w: plotW, h: plotH,
                      showYLabel: i % columns == 0 || !sharedLegend)
            if !sharedLegend {
                let entries = legendEntries(panel)
                drawLegend(&doc, entries, x: ox + left + plotW + 12, y: oy + top, columns: 1,
                           columnWidth: legendColumnWidth(entries, lfs), fs: lfs)
            }
        }
        if n > 0 {
            let x = placement.below ? max((width - placement.width) / 2, 4) : gridW + 4
            let y = placement.below ? titleH + gridH + 4 : titleH + top
            drawLegend(&doc, union, x: x, y: y, columns: placement.columns, columnWidth: placement.columnWidth, fs: lfs)
        }
        return doc.render()
    }

    /// Draws `entries` column by column (top to bottom, then left to right) from (x, y).
    private func drawLegend(_ doc: inout SVGDocument, _ entries: [(String, String, String)], x: Double, y: Double,
                            columns: Int, columnWidth: Double, fs: Double) {
        guard !entries.isEmpty else { return }
        let rowH = fs * 1.5
        var top = y + fs
        // The class lets tests (and stylesheets) find the legend.
        doc.raw("<g class=\"legend\">")
        if !legendTitle.isEmpty {
            doc.text(legendTitle, x: x, y: top, size: fs, [("font-weight", "bold")])
            top += rowH
        }
        let perColumn = (entries.count + columns - 1) / max(columns, 1)
        for (i, (label, color, dash)) in entries.enumerated() {
            let cx = x + Double(i / perColumn) * columnWidth, cy = top + Double(i % perColumn) * rowH
            doc.line(cx, cy - fs * 0.33, cx + 30, cy - fs * 0.33,
                     [("stroke", color), ("stroke-width", "2.2")] + (dash.isEmpty ? [] : [("stroke-dasharray", dash)]))
            doc.text(label, x: cx + 36, y: cy, size: fs)
        }
        doc.raw("</g>")
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
        if !panel.title.isEmpty { doc.text(panel.title, x: x + w / 2, y: y - (panel.note.isEmpty ? 8 : 22) * fs / 13, size: fs, anchor: "middle", [("font-weight", "bold")]) }
        if !panel.note.isEmpty { doc.text(panel.note, x: x + w / 2, y: y - 7 * fs / 13, size: fs * 0.8, anchor: "middle", [("fill", "#444")]) }
        // Grid and ticks.
        for t in xAxis.ticks where t.value >= xAxis.lo * (1 - 1e-9) - 1e-300 && xAxis.fraction(t.value) <= 1 + 1e-9 && xAxis.fraction(t.value) >= -1e-9 {
            let X = px(t.value)
            doc.line(X, y, X, y + h, [("stroke", t.major ? "#dddddd" : "#f0f0f0"), ("stroke-width", "1")])
            doc.line(X, y + h, X, y + h + (t.major ? 5 : 3), [("stroke", "#333"), ("stroke-width", "1")])
            if t.major { doc.tickLabel(t.label, x: X, y: y + h + 7 * fs / 13 + fs * 0.9, size: fs * 0.85, anchor: "middle") }
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
        doc.text(xLabel, x: x + w / 2, y: y + h + (20 + 13 * 1.4) * fs / 13, size: fs, anchor: "middle")
        if showYLabel {
            let cx = x - 47 * fs / 13, cy = y + h / 2
            doc.text(yLabel, x: cx, y: cy, size: fs, anchor: "middle", [("transform", "rotate(-90 \(SVGDocument.num(cx)) \(SVGDocument.num(cy)))")])
        }
    }
}
