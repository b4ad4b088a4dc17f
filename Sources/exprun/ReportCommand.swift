import Foundation
import ArgumentParser
import ExprunCore
import ExprunStore
import ExprunReport

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One self-contained HTML page: config, summary, tuned comparison, plots (inline SVG, no network).")
    @Argument(help: "A results.h5 file.") var results: String
    @Option(help: "The metric (default: the experiment's summary metric).") var metric: String?
    @Option(name: .customLong("best-over"), help: "Tuned parameter (repeatable; default: swept step sizes *.lr).")
    var bestOver: [String] = []
    @Flag(help: "Rank tuned values by the area under the curve instead of the final value.") var auc = false
    @Option(help: "Add time to this target value and a performance profile.") var target: Double?
    @Flag(help: "Larger is better (default for metrics named *accuracy*).") var maximize = false
    @Flag(help: "Smaller is better (the default for other metrics).") var minimize = false
    @Option(help: "Band around the seed mean: std, minmax, iqr, none.") var band: String = "std"
    @Option(help: "Output file (default: report.html beside the results file).") var out: String?

    @Option(name: .customLong("where"), help: "Keep only the cells where a swept parameter takes one of these values: path=v1,v2 (repeatable).")
    var whereFilters: [String] = []

    func run() throws {
        let start = Date()
        let file = openResults(results)
        let m = resolveMetric(file, metric)
        let index = applyWhere(whereFilters, CellIndex.make(file: file))
        checkSwept(bestOver, index, option: "--best-over")
        guard let bandKind = BandKind(rawValue: band) else { failWith("--band \(band): one of std, minmax, iqr, none") }
        var o = ReportOptions(metric: m, minimize: resolveMinimize(metric: m, maximize: maximize, minimize: minimize))
        o.bestOver = bestOver.isEmpty ? nil : bestOver
        o.bestReduction = auc ? .auc : .final
        o.target = target
        o.band = bandKind
        let html: String
        do { html = try HTMLReport.make(file: file, options: o) } catch { failWith("\(results): \(error)") }
        let path = out ?? ((results as NSString).deletingLastPathComponent as NSString).appendingPathComponent("report.html")
        try html.write(toFile: path, atomically: true, encoding: .utf8)
        print(path)
        stderr(String(format: "report written in %.2f s", Date().timeIntervalSince(start)))
    }
}
