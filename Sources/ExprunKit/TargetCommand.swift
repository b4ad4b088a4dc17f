import Foundation
import ArgumentParser
import ExprunCore
import ExprunStore
import ExprunReport

struct Target: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time to target per cell, and a performance profile when the sweep spans several problems.",
        discussion: """
        For each run, the first log point at which the metric reaches --value (at or below it; \
        at or above with --maximize), in steps, grad_evals and seconds, summarised per cell. \
        With several problems (values of the model/dataset/environment parameters, or --problem), \
        writes the performance profile (Dolan & Moré 2002) of the methods as profile_<metric>.svg/.png.

        Examples:
          exprun target runs/last_iterate/results.h5 --value 1e-3
          exprun target runs/last_iterate/results.h5 --value 1e-3 --format markdown
          exprun target runs/last_iterate/results.h5 --value 1e-3 --best-over optimizer.lr   # profile of tuned methods
          exprun target runs/last_iterate/results.h5 --value 1e-3 --label optimizer.schedule:inv_sqrt="1/√t" --size 6x4in --pdf
        """)
    @OptionGroup var selection: ResultsSelection
    @Option(help: "The target value of the metric.") var value: Double
    @Option(help: "Iterate views: a comma list or all (default: all).") var view: String?
    @Option(help: "Swept parameters that define a problem (repeatable; default: model, dataset and environment parameters).")
    var problem: [String] = []
    @Option(help: "Output format: text, csv, markdown, json.") var format: String = "text"
    @Option(help: "Folder for the profile plot (default: plots/ beside the results file).") var out: String?
    @Flag(help: "Write only the SVG of the profile.") var noPng = false
    @OptionGroup var figureOptions: FigureOptions
    @Option(name: .customLong("best-over"), help: "Profile tuned methods: each method's cost per problem is its best over this swept parameter (repeatable).")
    var bestOver: [String] = []

    func run() throws {
        let fmt = parseFormat(format)
        figureOptions.check()
        let (file, m, index, minimizing) = selection.open()
        let views = resolveViews(view, index)
        checkSwept(problem, index, option: "--problem")
        checkSwept(bestOver, index, option: "--best-over")
        let ttt = TimeToTarget.make(file: file, cells: index, metric: m, target: value, minimize: minimizing, views: views)
        let problems = problem.isEmpty ? index.problemParameters.filter { index.values(of: $0).count > 1 } : problem
        // In the profile a method is named by its values (and view): those can be renamed, and
        // `method` names the legend.
        let labels = figureOptions.labels()
        let methodParameters = index.swept.filter { !problems.contains($0) && !bestOver.contains($0) }
        var renamable = Dictionary(uniqueKeysWithValues: methodParameters.map { ($0, index.values(of: $0)) })
        renamable["view"] = Array(Set(ttt.rows.map(\.view))).sorted()
        do { try labels.check(nameable: ["method"], values: renamable) } catch { failWith("\(error)") }
        print(ttt.render(fmt), terminator: "")
        guard let profile = PerformanceProfile.from(ttt, problemParameters: problems, tuned: bestOver, labels: labels) else {
            if fmt == .text { stderr("no performance profile: the sweep has fewer than two problems") }
            return
        }
        var figure = profile.figure(
            title: "\(file.experiment): steps to \(m) \(minimizing ? "≤" : "≥") \(formatNumber(value)), \(profile.problems.count) problems",
            legendTitle: labels.name("method", "method"))
        figureOptions.apply(to: &figure)
        let dir = out ?? (selection.folder as NSString).appendingPathComponent("plots")
        do {
            for path in try FigureFiles.write(figure, directory: dir, name: "profile_" + FigureFiles.safeName(m), png: !noPng, pdf: figureOptions.pdf) {
                stderr("wrote " + path)
            }
        } catch { failWith("\(error)") }
    }
}
