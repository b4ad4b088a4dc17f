import Foundation
import ArgumentParser
import ExprunCore
import ExprunConfig
import ExprunStore
import ExprunReport

/// Prints one problem (with an optional suggestion) and exits 2.
func failWith(_ message: String, suggestion: String? = nil) -> Never {
    fail(DiagnosticList([Diagnostic(nil, message, suggestion: suggestion)]))
}

/// Opens a results file or exits 2.
func openResults(_ path: String) -> ResultsFile {
    do { return try ResultsFile(path: path) } catch { failWith("\(path): cannot open results: \(error)") }
}

/// The metric asked for, else the experiment's summary metric; exits 2 when the runs lack it.
func resolveMetric(_ file: ResultsFile, _ metric: String?) -> String {
    let defaultMetric = file.rootAttributes.first { $0.0 == "summary_metric" }?.1.asString
    let m = metric ?? defaultMetric ?? "train_loss"
    if let id = file.runIds.first, !file.metricNames(id).contains(m) {
        failWith("\(file.path): no metric '\(m)' (recorded: \(file.metricNames(id).joined(separator: ", ")))",
                 suggestion: closestMatch(m, in: file.metricNames(id)))
    }
    return m
}

/// `--view a,b` (or `all`) checked against the recorded views; nil when not given.
func resolveViews(_ text: String?, _ index: CellIndex) -> [String]? {
    guard let t = text else { return nil }
    if t == "all" { return index.allViews }
    let views = t.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    for v in views where !index.allViews.contains(v) {
        failWith("no view '\(v)' (recorded: \(index.allViews.joined(separator: ", ")))", suggestion: closestMatch(v, in: index.allViews))
    }
    return views
}

/// Checks swept-parameter options (--best-over, --by, --facet).
func checkSwept(_ names: [String], _ index: CellIndex, option: String) {
    for n in names where !index.swept.contains(n) {
        failWith("\(option) \(n): not a swept parameter (swept: \(index.swept.joined(separator: ", ")))",
                 suggestion: closestMatch(n, in: index.swept))
    }
}

/// `--where path=v1,v2` (repeatable): keeps the cells where each swept parameter takes one of
/// the values; a parameter that is not swept or a value no cell has is an error (exit 2).
/// A successive-halving sweep is seen at its last rung unless a filter names `rung`.
func applyWhere(_ filters: [String], _ index: CellIndex) -> CellIndex {
    let index = filters.contains { $0.hasPrefix("rung=") } ? index : index.finalRung()
    var conditions: [(parameter: String, labels: [String])] = []
    for f in filters {
        guard let eq = f.firstIndex(of: "="), eq != f.startIndex else { failWith("--where takes path=value[,value...], got '\(f)'") }
        let path = String(f[..<eq]), labels = f[f.index(after: eq)...].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        checkSwept([path], index, option: "--where")
        let present = Set(index.cells.compactMap { $0.value(path) })
        for l in labels where !present.contains(where: { compareLabels($0, l) == 0 }) {
            failWith("--where \(path): no cell has the value '\(l)' (values: \(present.sorted().joined(separator: ", ")))",
                     suggestion: closestMatch(l, in: Array(present)))
        }
        conditions.append((path, labels))
    }
    return conditions.isEmpty ? index : index.selecting(conditions)
}

/// Min or max: explicit flags, else by the metric's name (accuracy maximises).
func resolveMinimize(metric: String, maximize: Bool, minimize: Bool) -> Bool {
    if maximize && minimize { failWith("--maximize and --minimize exclude each other") }
    return maximize ? false : (minimize ? true : metricMinimizes(metric))
}

func parseFormat(_ format: String) -> SummaryTable.Format {
    guard let fmt = SummaryTable.Format(rawValue: format) else {
        failWith("unknown format '\(format)' (text, csv, markdown, json)",
                 suggestion: closestMatch(format, in: SummaryTable.Format.allCases.map(\.rawValue)))
    }
    return fmt
}

/// The options every command that reads results shares: the file, the metric, which cells
/// (`--where`) and which direction is better. `open()` resolves them or exits 2.
struct ResultsSelection: ParsableArguments {
    @Argument(help: "A results.h5 file.") var results: String
    @Option(help: "The metric (default: the experiment's summary metric).") var metric: String?
    @Option(name: .customLong("where"), help: "Keep only the cells where a swept parameter takes one of these values: path=v1,v2 (repeatable).")
    var whereFilters: [String] = []
    @Flag(help: "Larger is better (default for metrics named *accuracy*).") var maximize = false
    @Flag(help: "Smaller is better (the default for other metrics).") var minimize = false

    /// The folder of the results file (plots and reports go beside it by default).
    var folder: String { (results as NSString).deletingLastPathComponent }

    func open() -> (file: ResultsFile, metric: String, index: CellIndex, minimize: Bool) {
        let file = openResults(results)
        let m = resolveMetric(file, metric)
        return (file, m, applyWhere(whereFilters, CellIndex.make(file: file)),
                resolveMinimize(metric: m, maximize: maximize, minimize: minimize))
    }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The summary table: final metrics, mean and spread over seeds; --best-over for a tuned comparison.",
        discussion: """
        One row per grid cell (swept values without the seed) and iterate view: runs, diverged \
        runs, mean, sample std, median, min and max over seeds of one number per run (the final \
        value, --best, --step or --auc). With --best-over PARAM (repeatable), one row per method \
        and problem with the value of PARAM whose seed mean is best, flagged when it lies on the \
        edge of the grid. Several results files give one table each, under its path (CSV: a \
        leading file column); `exprun compare` puts several files in one table.

        Examples:
          exprun summary runs/last_iterate/results.h5 --view last --sort mean
          exprun summary runs/last_iterate/results.h5 --best-over optimizer.lr --format markdown
          exprun summary runs/a/results.h5 runs/b/results.h5 --format csv
        """)
    @OptionGroup var selection: ResultsSelection
    @Argument(help: "More results files (one table each).") var moreResults: [String] = []
    @Option(help: "Output format: text, csv, markdown, json.", completion: .list(SummaryTable.Format.allCases.map(\.rawValue))) var format: String = "text"
    @Option(help: "Summarise the value at this step instead of the final one.") var step: Int?
    @Option(help: "Summarise the best value over the curve: min or max.") var best: String?
    @Flag(help: "Summarise the area under the curve divided by the steps (the time-average).") var auc = false
    @Option(help: "Iterate views: a comma list (last, avg, suffix_avg, ema) or all (default: all).", completion: .list(ViewKind.allCases.map(\.rawValue) + ["all"])) var view: String?
    @Option(help: "Sort rows by a statistic (mean, std, median, min, max, n, diverged) or a swept parameter.") var sort: String?
    @Flag(help: "Sort in descending order.") var descending = false
    @Option(help: "Group rows into one section per value of this swept parameter (or view).") var by: String?
    @Option(name: .customLong("best-over"), help: "Tuned comparison: pick the best value of this swept parameter per method and problem (repeatable).")
    var bestOver: [String] = []

    func run() throws {
        guard !moreResults.isEmpty else { return print(try table(selection), terminator: "") }
        let fmt = parseFormat(format)
        var parts: [String] = []
        for (k, path) in ([selection.results] + moreResults).enumerated() {
            var one = selection
            one.results = path
            let text = try table(one)
            switch fmt {
            case .csv:
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
                let field = path.contains(",") ? "\"\(path)\"" : path
                parts.append(lines.enumerated().filter { k == 0 || $0.offset > 0 }
                    .map { ($0.offset == 0 ? "file" : field) + "," + $0.element }.joined(separator: "\n") + "\n")
            case .json: parts.append(text)
            case .markdown: parts.append("### \(path)\n\n" + text)
            case .text: parts.append("== \(path)\n" + text)
            }
        }
        print(fmt == .json ? "[\n" + parts.joined(separator: ",\n") + "]\n" : parts.joined(separator: fmt == .csv ? "" : "\n"),
              terminator: "")
    }

    /// The table of one results file, rendered.
    func table(_ selection: ResultsSelection) throws -> String {
        let fmt = parseFormat(format)
        let (file, m, index, minimizing) = selection.open()
        let views = resolveViews(view, index)
        var reduction = Reduction.final
        if let s = step {
            reduction = .atStep(s)
            if let id = index.cells.first?.runIds.first, case let steps = file.steps(id), !steps.contains(s),
               let used = steps.last(where: { $0 <= s }) {
                stderr("note: step \(s) is not a log point; each run gives its value at the last log point before it (\(used) here)")
            }
        }
        if let b = best {
            guard b == "min" || b == "max" else { failWith("--best takes min or max, got '\(b)'") }
            reduction = .best(minimize: b == "min")
        }
        if auc { reduction = .auc }
        if [step != nil, best != nil, auc].filter({ $0 }).count > 1 { failWith("--step, --best and --auc exclude each other") }
        if !bestOver.isEmpty {
            checkSwept(bestOver, index, option: "--best-over")
            let tuned = try TunedComparison.make(file: file, cells: index, metric: m, tuned: bestOver, reduction: reduction,
                                                 minimize: minimizing, views: views)
            return tuned.render(fmt)
        }
        var table = SummaryTable.make(file: file, cells: index, metric: m, reduction: reduction, views: views)
        if let s = sort, !table.sort(by: s, descending: descending) {
            failWith("--sort \(s): not a statistic or swept parameter", suggestion: closestMatch(s, in: SummaryTable.sortColumns + index.swept))
        }
        if let g = by, !table.group(by: g) {
            failWith("--by \(g): not a swept parameter (swept: \(index.swept.joined(separator: ", ")))", suggestion: closestMatch(g, in: index.swept))
        }
        return table.render(fmt)
    }
}
