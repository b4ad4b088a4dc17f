import Foundation
import ArgumentParser
import ExprunCore
import ExprunStore
import ExprunReport

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One self-contained HTML page: config, summary, tuned comparison, plots (inline SVG, no network).",
        discussion: "Examples:\n  exprun report runs/last_iterate/results.h5\n  exprun report runs/last_iterate/results.h5 --target 1e-3")
    @OptionGroup var selection: ResultsSelection
    @Option(name: .customLong("best-over"), help: "Tuned parameter (repeatable; default: swept step sizes *.lr).")
    var bestOver: [String] = []
    @Flag(help: "Rank tuned values by the area under the curve instead of the final value.") var auc = false
    @Option(help: "Add time to this target value and a performance profile.") var target: Double?
    @Option(help: "Band around the seed mean: std, minmax, iqr, none.") var band: String = "std"
    @Option(help: "Output file (default: report.html beside the results file).") var out: String?

    func run() throws {
        let start = Date()
        let (file, m, index, minimizing) = selection.open()
        checkSwept(bestOver, index, option: "--best-over")
        guard let bandKind = BandKind(rawValue: band) else { failWith("--band \(band): one of std, minmax, iqr, none") }
        var o = ReportOptions(metric: m, minimize: minimizing)
        o.bestOver = bestOver.isEmpty ? nil : bestOver
        o.bestReduction = auc ? .auc : .final
        o.target = target
        o.band = bandKind
        let html: String
        do { html = try HTMLReport.make(file: file, cells: index, options: o) } catch { failWith("\(selection.results): \(error)") }
        let path = out ?? (selection.folder as NSString).appendingPathComponent("report.html")
        try html.write(toFile: path, atomically: true, encoding: .utf8)
        print(path)
        stderr(String(format: "report written in %.2f s", Date().timeIntervalSince(start)))
    }
}
