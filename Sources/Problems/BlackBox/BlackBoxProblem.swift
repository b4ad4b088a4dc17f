import ExprunBlackBox
import ExprunCore

/// Function-value oracles for a finite-sum problem kind (the `stochastic` kind): the same
/// roles, sweep, logging and HDF5 layout, so zeroth-order, population and first-order methods
/// run in one sweep and compare per evaluation and per second.
///
/// A config picks its kind from the families it defines, and a black-box comparison (CBO vs
/// SGD vs CMA-ES on Rastrigin) defines the same ones as a stochastic run (models, optimizers):
/// so this is the stochastic kind extended, not a second kind. Runs of a black-box method
/// (`blackBoxCatalogue`: population or zeroth-order) and runs on a data-free model (a test
/// function) go to `BlackBoxDriver`; every other run goes to the base kind's own run,
/// unchanged, with the metrics only this extension records left NaN.
public func withFunctionValueOracles(_ base: ProblemEntry) -> ProblemEntry {
    var decl = base.decl
    for m in blackBoxMetrics where decl.metric(m.decl.name) == nil { decl.metrics.append(m.decl) }
    let added = Set(blackBoxMetrics.map(\.decl.name)).subtracting(base.decl.metrics.map(\.name))
    return ProblemEntry(decl) { spec, context in
        let method = try spec.required("optimizer").params.kind
        if spec.component("dataset") == nil || blackBoxCatalogue.contains(where: { $0.decl.kind == method }) {
            return try BlackBoxDriver.run(spec, context: context, baseMetrics: Set(base.decl.metrics.map(\.name)))
        }
        // A first-order run on data: the base kind's run, not asked for the metrics added here
        // (any other name it does not know, it reports itself).
        var inner = spec
        inner.run.metrics = spec.run.metrics.filter { !added.contains($0) }
        if let stop = spec.run.stop, added.contains(stop.metric) {
            throw ComponentError("stop rule: metric \(stop.metric) is recorded only for black-box methods and data-free models")
        }
        var record = try base.run(inner, context)
        let count = record.steps.count
        var series: [Series] = []
        for name in spec.run.metrics {
            series.append(record.metrics.first { $0.name == name }
                          ?? Series(name: name, values: [Double](repeating: .nan, count: count)))
        }
        // Series the base kind adds beside its metrics (a histogram's bin edges) are kept.
        record.metrics = series + record.metrics.filter { !spec.run.metrics.contains($0.name) }
        return record
    }
}

/// A metric of black-box runs: its declaration and its evaluator at a log point.
struct BlackBoxMetric: Sendable {
    typealias Evaluator = @Sendable (BlackBoxRun) -> Double
    let decl: MetricDecl
    let value: Evaluator
    init(_ name: String, _ doc: String, _ value: @escaping Evaluator) {
        decl = MetricDecl(name, perView: false, doc); self.value = value
    }
}

/// What black-box runs record beyond the base kind's metrics (which they record too, under
/// the same names and meanings: `BlackBoxRun.baseMetric`). The only list of these names.
let blackBoxMetrics: [BlackBoxMetric] = [
    BlackBoxMetric("function_evals",
                   "cumulative function-value calls: one per point of a population, per perturbed minibatch loss (2n per MeZO step), per gradient-oracle call for a first-order method on a test function") {
        Double($0.functionEvals)
    },
    BlackBoxMetric("dist_inf_to_opt", "||x - x*||_∞ to the known minimiser of a test function (NaN without one)") { r in
        r.distanceToMinimizer(infinity: true)
    },
    BlackBoxMetric("success", "1 if ||x - x*||_∞ < 0.25 (the classic CBO criterion), else 0: its mean over seeds is the success rate") { r in
        let d = r.distanceToMinimizer(infinity: true)
        return d.isNaN ? .nan : (d < 0.25 ? 1 : 0)
    },
    BlackBoxMetric("success_f", "1 if f(x) - f* < 0.8 (the CBO scripts' criterion: inside the global basin of Rastrigin), else 0") { r in
        guard let f = r.fStar else { return .nan }
        return r.loss() - f < 0.8 ? 1 : 0
    },
    BlackBoxMetric("sigma", "CMA-ES: step size σ") { $0.counter("sigma") },
    BlackBoxMetric("restarts", "CMA-ES: IPOP restarts so far") { $0.counter("restarts") },
    BlackBoxMetric("population", "CMA-ES: population size λ in effect") { $0.counter("population") },
    BlackBoxMetric("condition", "CMA-ES: condition number of the covariance C") { $0.counter("condition") },
    BlackBoxMetric("best_value", "CMA-ES: best function value evaluated so far") { $0.counter("best_value") },
    BlackBoxMetric("projected_grad", "MeZO: the first direction's projected-gradient scalar of the last step") {
        $0.counter("projected_grad")
    },
    BlackBoxMetric("machines", "one-byte SPSA: active machines in the last round") { $0.counter("machines") },
    BlackBoxMetric("bytes_sent", "one-byte SPSA: cumulative bytes communicated (scalars broadcast once each, plus weight downloads of joining machines)") {
        $0.counter("bytes_sent")
    },
    BlackBoxMetric("quantization_error", "one-byte SPSA: RMS of decode(Q(g)) - g over the last round's scalars") {
        $0.counter("quantization_error")
    },
    BlackBoxMetric("replica_mismatch", "one-byte SPSA: replicas that differ bitwise from the first (0 expected)") {
        $0.counter("replica_mismatch")
    },
]
