import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif
import ExprunCore
import ExprunStore
@testable import ExprunReport

/// Parses XML; returns the error, or nil when it is well formed.
func xmlError(_ text: String) -> Error? {
    let parser = XMLParser(data: Data(text.utf8))
    return parser.parse() ? nil : (parser.parserError ?? NSError(domain: "xml", code: 1))
}

@Suite struct TickTests {
    @Test func logTicksOnManyDecades() {
        let ticks = Axis.logTicks(1, 2e4)
        let majors = ticks.filter(\.major)
        #expect(majors.map(\.value) == [1, 10, 100, 1000, 10000])
        #expect(majors.map(\.label) == [.power(0), .power(1), .power(2), .power(3), .power(4)])
        // Minor ticks at 2..9 x 10^k, all inside the range.
        #expect(ticks.contains { $0.value == 20000 && !$0.major })
        #expect(ticks.allSatisfy { $0.value >= 1 && $0.value <= 2e4 })
        #expect(ticks.map(\.value) == ticks.map(\.value).sorted())
    }

    @Test func logTicksThinOutOverTwentyDecades() {
        let majors = Axis.logTicks(1e-12, 1e8).filter(\.major)
        #expect(majors.count >= 4 && majors.count <= 7)
        for t in majors { #expect(abs(log10(t.value) - log10(t.value).rounded()) < 1e-9) }
        let gaps = zip(majors.dropFirst(), majors).map { log10($0.value / $1.value).rounded() }
        #expect(Set(gaps).count == 1)
    }

    @Test func logTicksWithinOneDecade() {
        let ticks = Axis.logTicks(0.03, 0.7)
        #expect(ticks.map(\.value) == [0.05, 0.1, 0.2, 0.5])
        let narrow = Axis.logTicks(3.1, 3.9)  // no 1-2-5 value inside: linear ticks
        #expect(narrow.count >= 2 && narrow.allSatisfy { $0.value >= 3.1 && $0.value <= 3.9 })
    }

    @Test func axisSnapsLogEndsToDecadesAndLinearToNiceSteps() {
        let y = Axis.make(3e-4, 2.5, scale: .log)
        #expect(y.lo == 1e-4 && y.hi == 10)
        #expect(abs(y.fraction(1e-2) - 0.4) < 1e-12)
        let x = Axis.make(1, 2e4, scale: .log, snap: false)
        #expect(x.lo == 1 && x.hi == 2e4)
        let lin = Axis.make(0.13, 0.87, scale: .linear)
        #expect(lin.lo == 0 && abs(lin.hi - 1) < 1e-12)
        #expect(lin.ticks.map(\.label.plain) == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(Axis.niceStep(0.23) == 0.25 && Axis.niceStep(7) == 10 && Axis.niceStep(1) == 1)
        let neg = Axis.make(-1250, 30, scale: .linear)
        #expect(neg.ticks.contains { $0.value == 0 } && neg.lo <= -1250 && neg.hi >= 30)
    }
}

@Suite struct SVGTests {
    @Test func everyFigureParsesAsXML() throws {
        let s = try SyntheticResults(name: "svg")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let index = CellIndex.make(file: file)
        var figures: [ChartFigure] = []
        for x in [XAxisKind.step, .grad_evals, .wall] {
            for band in BandKind.allCases {
                var o = PlotOptions(metric: "loss")
                o.x = x; o.band = band; o.views = ["last", "avg"]
                figures.append(try ConvergencePlot.figure(file: file, cells: index, options: o).0)
            }
        }
        var tuned = PlotOptions(metric: "loss")
        tuned.bestOver = ["optimizer.lr"]
        tuned.facets = ["model"]
        let (f, notes) = try ConvergencePlot.figure(file: file, cells: index, options: tuned)
        figures.append(f)
        #expect(f.panels.count == 2 && f.panels.allSatisfy { $0.series.count == 1 })
        #expect(f.panels.allSatisfy { $0.series[0].label.contains("lr=0.1") })
        _ = notes
        // Hostile labels are escaped.
        figures.append(ChartFigure(title: "a < b & \"c\"", xLabel: "x'", yLabel: "<y>", xScale: .linear, yScale: .linear,
                                   panels: [ChartPanel(title: "p&q", series: [ChartSeries(label: "<&>", x: [0, 1], y: [1, 2], color: "#000")])]))
        for fig in figures {
            let svg = fig.svg()
            #expect(xmlError(svg) == nil, "\(fig.title)")
            #expect(svg.contains("<polyline"))
        }
        let html = try HTMLReport.make(file: file, options: ReportOptions(metric: "loss"))
        #expect(html.contains("<svg") && html.contains("Tuned comparison") && !html.contains("<script"))
        // The page minus its doctype is well-formed XML too (inline SVG included).
        #expect(xmlError(html.replacingOccurrences(of: "<!DOCTYPE html>", with: "")) == nil)
    }

    @Test func plotLeavesOutCellsWhereMostSeedsDiverged() throws {
        let s = try SyntheticResults(name: "div")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let (f, notes) = try ConvergencePlot.figure(file: file, cells: CellIndex.make(file: file), options: PlotOptions(metric: "loss"))
        // 1 diverged seed of 4: drawn from the other 3, and said so.
        #expect(f.panels.flatMap(\.series).count == 6)
        #expect(notes.contains { $0.contains("without their diverged runs") })
        // Panels: no problem parameter is named model/dataset/environment path... "model" is one.
        #expect(f.panels.map(\.title) == ["model=a", "model=b"])
    }

    @Test func wallTimeSpreadsSecondsLinearlyOverSteps() throws {
        let s = try SyntheticResults(name: "wall")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let x = try #require(Curves.xValues(file: file, runId: "a-0.1-0", kind: .wall))
        #expect(x == [0, 0.002, 0.02, 0.2, 2.0])
    }
}
