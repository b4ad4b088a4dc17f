import Foundation
import ArgumentParser
import ExprunCore
import ExprunStore
import ExprunReport

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convergence plots (SVG and PNG): seed mean per cell with a band, panels by a parameter.",
        discussion: """
        Without options: the experiment's summary metric against steps, last iterate, one panel \
        per problem, log-log where the values are positive. Writes <metric>.svg and <metric>.png \
        (x axis other than step: <metric>_<x>.svg) into --out (default: plots/ next to the results). \
        Wall time is the run's wall_seconds spread linearly over its steps unless a wall_time series exists.

        Examples:
          exprun plot runs/last_iterate/results.h5
          exprun plot runs/last_iterate/results.h5 --best-over optimizer.lr --view last,avg
          exprun plot runs/last_iterate/results.h5 --where model=svm --band minmax --xscale log
          exprun plot runs/last_iterate/results.h5 --label optimizer.lr="step size" --label optimizer.schedule:inv_sqrt="1/√t" --size 6x4in --pdf

        Labels: --label PATH=TEXT names a swept parameter, the metric, the x axis (step, \
        grad_evals, wall) or "view" in legends, panel titles and axes; --label PATH:VALUE=TEXT \
        renames one value (numbers match by value: optimizer.lr:1e-3 matches 0.001). Numbers \
        of one parameter are written alike: plain decimals when all lie in [0.001, 9999], else \
        all in scientific notation (1e-4, 2.5e-3, 1e0). No two lines share both colour and dash.
        """)
    @OptionGroup var selection: ResultsSelection
    @Option(help: "x axis: step, grad_evals, expensive_grad_evals, wall, sim_time.") var x: String = "step"
    @Option(help: "Iterate views: a comma list (last, avg, suffix_avg, ema) or all (default: last).", completion: .list(ViewKind.allCases.map(\.rawValue) + ["all"])) var view: String?
    @Option(help: "Band around the seed mean: std, minmax, iqr, none.") var band: String = "std"
    @Option(help: "Panels by this swept parameter (repeatable; 'none' for one panel; default: the problem parameters).")
    var facet: [String] = []
    @Option(name: .customLong("best-over"), help: "Draw each method at its best value of this swept parameter (repeatable).")
    var bestOver: [String] = []
    @Flag(help: "With --best-over: rank by the area under the curve instead of the final value.") var auc = false
    @Option(help: "x scale: auto, linear, log.") var xscale: String = "auto"
    @Option(help: "y scale: auto, linear, log.") var yscale: String = "auto"
    @Option(help: "Output folder (default: plots/ beside the results file).") var out: String?
    @Option(help: "File name without extension (default: the metric, plus _<x> for other x axes).") var name: String?
    @Option(help: "Figure title.") var title: String?
    @Flag(help: "Write only the SVG.") var noPng = false
    @OptionGroup var figureOptions: FigureOptions

    func run() throws {
        let (file, m, index, minimizing) = selection.open()
        guard let xKind = XAxisKind(rawValue: x) else { failWith("--x \(x): one of " + XAxisKind.allCases.map(\.rawValue).joined(separator: ", ")) }
        guard let bandKind = BandKind(rawValue: band) else { failWith("--band \(band): one of std, minmax, iqr, none") }
        func scale(_ s: String, _ option: String) -> AxisScale? {
            if s == "auto" { return nil }
            guard let a = AxisScale(rawValue: s) else { failWith("\(option) \(s): one of auto, linear, log") }
            return a
        }
        var o = PlotOptions(metric: m, minimize: minimizing)
        o.x = xKind
        o.band = bandKind
        o.views = resolveViews(view, index) ?? ["last"]
        if facet == ["none"] { o.facets = [] } else if !facet.isEmpty { checkSwept(facet, index, option: "--facet"); o.facets = facet }
        checkSwept(bestOver, index, option: "--best-over")
        o.bestOver = bestOver
        o.bestReduction = auc ? .auc : .final
        o.xScale = scale(xscale, "--xscale")
        o.yScale = scale(yscale, "--yscale")
        o.title = title
        o.labels = figureOptions.labels()
        figureOptions.check()
        var figure: ChartFigure, notes: [String]
        do { (figure, notes) = try ConvergencePlot.figure(file: file, cells: index, options: o) }
        catch { failWith("\(selection.results): \(error)") }
        for n in notes { stderr("note: " + n) }
        figureOptions.apply(to: &figure)
        let dir = out ?? (selection.folder as NSString).appendingPathComponent("plots")
        let base = name ?? FigureFiles.safeName(m + (xKind == .step ? "" : "_" + xKind.rawValue))
        do {
            for path in try FigureFiles.write(figure, directory: dir, name: base, png: !noPng, pdf: figureOptions.pdf) { print(path) }
        } catch { failWith("\(error)") }
    }
}
