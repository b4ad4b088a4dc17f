import ExprunCore
import ExprunConfig

/// The `run:` section: settings shared by every run of the grid (and sweepable as `run.<key>`).
/// Declared once here, like a component, so validation, the schema and `exprun list` agree.
public enum RunSection {
    /// The settings of every run (steps, batches, logging, views, metrics). Not a component
    /// (there is no kind), but declared the same way, so the same code validates it.
    public static let params: [ParamDecl] = [
        .int("steps", 1000, .atLeastOne, "number of optimizer steps (online: rounds T)"),
        ParamDecl("batch_size", .int, default: .int(1), range: .atLeastOne,
                  doc: "examples per minibatch, or `full` for deterministic full-batch gradient descent"),
        .choice("sampling", Sampling.allCases.map(\.rawValue), "with_replacement",
                "minibatch order: i.i.d. with replacement, a shuffled permutation per epoch (shuffle carries a partial batch into the next epoch, shuffle_drop_last drops it), or cyclic 0..n-1"),
        ParamDecl("log", .string, default: .string("points: 100"),
                  doc: "log points: `{every: k}` or `{points: n, scale: linear|log}` (step 0 and the last step always)"),
        ParamDecl("views", .choice(ViewKind.allCases.map(\.rawValue)), default: .list([.string("last")]),
                  doc: "iterate views recorded: last, avg (uniform), suffix_avg, ema, weighted_avg (weights t), step_avg (weights lr_t) (a list)"),
        .double("suffix_fraction", 0.5, ValueRange(min: 0, max: 1, minOpen: true), "suffix_avg averages the last ceil(suffix_fraction * steps) iterates"),
        .double("ema_decay", 0.99, .unitOpen, "decay of the ema view: xbar <- d*xbar + (1-d)*x"),
        ParamDecl("metrics", .string, default: nil, doc: "metrics recorded at log points (a list; see `exprun list metrics`)"),
        .double("time_limit", nil, .positive, "hard cap on a run's wall time in seconds (status timeout, curve kept)"),
        ParamDecl("stop", .string, default: nil, doc: "end a run early: `{metric: name, below: x}` or `{metric: name, above: x}`"),
        .double("divergence_threshold", 1e10, .positive, "a loss above this in absolute value counts as divergence (like NaN)"),
    ]

    static let keys = params.map(\.name)
    static func param(_ name: String) -> ParamDecl { params.first { $0.name == name }! }

    /// Parses the run section (with any `run.*` sweep overrides already applied).
    static func parse(_ node: ConfigNode?, problem: ProblemDecl, validator: ParamValidator,
                      problems: inout [Diagnostic]) -> (RunSettings, [(String, Value)])? {
        let before = problems.count
        let entries = node?.entries ?? []
        if let node, node.entries == nil {
            problems.append(Diagnostic(node.location, "run must be a mapping of settings"))
            return nil
        }
        for e in entries where !keys.contains(e.key) {
            problems.append(Diagnostic(e.keyLocation, "unknown run setting '\(e.key)'", suggestion: closestMatch(e.key, in: keys)))
        }
        func val(_ name: String) -> Value? {
            guard let n = node?[name] else { return param(name).defaultValue }
            return validator.value(n, for: param(name), owner: "run", into: &problems)
        }
        let steps = val("steps")?.asInt ?? 1
        // batch_size: an integer >= 1 or the word `full`.
        var batch: Int? = 1
        if let n = node?["batch_size"] {
            if case .string("full")? = n.scalar { batch = nil }
            else if let v = validator.value(n, for: param("batch_size"), owner: "run", into: &problems) { batch = v.asInt }
            else if case .string(let s)? = n.scalar {
                problems.removeLast()
                problems.append(Diagnostic(n.location, "run: batch_size must be an integer >= 1 or `full`, got '\(s)'",
                                           suggestion: closestMatch(s, in: ["full"])))
            }
        }
        let sampling = Sampling(rawValue: val("sampling")?.asString ?? "with_replacement") ?? .withReplacement
        let log = parseLog(node?["log"], problems: &problems)
        var views: [ViewKind] = [.last]
        if let vn = node?["views"] {
            let names = ViewKind.allCases.map(\.rawValue)
            let items = vn.items ?? [vn]
            views = []
            for item in items {
                guard case .string(let s)? = item.scalar, let v = ViewKind(rawValue: s) else {
                    problems.append(Diagnostic(item.location, "run: unknown view '\(item.scalar?.text ?? item.kindName)'; views are \(names.joined(separator: ", "))",
                                               suggestion: item.string.flatMap { closestMatch($0, in: names) }))
                    continue
                }
                if !views.contains(v) { views.append(v) }
            }
            if !problem.views && views != [.last] && !views.isEmpty {
                problems.append(Diagnostic(vn.location, "run: iterate views do not apply to \(problem.name) runs"))
            }
            if !views.contains(.last) { views.insert(.last, at: 0) }
        }
        let allowed = problem.metrics.map(\.name)
        var metrics: [String] = problem.defaultMetrics
        if let mn = node?["metrics"] {
            let items = mn.items ?? [mn]
            metrics = []
            if items.isEmpty { problems.append(Diagnostic(mn.location, "run: metrics is empty; name at least one")) }
            for item in items {
                guard case .string(let s)? = item.scalar, allowed.contains(s) else {
                    let s = item.scalar?.text ?? item.kindName
                    problems.append(Diagnostic(item.location, "run: unknown \(problem.name) metric '\(s)'",
                                               suggestion: closestMatch(s, in: allowed)))
                    continue
                }
                if !metrics.contains(s) { metrics.append(s) }
            }
        }
        var stop: StopRule?
        if let sn = node?["stop"] {
            if let m = sn["metric"]?.string, allowed.contains(m) || metrics.contains(m) {
                let below = sn["below"]?.scalar.flatMap(numeric), above = sn["above"]?.scalar.flatMap(numeric)
                if below == nil && above == nil {
                    problems.append(Diagnostic(sn.location, "run: stop needs `below: x` or `above: x`"))
                } else if !metrics.contains(m) {
                    problems.append(Diagnostic(sn["metric"]!.location, "run: stop metric '\(m)' must also be in run.metrics"))
                } else { stop = StopRule(metric: m, below: below, above: above) }
                for e in sn.entries ?? [] where !["metric", "below", "above"].contains(e.key) {
                    problems.append(Diagnostic(e.keyLocation, "run: unknown stop key '\(e.key)'",
                                               suggestion: closestMatch(e.key, in: ["metric", "below", "above"])))
                }
            } else {
                let m = sn["metric"]
                problems.append(Diagnostic(m?.location ?? sn.location, "run: stop needs `metric:` naming a recorded metric",
                                           suggestion: m?.string.flatMap { closestMatch($0, in: metrics) }))
            }
        }
        guard problems.count == before else { return nil }
        let settings = RunSettings(
            steps: steps, batchSize: batch, sampling: sampling, log: log, views: views,
            suffixFraction: val("suffix_fraction")?.asDouble ?? 0.5, emaDecay: val("ema_decay")?.asDouble ?? 0.99,
            metrics: metrics, timeLimit: val("time_limit")?.asDouble, stop: stop,
            divergenceThreshold: val("divergence_threshold")?.asDouble ?? 1e10)
        var params: [(String, Value)] = [
            ("run.steps", .int(steps)),
            ("run.batch_size", batch.map(Value.int) ?? .string("full")),
            ("run.sampling", .string(sampling.rawValue)),
            ("run.log", .string(logText(log))),
            ("run.views", .list(views.map { .string($0.rawValue) })),
            ("run.metrics", .list(metrics.map(Value.string))),
        ]
        if views.contains(.suffixAvg) { params.append(("run.suffix_fraction", .double(settings.suffixFraction))) }
        if views.contains(.ema) { params.append(("run.ema_decay", .double(settings.emaDecay))) }
        if let t = settings.timeLimit { params.append(("run.time_limit", .double(t))) }
        if let s = stop { params.append(("run.stop", .string("\(s.metric) \(s.below.map { "<= \($0)" } ?? ">= \(s.above!)")"))) }
        params.append(("run.divergence_threshold", .double(settings.divergenceThreshold)))
        return (settings, params)
    }

    static func numeric(_ s: Scalar) -> Double? {
        switch s { case .int(let i): return Double(i); case .double(let d): return d; default: return nil }
    }

    static func logText(_ l: LogPolicy) -> String {
        switch l {
        case .every(let k): return "every \(k)"
        case .points(let n, let logScale): return "\(n) points \(logScale ? "log" : "linear")"
        }
    }

    static func parseLog(_ node: ConfigNode?, problems: inout [Diagnostic]) -> LogPolicy {
        guard let node else { return .points(100, logScale: false) }
        guard let entries = node.entries else {
            problems.append(Diagnostic(node.location, "run: log must be `{every: k}` or `{points: n, scale: linear|log}`"))
            return .points(100, logScale: false)
        }
        for e in entries where !["every", "points", "scale"].contains(e.key) {
            problems.append(Diagnostic(e.keyLocation, "run: unknown log key '\(e.key)'",
                                       suggestion: closestMatch(e.key, in: ["every", "points", "scale"])))
        }
        func positiveInt(_ key: String, min: Int) -> Int? {
            guard let n = node[key] else { return nil }
            if case .int(let i)? = n.scalar, i >= min { return i }
            problems.append(Diagnostic(n.location, "run: log.\(key) must be an integer >= \(min), got \(n.scalar?.text ?? n.kindName)"))
            return nil
        }
        if node["every"] != nil && node["points"] != nil {
            problems.append(Diagnostic(node.location, "run: log takes either `every` or `points`, not both"))
        }
        if let k = positiveInt("every", min: 1) { return .every(k) }
        let n = positiveInt("points", min: 2) ?? 100
        var logScale = false
        if let s = node["scale"] {
            switch s.string {
            case "log"?: logScale = true
            case "linear"?: logScale = false
            default: problems.append(Diagnostic(s.location, "run: log.scale must be linear or log, got '\(s.scalar?.text ?? s.kindName)'",
                                                suggestion: s.string.flatMap { closestMatch($0, in: ["linear", "log"]) }))
            }
        }
        return .points(n, logScale: logScale)
    }
}
