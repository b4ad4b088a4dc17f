import ExprunBlackBox
import ExprunCore
import ExprunLoop
import ProblemStochastic

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
    for m in blackBoxOnlyMetrics where decl.metric(m.decl.name) == nil { decl.metrics.append(m.decl) }
    let added = Set(blackBoxOnlyMetrics.map(\.decl.name)).subtracting(base.decl.metrics.map(\.name))
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

/// What black-box runs record beyond the finite-sum metrics (which they record too, with the
/// same definitions: `finiteSumMetricDefinitions`); the methods' own counters (CMA-ES's σ,
/// one-byte SPSA's bytes) are `CounterDecl`s of the methods. The only list of these names.
let blackBoxOnlyMetrics: [LoopMetric<BlackBoxKernel>] = [
    .state("function_evals",
           "cumulative function-value calls: one per point of a population, per perturbed minibatch loss (2n per MeZO step), per gradient-oracle call for a first-order method on a test function") { k, _ in
        Double(k.functionEvals)
    },
    .point("dist_inf_to_opt", "||x - x*||_∞ to the known minimiser of a test function (NaN without one)",
           needs: .maxDistance) { q, _ in q.maxDistance },
    .point("success", "1 if ||x - x*||_∞ < 0.25 (the classic CBO criterion), else 0: its mean over seeds is the success rate",
           needs: .maxDistance) { q, _ in q.maxDistance.isNaN ? .nan : (q.maxDistance < 0.25 ? 1 : 0) },
    .point("success_f", "1 if f(x) - f* < 0.8 (the CBO scripts' criterion: inside the global basin of Rastrigin), else 0",
           needs: [.loss, .optimalValue]) { q, k in
        guard let f = k.fStar else { return .nan }
        return q.loss - f < 0.8 ? 1 : 0
    },
]

/// Every metric of a black-box run (before the methods' counters).
let blackBoxMetricDefinitions: [LoopMetric<BlackBoxKernel>] = finiteSumMetricDefinitions() + blackBoxOnlyMetrics
