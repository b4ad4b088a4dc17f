import ExprunBlackBox
import ExprunCore
import ExprunLoop
import ExprunModels
import ProblemStochastic

/// Runs one black-box run (or a first-order run on a data-free model): build the
/// components and the `BlackBoxKernel`, then the generic loop (`RunLoop`) with the
/// finite-sum metrics, the black-box ones and the method's counters (step 0 is x_0).
enum BlackBoxDriver {
    /// The loop's conventions: the stochastic kind's, with the oracle's value named a
    /// function value (a population's best, or the mean of the losses a step asked).
    static let conventions = LoopConventions(
        scoresAfterStep: false, stopsAtStepZero: true,
        divergenceMessage: { v, t in "function value \(v) at step \(t)" },
        timeoutMessage: { t in "time limit reached at step \(t)" })

    /// `baseMetrics`: the base kind's metric names; those black-box runs do not define are NaN.
    static func run(_ spec: RunSpec, context: RunContext, baseMetrics: Set<String>) throws -> RunRecord {
        let started = RunControl.now()
        let settings = spec.run, control = context.control, factory = context.factory
        guard settings.steps >= 0 else { throw ComponentError("run: steps must be >= 0") }
        let metrics = blackBoxMetricDefinitions
        try MetricPlan<BlackBoxKernel>.checkNames(settings.metrics, stop: settings.stop, kind: "black-box",
                                                  metrics: metrics, extra: { factory.counterNames.contains($0) || baseMetrics.contains($0) })
        let modelInstance = try spec.required("model"), optimizerInstance = try spec.required("optimizer")
        var data = Dataset.none
        var dataKey = "none"
        if let d = spec.component("dataset") { (dataKey, data) = try context.dataset(d, for: spec) }
        if control.isCancelled { throw RunCancelled() }
        let objective = try factory.makeObjective(modelInstance, data)
        let d = objective.dimension
        guard d > 0 else { throw ComponentError("model \(modelInstance.name): dimension is 0") }
        var fStar: Double?
        if metricsNeed(.optimalValue, settings.metrics + (settings.stop.map { [$0.metric] } ?? []), in: metrics) {
            fStar = try context.caches.optimalValues.value(for: dataKey + "|" + objective.cacheKey) { objective.computeOptimalValue() }
            guard fStar != nil else {
                throw ComponentError("suboptimality needs the optimal value f*, which model \(modelInstance.name) cannot certify")
            }
        }
        let baseLR = optimizerInstance.params.optionalDouble("lr") ?? 1
        let scheduleInstance = try spec.required("schedule")
        let schedule = try factory.makeSchedule(
            scheduleInstance, ScheduleContext(baseLR: baseLR, totalSteps: settings.steps, named: scheduleInstance.related))
        let method = try factory.makeOptimizer(
            optimizerInstance, OptimizerContext(dimension: d, layout: objective.layout, schedule: schedule,
                                                seed: UInt64(bitPattern: Int64(spec.seed))))
        let oracle = FunctionOracle(objective: objective, batchSize: settings.batchSize, sampling: settings.sampling,
                                    seed: spec.seed)
        let kernel = try BlackBoxKernel(objective: objective, method: method, oracle: oracle,
                                        reference: (objective as? any KnownMinimizer)?.minimizerPoint ?? data.trueWeights,
                                        hasTestSplit: data.test != nil)
        kernel.fStar = fStar
        let plan = try finiteSumPlan(settings, kind: "black-box", metrics: metrics,
                                     counters: type(of: method).counters, objective: objective, factory: factory,
                                     unrecorded: baseMetrics.subtracting(metrics.map(\.decl.name)))
        let outcome = try RunLoop.run(kernel, plan: plan, settings: LoopSettings(settings), conventions: conventions,
                                      control: control)
        if let failure = (objective as? any FallibleObjective)?.failure { throw ComponentError(failure) }

        var attributes = spec.parameters
        if !attributes.contains(where: { $0.0 == "seed" }) { attributes.append(("seed", .int(spec.seed))) }
        if let f = fStar { attributes.append(("f_star", .double(f))) }
        attributes.append(("optimizer_state_size", .int(method.stateSize)))
        attributes += finalCounterAttributes(method)
        attributes.append(("function_evals", .int(kernel.functionEvals)))
        attributes.append(("n_train", .int(data.train.count)))
        attributes.append(("dim", .int(d)))
        for key in data.info.keys.sorted() { attributes.append(("dataset_info.\(key)", data.info[key]!)) }
        attributes += modelInfoAttributes(objective)
        return RunRecord(runId: spec.runId, status: outcome.status, message: outcome.message,
                         divergedStep: outcome.divergedStep, stoppedStep: outcome.stoppedStep,
                         wallSeconds: RunControl.now() - started, attributes: attributes,
                         steps: outcome.steps, metrics: outcome.metrics, views: outcome.views)
    }
}
