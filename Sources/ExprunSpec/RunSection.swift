import ExprunCore
import ExprunConfig
import ExprunCatalogue

/// The `run:` section: settings shared by every run of the grid (and sweepable as `run.<key>`).
/// Declared once here with typed parameters, like a component, so the same validator checks
/// it, and the schema and `exprun list` are generated from it; what is left here is the
/// meaning: the rules between keys and the conversion to `RunSettings`.
public enum RunSection {
    /// The settings' declarations, with the metrics a problem kind records (the metric list
    /// and the stop rule's metric are choices among them).
    static func declarations(metrics: [String]) -> [ParamDecl] {
        [
            .int("steps", 1000, .atLeastOne, "number of optimizer steps (online: rounds T)"),
            ParamDecl("batch_size", .intOr(["full"]), default: .int(1), range: .atLeastOne,
                      doc: "examples per minibatch, or `full` for deterministic full-batch gradient descent"),
            .choice("sampling", Sampling.allCases.map(\.rawValue), "with_replacement",
                    "minibatch order: i.i.d. with replacement, a shuffled permutation per epoch (shuffle carries a partial batch into the next epoch, shuffle_drop_last drops it), or cyclic 0..n-1"),
            ParamDecl("log", .mapping([
                ParamDecl("every", .int, range: .atLeastOne, doc: "log every k steps"),
                ParamDecl("points", .int, default: .int(100), range: ValueRange(min: 2), doc: "about n log points"),
                .choice("scale", ["linear", "log"], "linear", "spacing of the points"),
            ]), doc: "log points: `{every: k}` or `{points: n, scale: linear|log}` (step 0 and the last step always)"),
            ParamDecl("views", .choiceList(ViewKind.allCases.map(\.rawValue)), default: .list([.string("last")]),
                      doc: "iterate views recorded: last, avg (uniform), suffix_avg, ema, weighted_avg (weights t), step_avg (weights lr_t) (a list)"),
            .double("suffix_fraction", 0.5, ValueRange(min: 0, max: 1, minOpen: true), "suffix_avg averages the last ceil(suffix_fraction * steps) iterates"),
            .double("ema_decay", 0.99, .unitOpen, "decay of the ema view: xbar <- d*xbar + (1-d)*x"),
            ParamDecl("metrics", .choiceList(metrics), doc: "metrics recorded at log points (a list; see `exprun list metrics`)"),
            .double("time_limit", nil, .positive, "hard cap on a run's wall time in seconds (status timeout, curve kept)"),
            ParamDecl("stop", .mapping([
                ParamDecl("metric", .choice(metrics), required: true, doc: "a metric in run.metrics"),
                .double("below", nil, .any, "stop once the metric is <= this"),
                .double("above", nil, .any, "stop once the metric is >= this"),
            ]), doc: "end a run early: `{metric: name, below: x}` or `{metric: name, above: x}`"),
            .double("divergence_threshold", 1e10, .positive, "a loss above this in absolute value counts as divergence (like NaN)"),
            .double("horizon", nil, .positive, "simulated-time horizon of event-driven kinds (federated; required there): the run ends when its clock reaches it (or after `steps` server steps); log points are spread over [0, horizon], `every: k` meaning every k time units"),
            ParamDecl("curvature", .mapping([
                ParamDecl("probes", .int, default: .int(100), range: ValueRange(min: 1, max: 100_000),
                          doc: "Rademacher probes of Hutchinson's trace and Frobenius estimates"),
                ParamDecl("power_iterations", .int, default: .int(500), range: ValueRange(min: 1, max: 100_000),
                          doc: "most Hessian-vector products of one power iteration"),
                ParamDecl("tolerance", .double, default: .double(1e-8), range: .positive,
                          doc: "power iteration stops when the eigenvalue changes by less than this, relatively"),
                ParamDecl("lanczos_steps", .int, default: .int(80), range: ValueRange(min: 1, max: 1000),
                          doc: "Lanczos steps per probe of the spectral density (capped at the dimension)"),
                ParamDecl("lanczos_probes", .int, default: .int(5), range: ValueRange(min: 1, max: 1000),
                          doc: "Gaussian probes of stochastic Lanczos quadrature"),
                ParamDecl("bins", .int, default: .int(50), range: ValueRange(min: 1, max: 10_000),
                          doc: "bins of the stored spectral density histogram"),
                ParamDecl("batch_size", .int, range: .atLeastOne,
                          doc: "examples of the minibatch Hessian of the batch_ metrics (default: the run's batch size; all of them in full batch)"),
            ]), doc: "how curvature metrics (sharpness, hessian_trace, ...) are estimated; recorded in the run parameters only when one is requested"),
        ]
    }

    /// The declarations with every problem kind's metrics (the schema, `exprun list`).
    public static let params: [ParamDecl] = {
        var names: [String] = []
        for (_, m) in Catalogue.metrics where !names.contains(m.name) { names.append(m.name) }
        return declarations(metrics: names)
    }()

    static let keys = params.map(\.name)

    /// Parses the run section (with any `run.*` sweep overrides already applied).
    static func parse(_ node: ConfigNode?, problem: ProblemDecl, validator: ParamValidator,
                      problems: inout [Diagnostic]) -> (RunSettings, [(String, Value)])? {
        if let node, node.entries == nil {
            problems.append(Diagnostic(node.location, "run must be a mapping of settings"))
            return nil
        }
        let before = problems.count
        let here = node?.location ?? SourceLocation(file: "", line: 0, column: 0)
        let decls = declarations(metrics: problem.metrics.map(\.name))
        guard let (given, _) = validator.fields(decls, node?.entries ?? [], owner: "run", at: here, into: &problems)
        else { return nil }
        // A setting written as null (`sampling:`) is unset: it takes its default.
        var values = given
        for d in decls where values[d.name] == nil { values[d.name] = d.defaultValue }
        let steps = values["steps"]!.asInt!
        let batch = values["batch_size"]!.asInt   // nil: `full`
        let sampling = Sampling(rawValue: values["sampling"]!.asString!)!

        let logFields = values["log"]?.mappingFields ?? [:]
        if logFields["every"] != nil, let ln = node?["log"], ln["points"] != nil {
            problems.append(Diagnostic(ln.location, "run: log takes either `every` or `points`, not both"))
        }
        let log: LogPolicy = logFields["every"].map { .every($0.asInt!) }
            ?? .points(logFields["points"]?.asInt ?? 100, logScale: logFields["scale"]?.asString == "log")

        var views = values["views"]!.asList!.compactMap { $0.asString.flatMap(ViewKind.init(rawValue:)) }
        if let vn = node?["views"], !problem.views && views != [.last] && !views.isEmpty {
            problems.append(Diagnostic(vn.location, "run: iterate views do not apply to \(problem.name) runs"))
        }
        if !views.contains(.last) { views.insert(.last, at: 0) }

        var metrics = problem.defaultMetrics
        if let listed = values["metrics"]?.asList {
            metrics = listed.compactMap(\.asString)
            if metrics.isEmpty { problems.append(Diagnostic(node?["metrics"]?.location ?? here, "run: metrics is empty; name at least one")) }
        }
        var stop: StopRule?
        if let fields = values["stop"]?.mappingFields, let m = fields["metric"]?.asString {
            let sn = node?["stop"]
            if fields["below"] == nil && fields["above"] == nil {
                problems.append(Diagnostic(sn?.location ?? here, "run: stop needs `below: x` or `above: x`"))
            } else if !metrics.contains(m) {
                problems.append(Diagnostic(sn?["metric"]?.location ?? here, "run: stop metric '\(m)' must also be in run.metrics"))
            } else {
                stop = StopRule(metric: m, below: fields["below"]?.asDouble, above: fields["above"]?.asDouble)
            }
        }
        let horizon = values["horizon"]?.asDouble
        if problem.simulatedClock && horizon == nil {
            problems.append(Diagnostic(node?.location ?? here, "run: \(problem.name) runs are on a simulated clock and need `horizon: T` (simulated time units)"))
        } else if !problem.simulatedClock, horizon != nil, let hn = node?["horizon"] {
            problems.append(Diagnostic(hn.location, "run: horizon applies to event-driven kinds only, not to \(problem.name) runs"))
        }
        let curvatureFields = values["curvature"]?.mappingFields ?? [:]
        let defaults = CurvatureSettings()
        let curvature = CurvatureSettings(
            probes: curvatureFields["probes"]?.asInt ?? defaults.probes,
            powerIterations: curvatureFields["power_iterations"]?.asInt ?? defaults.powerIterations,
            tolerance: curvatureFields["tolerance"]?.asDouble ?? defaults.tolerance,
            lanczosSteps: curvatureFields["lanczos_steps"]?.asInt ?? defaults.lanczosSteps,
            lanczosProbes: curvatureFields["lanczos_probes"]?.asInt ?? defaults.lanczosProbes,
            bins: curvatureFields["bins"]?.asInt ?? defaults.bins,
            batchSize: curvatureFields["batch_size"]?.asInt)
        let curvatureMetrics = metrics.filter { problem.metric($0).map { !$0.needs.isEmpty } ?? false }
        guard problems.count == before else { return nil }
        let settings = RunSettings(
            steps: steps, batchSize: batch, sampling: sampling, log: log, views: views,
            suffixFraction: values["suffix_fraction"]!.asDouble!, emaDecay: values["ema_decay"]!.asDouble!,
            metrics: metrics, timeLimit: values["time_limit"]?.asDouble, stop: stop,
            divergenceThreshold: values["divergence_threshold"]!.asDouble!, horizon: horizon, curvature: curvature)
        return (settings, runParameters(settings, curvature: !curvatureMetrics.isEmpty))
    }

    /// The run settings as run parameters (part of the run id, stored as attributes).
    /// `curvature`: whether a curvature metric is recorded (only then are its settings part of
    /// the run, so the ids of runs without curvature metrics do not depend on them).
    static func runParameters(_ settings: RunSettings, curvature: Bool = false) -> [(String, Value)] {
        var params: [(String, Value)] = [
            ("run.steps", .int(settings.steps)),
            ("run.batch_size", settings.batchSize.map(Value.int) ?? .string("full")),
            ("run.sampling", .string(settings.sampling.rawValue)),
            ("run.log", .string(logText(settings.log))),
            ("run.views", .list(settings.views.map { .string($0.rawValue) })),
            ("run.metrics", .list(settings.metrics.map(Value.string))),
        ]
        if settings.views.contains(.suffixAvg) { params.append(("run.suffix_fraction", .double(settings.suffixFraction))) }
        if settings.views.contains(.ema) { params.append(("run.ema_decay", .double(settings.emaDecay))) }
        if let t = settings.timeLimit { params.append(("run.time_limit", .double(t))) }
        if let s = settings.stop { params.append(("run.stop", .string("\(s.metric) \(s.below.map { "<= \($0)" } ?? ">= \(s.above!)")"))) }
        params.append(("run.divergence_threshold", .double(settings.divergenceThreshold)))
        if let h = settings.horizon { params.append(("run.horizon", .double(h))) }
        if curvature {
            let c = settings.curvature
            params += [("run.curvature.probes", .int(c.probes)), ("run.curvature.power_iterations", .int(c.powerIterations)),
                       ("run.curvature.tolerance", .double(c.tolerance)), ("run.curvature.lanczos_steps", .int(c.lanczosSteps)),
                       ("run.curvature.lanczos_probes", .int(c.lanczosProbes)), ("run.curvature.bins", .int(c.bins))]
            if let b = c.batchSize { params.append(("run.curvature.batch_size", .int(b))) }
        }
        return params
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
}
