import Foundation
import Testing
import ExprunCore
import ExprunStore
@testable import ExprunReport

/// The SVG's text elements: position, size and content.
private func texts(_ svg: String) -> [(x: Double, y: Double, size: Double, text: String)] {
    svg.matches(of: /<text x="([-\d.]+)" y="([-\d.]+)" font-size="([\d.]+)"[^>]*>([^<]*)/).map {
        (Double($0.1)!, Double($0.2)!, Double($0.3)!, String($0.4))
    }
}

/// The (stroke, dash array) of every curve drawn in the panels.
private func curveStyles(_ svg: String) -> [String] {
    svg.matches(of: /<polyline [^>]*stroke="(#[0-9a-f]+)"[^>]*>/).map { m in
        let dash = String(m.0).firstMatch(of: /stroke-dasharray="([^"]*)"/).map { String($0.1) } ?? ""
        return "\(m.1)|\(dash)"
    }
}

/// Panel frames: (x, y, w, h) of the unfilled rectangles with a dark stroke.
private func panelFrames(_ svg: String) -> [(Double, Double, Double, Double)] {
    svg.matches(of: /<rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#333"/).map {
        (Double($0.1)!, Double($0.2)!, Double($0.3)!, Double($0.4)!)
    }
}

/// The legend's bounding box (x0, y0, x1, y1) from its text and line samples.
private func legendBox(_ svg: String) throws -> (Double, Double, Double, Double) {
    let start = try #require(svg.range(of: "<g class=\"legend\">"))
    let group = String(svg[start.upperBound...]).components(separatedBy: "</g>")[0]
    let t = texts(group)
    try #require(!t.isEmpty)
    let samples = group.matches(of: /<line x1="([-\d.]+)"/).map { Double($0.1)! }
    let x0 = (t.map(\.x) + samples).min()!, y0 = t.map { $0.y - $0.size }.min()!
    let x1 = t.map { $0.x + SVGDocument.textWidth($0.text, size: $0.size) }.max()!, y1 = t.map(\.y).max()! + 4
    return (x0, y0, x1, y1)
}

private func viewBox(_ svg: String) throws -> (Double, Double) {
    let m = try #require(svg.firstMatch(of: /viewBox="0 0 ([\d.]+) ([\d.]+)"/))
    return (Double(m.1)!, Double(m.2)!)
}

/// A wide step-size grid (1e-4 ... 1e2, 12 values) on the synthetic problems.
private let wideGrid: [Double] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10, 100]

@Suite struct PlotOptionsTests {
    @Test func lineStylesAreDistinctForAnyNumberOfLines() {
        for n in [1, 9, 10, 11, 25, 61, 200] {
            let styles = (0..<n).map { LineStyles.style($0) }
            #expect(Set(styles.map { "\($0.color)|\($0.dash)" }).count == n, "\(n) lines")
        }
        for sizes in [[4, 8], [12, 3], [2, 12], [3, 7, 3], [11, 11]] {
            var seen = Set<String>()
            func walk(_ prefix: [Int]) {
                if prefix.count == sizes.count {
                    let s = LineStyles.style(prefix, sizes: sizes)
                    #expect(seen.insert("\(s.color)|\(s.dash)").inserted, "\(sizes) \(prefix)")
                    return
                }
                for i in 0..<sizes[prefix.count] { walk(prefix + [i]) }
            }
            walk([])
        }
        // The colour follows the dimension with the most values: 8 step sizes x 4 schedules use
        // 8 colours and 4 dashes, so step sizes 1e-4 and 1e3 no longer share a style.
        let a = LineStyles.style([0, 0], sizes: [4, 8]), b = LineStyles.style([0, 7], sizes: [4, 8])
        #expect(a.color != b.color && a.dash == b.dash)
        #expect(Set((0..<40).map(LineStyles.dash)).count == 40)
    }

    @Test func numbersOfOneParameterShareOneStyle() {
        let wide = PlotLabels.uniformNumbers(wideGrid.map(formatNumber))
        #expect(wideGrid.map { wide[formatNumber($0)]! } ==
                ["1e-4", "3e-4", "1e-3", "3e-3", "1e-2", "3e-2", "1e-1", "3e-1", "1e0", "3e0", "1e1", "1e2"])
        let narrow = PlotLabels.uniformNumbers(["0.001", "0.01", "0.5", "10", "250"])
        #expect(narrow == ["0.001": "0.001", "0.01": "0.01", "0.5": "0.5", "10": "10", "250": "250"])
        #expect(PlotLabels.uniformNumbers(["1.235e+05", "2"]) == ["1.235e+05": "1.235e5", "2": "2e0"])
        // Integers, names and mixtures are kept as recorded.
        #expect(PlotLabels.uniformNumbers(["32", "64"]) == ["32": "32", "64": "64"])
        #expect(PlotLabels.uniformNumbers(["sgd", "0.1"]) == ["sgd": "sgd", "0.1": "0.1"])
    }

    @Test func legendOfAWideGridHasNoMixedNumberFormats() throws {
        let s = try SyntheticResults(name: "wide", lrs: wideGrid)
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let index = CellIndex.make(file: file)
        #expect(index.values(of: "optimizer.lr").contains("1.000e-04") && index.values(of: "optimizer.lr").contains("0.001"))
        let svg = try ConvergencePlot.figure(file: file, cells: index, options: PlotOptions(metric: "loss")).0.svg()
        let legend = texts(svg).map(\.text)
        #expect(legend.contains("1e-4") && legend.contains("1e-3") && legend.contains("1e2"))
        #expect(!svg.contains("e-04") && !legend.contains("0.001") && !legend.contains("0.1"))
    }

    @Test func performanceProfileLegendUsesTheSameNumberStyle() throws {
        let s = try SyntheticResults(name: "wideprofile", lrs: wideGrid)
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let index = CellIndex.make(file: file)
        let ttt = TimeToTarget.make(file: file, cells: index, metric: "loss", target: 0.5, minimize: true, views: ["last"])
        let profile = try #require(PerformanceProfile.from(ttt, problemParameters: ["model"]))
        #expect(profile.methods.contains("1e-4") && profile.methods.contains("1e-3") && profile.methods.contains("1e2"))
        #expect(!profile.methods.contains { $0.contains("e-0") || $0 == "0.001" })
        let svg = profile.figure(title: "t", legendTitle: "method").svg()
        #expect(Set(curveStyles(svg)).count == profile.methods.count)
    }

    @Test func performanceProfileRenamesTheValuesInItsMethodNames() throws {
        let s = try SyntheticResults(name: "namedprofile", lrs: wideGrid)
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let ttt = TimeToTarget.make(file: file, cells: CellIndex.make(file: file), metric: "loss", target: 0.5,
                                    minimize: true, views: ["last"])
        let labels = try PlotLabels.parse(["optimizer.lr:0.001=small"])
        let profile = try #require(PerformanceProfile.from(ttt, problemParameters: ["model"], labels: labels))
        // 1e-3 matches 0.001 by value; the other numbers keep the parameter's one style.
        #expect(profile.methods.contains("small") && !profile.methods.contains("1e-3") && profile.methods.contains("1e-4"))
    }

    @Test func twentyFourLinesInOnePanelAreAllDistinct() throws {
        let s = try SyntheticResults(name: "many", lrs: wideGrid)
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        var o = PlotOptions(metric: "loss")
        o.facets = []
        let f = try ConvergencePlot.figure(file: file, cells: CellIndex.make(file: file), options: o).0
        let series = f.panels.flatMap(\.series)
        #expect(f.panels.count == 1 && series.count == 24)
        #expect(Set(series.map { "\($0.color)|\($0.dash)" }).count == series.count)
        let svg = f.svg()
        #expect(Set(curveStyles(svg)).count == series.count)
    }

    @Test func sharedLegendOfAFacetedFigureIsACompactStripOutsideThePanels() throws {
        let s = try SyntheticResults(name: "facets", lrs: wideGrid)
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        var o = PlotOptions(metric: "loss")
        o.views = ["last", "avg"]  // 12 step sizes x 2 views = 24 lines per panel, 2 panels
        // 12 step sizes are more than the palette: one entry per line (24), still a compact strip.
        #expect(try ConvergencePlot.figure(file: file, cells: CellIndex.make(file: file), options: o).0.legendKey == nil)
        for size in [nil, FigureSize.parse("7x3in"), FigureSize.parse("4x5in")] {
            var f = try ConvergencePlot.figure(file: file, cells: CellIndex.make(file: file), options: o).0
            f.size = size
            let svg = f.svg()
            #expect(svg.components(separatedBy: "<g class=\"legend\">").count == 2, "one legend")
            let (w, h) = try viewBox(svg)
            let (x0, y0, x1, y1) = try legendBox(svg)
            #expect(x0 >= 0 && y0 >= 0 && x1 <= w + 1 && y1 <= h + 1, "legend inside the figure \(String(describing: size))")
            #expect((x1 - x0) * (y1 - y0) < 0.4 * w * h, "legend area \((x1 - x0) * (y1 - y0)) of \(w * h)")
            let frames = panelFrames(svg)
            #expect(frames.count == 2)
            for (px, py, pw, ph) in frames {
                #expect(x1 <= px || x0 >= px + pw || y1 <= py || y0 >= py + ph, "legend over a panel")
                #expect(px >= 0 && py >= 0 && px + pw <= w && py + ph <= h)
            }
            for t in texts(svg) where t.text.count < 60 {
                #expect(t.x >= 0 && t.x <= w && t.y >= 0 && t.y <= h, "text '\(t.text)' outside \(w)x\(h)")
            }
        }
    }

    @Test func productsOfParametersGetAColourKeyAndADashKey() throws {
        let s = try SyntheticResults(name: "key")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        var o = PlotOptions(metric: "loss")
        o.views = ["last", "avg"]
        let f = try ConvergencePlot.figure(file: file, cells: CellIndex.make(file: file), options: o).0
        // 3 step sizes x 2 views = 6 lines per panel: 3 colours + 2 dashes.
        let key = try #require(f.legendKey)
        #expect(key.map(\.0) == ["0.01", "0.1", "1", "last", "avg"])
        #expect(key.prefix(3).allSatisfy { $0.2 == "" } && Set(key.prefix(3).map(\.1)).count == 3)
        #expect(Set(key.suffix(2).map(\.2)).count == 2 && Set(key.suffix(2).map(\.1)).count == 1)
        // Every line's colour and dash are in the key.
        for series in f.panels.flatMap(\.series) {
            #expect(key.contains { $0.1 == series.color } && key.contains { $0.2 == series.dash })
        }
        let svg = f.svg()
        #expect(svg.components(separatedBy: "<g class=\"legend\">")[1].components(separatedBy: "</g>")[0]
            .components(separatedBy: "<line ").count == 6)
        var tuned = o
        tuned.bestOver = ["optimizer.lr"]; tuned.facets = []
        #expect(try ConvergencePlot.figure(file: file, cells: CellIndex.make(file: file), options: tuned).0.legendKey == nil)
    }

    @Test func sizeSetsThePhysicalSizeAndThePanelsFillIt() throws {
        let inches = try #require(FigureSize.parse("6x4in"))
        #expect(inches.width == 576 && inches.height == 384 && inches.widthText == "6in" && inches.heightText == "4in")
        #expect(FigureSize.parse("900x600")?.widthText == "900px" && FigureSize.parse("900x600px")?.height == 600)
        #expect(abs((FigureSize.parse("15x10cm")?.width ?? 0) - 15 * 96 / 2.54) < 1e-9)
        for bad in ["6x", "x4in", "6*4in", "6x4ft", "-6x4in", "0x4in", "6x4x2"] { #expect(FigureSize.parse(bad) == nil, "\(bad)") }
        let s = try SyntheticResults(name: "size")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        var f = try ConvergencePlot.figure(file: file, cells: CellIndex.make(file: file), options: PlotOptions(metric: "loss")).0
        f.size = inches
        let svg = f.svg()
        #expect(svg.contains("width=\"6in\" height=\"4in\" viewBox=\"0 0 576 384\""))
        let frames = panelFrames(svg)
        // The two panels share the width: each at least a third of it, none past the edge.
        #expect(frames.count == 2 && frames.allSatisfy { $0.2 > 576 / 3 && $0.0 + $0.2 <= 576 && $0.1 + $0.3 <= 384 })
        #expect(xmlError(svg) == nil)
    }

    @Test func labelsRenameParametersMetricsAxesAndValues() throws {
        let s = try SyntheticResults(name: "labels")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let index = CellIndex.make(file: file)
        var o = PlotOptions(metric: "loss")
        o.labels = try PlotLabels.parse(["optimizer.lr=step size", "model:a=Model A: convex", "optimizer.lr:1e-2=tiny",
                                         "loss=training loss", "step=iteration t"])
        let f = try ConvergencePlot.figure(file: file, cells: index, options: o).0
        #expect(f.legendTitle == "step size" && f.yLabel == "training loss" && f.xLabel == "iteration t")
        #expect(f.panels.map(\.title) == ["Model A: convex", "model=b"])
        #expect(f.panels[1].series.map(\.label) == ["tiny", "0.1", "1"])
        #expect(f.title.contains("training loss"))
        let svg = f.svg()
        #expect(svg.contains(">step size<") && svg.contains(">Model A: convex<") && svg.contains(">tiny<"))
        // Mistakes are named precisely.
        func problem(_ specs: [String]) -> String {
            var bad = PlotOptions(metric: "loss")
            do {
                bad.labels = try PlotLabels.parse(specs)
                _ = try ConvergencePlot.figure(file: file, cells: index, options: bad)
                return ""
            } catch { return "\(error)" }
        }
        #expect(problem(["optimiser.lr=eta"]).contains("nothing called 'optimiser.lr'"))
        #expect(problem(["model:c=C"]).contains("'model' takes no value 'c' (values: a, b)"))
        #expect(problem(["loss:1=x"]).contains("'loss' has no values to rename"))
        #expect(problem(["optimizer.lr"]).contains("write PATH=TEXT"))
        #expect(problem(["optimizer.lr="]).contains("empty"))
    }
}
