import Foundation
import ArgumentParser
import ExprunCore
import ExprunConfig
import ExprunStore
import ExprunReport

/// `exprun compare`: methods against each other on every problem, from one or more results
/// files: a pivot table (methods as columns) and paired comparisons over seeds.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare methods across problems (pivot table) and seed by seed (paired tests); several files allowed.",
        discussion: """
        A problem is the swept dataset, model and environment values; a method is the other swept \
        values (prefixed by the experiment name when several files are given). With --best-over P \
        each method keeps its best value of P per problem (by seed mean). The pivot shows mean ± \
        std over seeds with the best mean of each row in bold (Markdown, LaTeX) or starred (text). \
        The paired table compares methods seed by seed (for one seed all methods saw the same data \
        and minibatches): mean difference A-B, a 95% percentile bootstrap interval (10000 \
        resamples, fixed seed), the two-sided sign-test and Wilcoxon signed-rank p-values, and in \
        how many seeds A was better (a diverged run is worse than any finite one; differences use \
        the seeds where both are finite).

        Examples:
          exprun compare runs/last_iterate/results.h5 --best-over optimizer.lr --view last
          exprun compare runs/last_iterate/results.h5 --best-over optimizer.lr --format latex --pivot
          exprun compare runs/a/results.h5 runs/b/results.h5 --baseline 'a: sgd'
        """)
    @Argument(help: "One or more results.h5 files.") var results: [String]
    @Option(help: "The metric (default: the first file's summary metric).") var metric: String?
    @Option(help: "The iterate view: last, avg, suffix_avg or ema.", completion: .list(ViewKind.allCases.map(\.rawValue))) var view: String = "last"
    @Option(name: .customLong("best-over"), help: "Tune this swept parameter per method and problem (repeatable).")
    var bestOver: [String] = []
    @Option(name: .customLong("where"), help: "Keep only the cells where a swept parameter takes one of these values: path=v1,v2 (repeatable).")
    var whereFilters: [String] = []
    @Option(help: "Compare every method with this one (default: every pair).") var baseline: String?
    @Option(help: "Output format: text, markdown, latex, csv, json.", completion: .list(MethodComparison.Format.allCases.map(\.rawValue))) var format: String = "text"
    @Flag(help: "Only the pivot table.") var pivot = false
    @Flag(help: "Only the paired comparisons.") var paired = false
    @Flag(help: "Summarise the area under the curve / steps instead of the final value.") var auc = false
    @Option(help: "Summarise the value at this step instead of the final one.") var step: Int?
    @Flag(help: "Larger is better (default for metrics named *accuracy*).") var maximize = false
    @Flag(help: "Smaller is better (the default for other metrics).") var minimize = false

    func run() throws {
        guard let fmt = MethodComparison.Format(rawValue: format) else {
            failWith("unknown format '\(format)' (text, markdown, latex, csv, json)",
                     suggestion: closestMatch(format, in: MethodComparison.Format.allCases.map(\.rawValue)))
        }
        if auc && step != nil { failWith("--step and --auc exclude each other") }
        let files = results.map(openResults)
        let m = resolveMetric(files[0], metric)
        var sources: [MethodComparison.Source] = []
        for file in files {
            _ = resolveMetric(file, m)
            let index = applyWhere(whereFilters, CellIndex.make(file: file))
            _ = resolveViews(view, index)
            if !bestOver.isEmpty { checkSwept(bestOver, index, option: "--best-over") }
            sources.append(.init(file: file, index: index))
        }
        let reduction: Reduction = auc ? .auc : (step.map { .atStep($0) } ?? .final)
        let comparison = try MethodComparison.make(sources, metric: m, view: view, reduction: reduction,
                                                   minimize: resolveMinimize(metric: m, maximize: maximize, minimize: minimize),
                                                   tuned: bestOver)
        if let b = baseline, !comparison.methods.contains(b) {
            failWith("--baseline \(b): no such method (methods: \(comparison.methods.joined(separator: ", ")))",
                     suggestion: closestMatch(b, in: comparison.methods))
        }
        if fmt == .json {
            print(comparison.renderJSON(pivot: !paired, pairs: !pivot, baseline: baseline), terminator: "")
            return
        }
        var parts: [String] = []
        if !paired { parts.append(comparison.renderPivot(fmt)) }
        if !pivot { parts.append(comparison.renderPairs(fmt, baseline: baseline)) }
        print(parts.joined(separator: "\n"), terminator: "")
    }
}
