import ExprunCore
import ExprunConfig

/// Successive halving (Jamieson & Talwalkar 2016; the inner loop of Hyperband):
/// `search: {method: halving, candidates: sobol, samples: 27, space: {...}, eta: 3,
/// min_budget: 100, max_budget: 2700, budget_metric: train_loss}`. Rung k runs every
/// surviving candidate (all its seeds) for min_budget * eta^k steps, up to max_budget; the
/// best max(1, floor(n / eta)) by the seed-mean of budget_metric's last value go on.
///
/// A survivor's run at the next rung is a fresh run with the larger budget, not the previous
/// run resumed: a run with budget b is exactly the run `run.steps: b` gives (schedules that
/// read the horizon, such as linear decay, see b), it is deterministic whatever ran before,
/// and no optimizer state has to be stored between rungs. The cost is at most 1/(eta - 1)
/// more steps for the survivors (a half for eta = 3).
public struct HalvingSettings: Sendable, Equatable {
    public var eta: Int
    /// Steps of each rung: min_budget * eta^k, k = 0, 1, ... while at most max_budget.
    public var budgets: [Int]
    /// The metric ranked at the end of each rung (its last logged value, mean over seeds).
    public var metric: String
    public var lowerIsBetter: Bool

    public init(eta: Int, budgets: [Int], metric: String, lowerIsBetter: Bool = true) {
        self.eta = eta; self.budgets = budgets; self.metric = metric; self.lowerIsBetter = lowerIsBetter
    }

    static let methods = ["halving"]
    static let keys = ["candidates", "eta", "min_budget", "max_budget", "budget_metric", "goal", "budget"]
    static let candidateKinds = SearchMethod.allCases.map(\.rawValue) + ["grid"]

    /// How many candidates of `n` go on to the next rung.
    public func kept(_ n: Int) -> Int { max(1, n / eta) }

    static var schemaProperties: [(String, Any)] {
        [("candidates", ["enum": candidateKinds, "description": "halving's candidates: points of the space (random, sobol) or the sweep's cells (grid; the default without a space)"]),
         ("eta", ["type": "integer", "minimum": 2, "description": "halving: keep the best 1/eta at each rung (default 3)"]),
         ("min_budget", ["type": "integer", "minimum": 1, "description": "halving: steps of the first rung"]),
         ("max_budget", ["type": "integer", "minimum": 1, "description": "halving: steps of the last rung at most (rungs min_budget * eta^k)"]),
         ("budget_metric", ["type": "string", "description": "halving: the metric ranked at the end of each rung's budget (default summary.metric)"]),
         ("goal", ["enum": ["min", "max"], "description": "halving: whether budget_metric is better low (default) or high"]),
         ("budget", ["enum": ["steps"], "description": "halving: what a budget counts (steps)"])]
    }
}

/// Which runs make up each candidate at each rung (filled in once the grid is expanded).
public struct HalvingPlan: Sendable {
    public var settings: HalvingSettings
    /// runs[c][k]: the run ids of candidate c at rung k, one per seed, in grid order.
    public var runs: [[[String]]]
    /// The brackets: groups of candidates halved separately (in the same rungs). One bracket
    /// of every candidate, or, when the space is nested under a role's components, one per
    /// component, so that each method is tuned on its own and every method reaches the last
    /// rung (a common tournament would leave only the best method to compare).
    public var brackets: [[Int]]

    public init(settings: HalvingSettings, runs: [[[String]]], brackets: [[Int]]? = nil) {
        self.settings = settings; self.runs = runs; self.brackets = brackets ?? [Array(runs.indices)]
    }

    /// How many runs the sweep runs in all: each bracket's candidates at each rung (n, then
    /// kept(n), ...) times their runs.
    public var plannedRuns: Int {
        brackets.reduce(0) { total, bracket in
            var n = bracket.count, sum = 0
            for k in settings.budgets.indices {
                sum += bracket.prefix(n).reduce(0) { $0 + runs[$1][k].count }
                n = settings.kept(n)
            }
            return total + sum
        }
    }
}

extension Builder {
    /// The halving keys of `search:` (node is the section); nil after a problem.
    mutating func parseHalving(_ node: ConfigNode) -> (settings: HalvingSettings, budgetAxis: Axis)? {
        let before = problems.count
        func int(_ key: String, min: Int, default def: Int?) -> Int? {
            guard let n = node[key] else {
                if def == nil { report(Diagnostic(node.location, "search: halving needs \(key)")) }
                return def
            }
            guard case .int(let v)? = n.scalar, v >= min else {
                report(Diagnostic(n.location, "search.\(key) must be an integer >= \(min), got \(n.scalar?.text ?? n.kindName)")); return nil
            }
            return v
        }
        let eta = int("eta", min: 2, default: 3), lo = int("min_budget", min: 1, default: nil), hi = int("max_budget", min: 1, default: nil)
        var lowerIsBetter = true
        if let g = node["goal"] {
            guard let s = g.string, ["min", "max"].contains(s) else {
                report(Diagnostic(g.location, "search.goal is min or max", suggestion: closestMatch(g.scalar?.text ?? "", in: ["min", "max"]))); return nil
            }
            lowerIsBetter = s == "min"
        }
        if let b = node["budget"], b.string != "steps" {
            report(Diagnostic(b.location, "search.budget counts steps (the only budget halving supports)"))
        }
        if let m = node["budget_metric"], m.string == nil { report(Diagnostic(m.location, "search.budget_metric must be a metric name")) }
        guard problems.count == before, let eta, let lo, let hi else { return nil }
        guard hi >= lo else { report(Diagnostic(node["max_budget"]!.location, "search.max_budget \(hi) is below min_budget \(lo)")); return nil }
        var budgets = [lo]
        while budgets.last! <= hi / eta { budgets.append(budgets.last! * eta) }
        let loc = node.entry("min_budget")!.keyLocation
        let axis = Axis(paths: ["run.steps"], pathLocations: [loc], values: budgets.map { [.scalar(.int($0), node["min_budget"]!.location)] })
        return (HalvingSettings(eta: eta, budgets: budgets, metric: node["budget_metric"]?.string ?? "", lowerIsBetter: lowerIsBetter), axis)
    }

    /// Groups the expanded runs into candidates (every swept value but the budget) and
    /// rungs, and gives each run its `rung` attribute and index column. The budget metric is
    /// checked here, where the run section's metrics are known.
    mutating func halvingPlan(_ settings: HalvingSettings, runs: inout [RunSpec], swept: inout [String], bracketRole: String?) -> HalvingPlan? {
        var settings = settings
        let metricNode = tree["search"]?["budget_metric"]
        if settings.metric.isEmpty { settings.metric = tree["summary"]?["metric"]?.string ?? runs[0].run.metrics.first ?? "" }
        guard runs[0].run.metrics.contains(settings.metric) else {
            report(Diagnostic(metricNode?.location ?? tree["search"]?.location, "search.budget_metric '\(settings.metric)' is not in run.metrics",
                              suggestion: closestMatch(settings.metric, in: runs[0].run.metrics)))
            return nil
        }
        var candidateOf: [String: Int] = [:], bracketOf: [String: Int] = [:]
        var plan = HalvingPlan(settings: settings, runs: [], brackets: [])
        var key = ""
        for i in runs.indices {
            // The seeds of a cell share its swept values: the key is made once per cell.
            if i == 0 || !runs[i].sharesCell(with: runs[i - 1]) {
                key = runs[i].swept.filter { $0.0 != "run.steps" }.map { "\($0.0)=\($0.1.canonical)" }.joined(separator: ";")
            }
            if candidateOf[key] == nil {
                candidateOf[key] = plan.runs.count
                plan.runs.append(settings.budgets.map { _ in [] })
                let group = bracketRole.flatMap { role in runs[i].swept.first { $0.0 == role }?.1.canonical } ?? ""
                if bracketOf[group] == nil { bracketOf[group] = plan.brackets.count; plan.brackets.append([]) }
                plan.brackets[bracketOf[group]!].append(plan.runs.count - 1)
            }
            let c = candidateOf[key]!
            let rung = settings.budgets.firstIndex(of: runs[i].run.steps)!
            plan.runs[c][rung].append(runs[i].runId)
        }
        runs.updateCells { cell in
            let rung = settings.budgets.firstIndex(of: cell.run.steps)!
            cell.parameters.append(("rung", .int(rung)))
            cell.swept.append(("rung", .int(rung)))
        }
        swept.append("rung")
        return plan
    }
}
