import Foundation
import ExprunCore
import ExprunStore

/// The per-seed scores of every method on every problem, gathered from one or more results
/// files: what `exprun compare` renders as a pivot table and as paired comparisons.
///
/// A problem is the swept values of dataset, model and environment parameters; a method is the
/// other swept values (without the tuned parameters and the seed), prefixed by the experiment
/// name when several files are compared. With tuned parameters, each method and problem keeps
/// the cell whose seed mean is best (the tuned comparison's winner). Scores are per seed, so
/// methods that shared data and minibatches for a seed are compared seed by seed.
public struct MethodComparison: Sendable {
    public var metric: String
    public var view: String
    public var reduction: Reduction
    public var minimize: Bool
    public var problems: [String]
    public var methods: [String]
    /// scores[problem][method][seed]: the reduced value; +inf (or -inf when maximising) for a
    /// diverged or failed run, so it ranks worst.
    public var scores: [String: [String: [Int: Double]]]
    /// The winning values of the tuned parameters per problem and method (empty without tuning).
    public var tunedValues: [String: [String: String]]

    public struct Source {
        public var file: ResultsFile
        public var index: CellIndex
        public init(file: ResultsFile, index: CellIndex) { self.file = file; self.index = index }
    }

    public static func make(_ sources: [Source], metric: String, view: String, reduction: Reduction = .final,
                            minimize: Bool, tuned: [String] = []) throws -> MethodComparison {
        var out = MethodComparison(metric: metric, view: view, reduction: reduction, minimize: minimize, problems: [],
                                   methods: [], scores: [:], tunedValues: [:])
        let worst = minimize ? Double.infinity : -Double.infinity
        for source in sources {
            let (file, index) = (source.file, source.index)
            // Parameters that take one value over the cells say nothing about a row or column.
            let varying = index.swept.filter { index.values(of: $0).count > 1 }
            let problemParameters = index.problemParameters.filter(varying.contains)
            let methodParameters = varying.filter { !index.problemParameters.contains($0) && !tuned.contains($0) }
            var cells: [(cell: Cell, tunedLabel: String)] = index.cells.map { ($0, "") }
            if !tuned.isEmpty {
                let comparison = try TunedComparison.make(file: file, cells: index, metric: metric, tuned: tuned,
                                                          reduction: reduction, minimize: minimize, views: [view])
                cells = comparison.rows.compactMap { row in
                    row.cell.map { ($0, row.winner.map { "\($0.0)=\($0.1)" }.joined(separator: " ")) }
                }
            }
            let seeds = seedsByRun(file)
            for (cell, tunedLabel) in cells {
                let problem = cell.subkey(problemParameters).map { "\($0.0.split(separator: ".").last!)=\($0.1)" }
                    .joined(separator: " ")
                var method = cell.subkey(methodParameters).map(\.1).joined(separator: " ")
                if sources.count > 1 || method.isEmpty {
                    method = method.isEmpty ? file.experiment : "\(file.experiment): \(method)"
                }
                if !out.problems.contains(problem) { out.problems.append(problem) }
                if !out.methods.contains(method) { out.methods.append(method) }
                var perSeed: [Int: Double] = [:]
                for (k, (id, status)) in cell.runs.enumerated() {
                    let seed = seeds[id] ?? k
                    if status == RunStatus.diverged.rawValue || status == RunStatus.failed.rawValue { perSeed[seed] = worst; continue }
                    guard let s = file.series(id, metric: metric, view: view == "last" ? nil : view),
                          let v = reduction.apply(s, steps: file.steps(id)) else { continue }
                    perSeed[seed] = v.isNaN ? worst : v
                }
                out.scores[problem, default: [:]][method] = perSeed
                if !tunedLabel.isEmpty { out.tunedValues[problem, default: [:]][method] = tunedLabel }
            }
        }
        return out
    }

    /// The seed of every run, from /index (else the run attribute).
    static func seedsByRun(_ file: ResultsFile) -> [String: Int] {
        var seeds: [String: Int] = [:]
        if let column = file.indexColumn("seed") {
            for (id, v) in zip(file.runIds, column) { seeds[id] = v.asInt }
        } else {
            for id in file.runIds { seeds[id] = file.attribute(id, "seed")?.asInt }
        }
        return seeds
    }

    /// Statistics over the finite seeds of one method on one problem, with the count of
    /// diverged or failed seeds.
    public func statistics(_ problem: String, _ method: String) -> (stats: CellStatistics, diverged: Int)? {
        guard let s = scores[problem]?[method] else { return nil }
        let finite = s.values.filter(\.isFinite)
        return (CellStatistics.of(finite), s.count - finite.count)
    }

    /// One paired comparison: A vs B on one problem over their common seeds.
    public struct Pair: Sendable {
        public var problem: String, a: String, b: String
        /// Common seeds, and those where A is better (a diverged run is worse than any finite one).
        public var seeds: Int, aBetter: Int, bBetter: Int
        /// Statistics of a_i - b_i over the seeds where both are finite.
        public var paired: PairedStatistics
    }

    /// Paired comparisons per problem: every method against `baseline`, or every pair.
    public func pairs(baseline: String? = nil) -> [Pair] {
        var out: [Pair] = []
        for problem in problems {
            let present = methods.filter { scores[problem]?[$0] != nil }
            var couples: [(String, String)] = []
            if let base = baseline {
                couples = present.filter { $0 != base }.map { ($0, base) }
                if !present.contains(base) { couples = [] }
            } else {
                for i in present.indices { for j in present.indices where j > i { couples.append((present[i], present[j])) } }
            }
            for (a, b) in couples {
                let sa = scores[problem]![a]!, sb = scores[problem]![b]!
                let common = sa.keys.filter { sb[$0] != nil }.sorted()
                var better = 0, worse = 0, differences: [Double] = []
                for seed in common {
                    let x = sa[seed]!, y = sb[seed]!
                    if x.isFinite && y.isFinite { differences.append(x - y) }
                    if x == y { continue }
                    if (x < y) == minimize { better += 1 } else { worse += 1 }
                }
                out.append(Pair(problem: problem, a: a, b: b, seeds: common.count, aBetter: better, bBetter: worse,
                                paired: PairedStatistics.make(differences: differences)))
            }
        }
        return out
    }
}
