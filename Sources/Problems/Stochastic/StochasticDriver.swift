import ExprunCore
import ExprunLoop

/// Runs one stochastic finite-sum run: dataset -> objective -> schedule -> optimizer, then
/// the generic loop (`RunLoop`) over the kind's kernel: `sample batch -> oracle -> step ->
/// update views`, with metrics recorded at the log points (step 0 is the initial point,
/// before any update).
///
/// Outcomes: `.completed` (all steps, or a stop rule reached: `stoppedStep`), `.diverged`
/// (a non-finite minibatch loss or one above `divergenceThreshold` at iterate t, or a
/// non-finite applicable metric at a log point: `divergedStep`), `.timeout` (the run's
/// deadline passed). The curve recorded so far is kept in every case. Cancellation of the
/// sweep throws `RunCancelled`; a component that cannot be built throws its error.
public enum StochasticDriver {
    /// Runs `spec` (a run of the stochastic problem kind) and returns its record.
    public static func run(_ spec: RunSpec, control: RunControl, factory: ComponentFactory,
                           caches: SharedCaches = SharedCaches()) throws -> RunRecord {
        let started = RunControl.now()
        let datasetInstance = try spec.required("dataset"), modelInstance = try spec.required("model")
        let optimizerInstance = try spec.required("optimizer"), scheduleInstance = try spec.required("schedule")
        let settings = spec.run
        guard settings.steps >= 0 else { throw ComponentError("run: steps must be >= 0") }

        // Metrics, resolved once so that log points call evaluators, never look at names. A
        // name that is not the kind's is a counter of the method, known once it is built.
        let names = settings.metrics + (settings.stop.map { [$0.metric] } ?? [])
        let kindMetrics = stochasticMetricDefinitions
        try MetricPlan<StochasticKernel>.checkNames(settings.metrics, stop: settings.stop, kind: "stochastic",
                                                    metrics: kindMetrics, extra: factory.counterNames.contains)
        let needsOptimalValue = metricsNeed(.optimalValue, names, in: kindMetrics)

        // Components.
        let (dataKey, data) = try caches.datasets.dataset(
            for: datasetInstance, runSeed: spec.seed, baseDirectory: spec.baseDirectory,
            dataDirectory: spec.dataDirectory, factory: factory)
        if control.isCancelled { throw RunCancelled() }
        let objective = try factory.makeObjective(modelInstance, data)
        let n = objective.sampleCount, d = objective.dimension
        guard d > 0 else { throw ComponentError("model \(modelInstance.name): dimension is 0") }
        guard n > 0 else { throw ComponentError("dataset \(datasetInstance.name): no training examples") }
        if settings.sampling == .shuffleDropLast, let b = settings.batchSize, b > n {
            throw ComponentError("run: sampling shuffle_drop_last needs batch_size (\(b)) <= the \(n) training examples")
        }

        var fStar: Double?
        if needsOptimalValue {
            let key = dataKey + "|" + objective.cacheKey
            fStar = try caches.optimalValues.value(for: key) { objective.computeOptimalValue() }
            guard fStar != nil else {
                throw ComponentError("suboptimality needs the optimal value f*, which model \(modelInstance.name) "
                                     + "(\(modelInstance.params.kind)) cannot certify on dataset \(datasetInstance.name); "
                                     + "record train_loss instead")
            }
        }
        if control.isCancelled { throw RunCancelled() }

        // A schedule without an `lr` on its optimizer scales 1 (it then returns a multiplier).
        let baseLR = optimizerInstance.params.optionalDouble("lr") ?? 1
        let schedule = try factory.makeSchedule(
            scheduleInstance, ScheduleContext(baseLR: baseLR, totalSteps: settings.steps, named: scheduleInstance.related,
                                              batchSize: settings.batchSize ?? n))
        let optimizer = try factory.makeOptimizer(
            optimizerInstance, OptimizerContext(dimension: d, layout: objective.layout, schedule: schedule,
                                                seed: UInt64(bitPattern: Int64(spec.seed)), fullBatch: settings.batchSize == nil))
        // Which path the loop takes is decided here, once, from the oracle the method calls:
        // a target-space optimizer (SSO) makes its own expensive call through the model's
        // target space; an `Optimizer` takes the gradient. The Spec has checked the pair from
        // the declarations; this re-checks the built objects (embedders' factories).
        if optimizer is any TargetSpaceOptimizer, !(objective is any TargetModel) {
            throw ComponentError("optimizer \(optimizerInstance.name) (\(optimizerInstance.params.kind)) needs a model "
                                 + "with a target space; model \(modelInstance.name) "
                                 + "(\(modelInstance.params.kind)) has none")
        }
        if let bound = optimizer as? any ModelBoundOptimizer {
            do { try bound.bind(to: objective, batchSize: settings.batchSize ?? n) } catch let e as ComponentError {
                throw ComponentError("optimizer \(optimizerInstance.name) (\(optimizerInstance.params.kind)) on model "
                                     + "\(modelInstance.name) (\(modelInstance.params.kind)): \(e.description)")
            }
        }
        if !(optimizer is any TargetSpaceOptimizer), !(optimizer is any Optimizer), !(optimizer is any ModelBoundOptimizer) {
            throw ComponentError("optimizer \(optimizerInstance.name) (\(optimizerInstance.params.kind)) calls no oracle "
                                 + "a stochastic run provides")
        }

        let kernel = StochasticKernel(objective: objective, method: optimizer, data: data, settings: settings,
                                      seed: spec.seed)
        kernel.fStar = fStar
        kernel.tracksGradientNorms = names.contains("batch_grad_norm") || names.contains("batch_grad_norm_l1")
        let plan = try finiteSumPlan(settings, kind: "stochastic", metrics: kindMetrics,
                                     counters: type(of: optimizer).counters, objective: objective, factory: factory)
        var outcome = try RunLoop.run(kernel, plan: plan, settings: LoopSettings(settings), control: control)
        if let failure = (objective as? any FallibleObjective)?.failure { throw ComponentError(failure) }
        if let densities = kernel.curvature?.densities, let at = outcome.metrics.firstIndex(where: { $0.name == densityMetric }) {
            // The histogram rows, one per log point, replace the recorder's placeholder column.
            let bins = settings.curvature.bins, rows = densities.prefix(outcome.steps.count)
            let missing = outcome.steps.count - rows.count
            let pad = { (width: Int) in [Double](repeating: .nan, count: missing * width) }
            outcome.metrics[at] = Series(name: densityMetric, values: rows.flatMap(\.masses) + pad(bins), columns: bins)
            outcome.metrics.insert(Series(name: densityMetric + "_edges", values: rows.flatMap(\.edges) + pad(bins + 1),
                                          columns: bins + 1), at: at + 1)
        }

        var attributes = spec.parameters
        if !attributes.contains(where: { $0.0 == "seed" }) { attributes.append(("seed", .int(spec.seed))) }
        if let f = fStar { attributes.append(("f_star", .double(f))) }
        attributes.append(("optimizer_state_size", .int(optimizer.stateSize)))
        attributes += finalCounterAttributes(optimizer)
        attributes += data.runAttributes(examples: n, dimension: d)
        attributes += modelInfoAttributes(objective)
        return outcome.record(runId: spec.runId, wallSeconds: RunControl.now() - started, attributes: attributes)
    }
}
