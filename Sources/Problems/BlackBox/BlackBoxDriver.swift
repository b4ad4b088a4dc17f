import ExprunBlackBox
import ExprunCore
import ExprunModels

/// The state a black-box run's metrics read at a log point.
final class BlackBoxRun: @unchecked Sendable {
    let objective: any Objective
    let method: any Method
    let kernel: any BlackBoxKernel
    let oracle: FunctionOracle
    let fStar: Double?
    /// x* of a test function, or a synthetic data set's generating weights.
    let minimizer: [Double]?
    let x: UnsafeMutableBufferPointer<Double>
    let gradient: UnsafeMutableBufferPointer<Double>
    var batchLoss = Double.nan
    var optimizationSeconds = 0.0
    let counterNames: [String]
    let counterValue: (Int) -> Double

    init(objective: any Objective, method: any Method, kernel: any BlackBoxKernel, oracle: FunctionOracle,
         fStar: Double?, minimizer: [Double]?) {
        self.objective = objective; self.method = method; self.kernel = kernel; self.oracle = oracle
        self.fStar = fStar; self.minimizer = minimizer
        x = .allocate(capacity: max(1, objective.dimension)); x.initialize(repeating: 0)
        gradient = .allocate(capacity: max(1, objective.dimension)); gradient.initialize(repeating: 0)
        if let m = method as? any PopulationMethod {
            counterNames = m.counterNames; counterValue = { m.counterValue($0) }
        } else if let m = method as? any ZerothOrderMethod {
            counterNames = m.counterNames; counterValue = { m.counterValue($0) }
        } else {
            counterNames = []; counterValue = { _ in .nan }
        }
    }
    deinit { x.deallocate(); gradient.deallocate() }

    var functionEvals: Int { oracle.evaluations + (kernel is GradientKernel ? kernel.gradientEvaluations : 0) }
    func loss() -> Double { objective.fullLoss(UnsafeBufferPointer(x)) }
    func counter(_ name: String) -> Double {
        guard let i = counterNames.firstIndex(of: name) else { return .nan }
        return counterValue(i)
    }
    func distanceToMinimizer(infinity: Bool) -> Double {
        guard let m = minimizer, m.count == objective.dimension else { return .nan }
        var s = 0.0
        for i in 0..<m.count { let r = abs(x[i] - m[i]); s = infinity ? max(s, r) : s + r * r }
        return infinity ? s : s.squareRoot()
    }

    /// The base (stochastic) kind's metrics, with the same meaning at a black-box iterate;
    /// those of its surrogate method (SSO) do not apply and are NaN.
    static let baseMetrics: [String: BlackBoxMetric.Evaluator] = [
        "train_loss": { $0.loss() },
        "suboptimality": { r in r.fStar.map { r.loss() - $0 } ?? .nan },
        "grad_norm": { r in
            _ = r.objective.fullLossAndGradient(UnsafeBufferPointer(r.x), gradient: r.gradient)
            return VectorKernels.norm(r.gradient.baseAddress!, r.objective.dimension)
        },
        "test_loss": { r in r.objective.testMetrics(UnsafeBufferPointer(r.x))?.loss ?? .nan },
        "test_accuracy": { r in r.objective.testMetrics(UnsafeBufferPointer(r.x))?.accuracy ?? .nan },
        "train_accuracy": { r in r.objective.trainAccuracy(UnsafeBufferPointer(r.x)) ?? .nan },
        "dist_to_opt": { $0.distanceToMinimizer(infinity: false) },
        "batch_loss": { $0.batchLoss },
        "lr": { $0.method.currentLR },
        "grad_evals": { r in Double(r.kernel.gradientEvaluations * (r.oracle.batchSize ?? r.objective.sampleCount)) },
        "wall_time": { $0.optimizationSeconds },
    ]
}

/// Runs one black-box run (or a first-order run on a data-free model): build, loop
/// `oracle -> divergence check -> step`, metrics at the log points (step 0 is x_0).
enum BlackBoxDriver {
    /// `baseMetrics`: the base kind's metric names; those without a meaning here are NaN.
    static func run(_ spec: RunSpec, context: RunContext, baseMetrics: Set<String>) throws -> RunRecord {
        let started = RunControl.now()
        let settings = spec.run, control = context.control
        guard settings.steps >= 0 else { throw ComponentError("run: steps must be >= 0") }
        if settings.views.contains(where: { $0 != .last }) {
            throw ComponentError("iterate views other than last are not recorded for black-box methods or test functions")
        }
        let modelInstance = try spec.required("model"), optimizerInstance = try spec.required("optimizer")
        var data = Dataset.none
        var dataKey = "none"
        if let d = spec.component("dataset") { (dataKey, data) = try context.dataset(d, for: spec) }
        if control.isCancelled { throw RunCancelled() }
        let objective = try context.factory.makeObjective(modelInstance, data)
        let d = objective.dimension
        guard d > 0 else { throw ComponentError("model \(modelInstance.name): dimension is 0") }
        // Each metric's evaluator, looked up once.
        var evaluators: [BlackBoxMetric.Evaluator] = []
        for name in settings.metrics {
            if let m = blackBoxMetrics.first(where: { $0.decl.name == name }) { evaluators.append(m.value) }
            else if let m = BlackBoxRun.baseMetrics[name] { evaluators.append(m) }
            else if baseMetrics.contains(name) { evaluators.append { _ in .nan } }
            else { throw ComponentError("metric \(name) is not recorded by black-box runs") }
        }
        let needsFStar = settings.metrics.contains { $0 == "suboptimality" || $0 == "success_f" }
            || settings.stop.map { $0.metric == "suboptimality" || $0.metric == "success_f" } == true
        var fStar: Double?
        if needsFStar {
            fStar = try context.caches.optimalValues.value(for: dataKey + "|" + objective.cacheKey) { objective.computeOptimalValue() }
            guard fStar != nil else {
                throw ComponentError("suboptimality needs the optimal value f*, which model \(modelInstance.name) cannot certify")
            }
        }
        let baseLR = optimizerInstance.params.optionalDouble("lr") ?? 1
        let schedule = try context.factory.makeSchedule(
            try spec.required("schedule"), ScheduleContext(baseLR: baseLR, totalSteps: settings.steps))
        let method = try context.factory.makeOptimizer(
            optimizerInstance, OptimizerContext(dimension: d, layout: objective.layout, schedule: schedule,
                                                seed: UInt64(bitPattern: Int64(spec.seed))))
        let oracle = FunctionOracle(objective: objective, batchSize: settings.batchSize, sampling: settings.sampling,
                                    seed: spec.seed)
        let kernel: any BlackBoxKernel
        if let m = method as? any PopulationMethod { kernel = try PopulationKernel(m, oracle: oracle, dimension: d) }
        else if let m = method as? any ZerothOrderMethod { kernel = ZerothOrderKernel(m, oracle: oracle) }
        else if let m = method as? any Optimizer { kernel = GradientKernel(m, objective: objective, oracle: oracle) }
        else { throw ComponentError("optimizer \(optimizerInstance.name) calls no oracle this run provides") }
        let minimizer = (objective as? any KnownMinimizer)?.minimizerPoint ?? data.trueWeights
        let run = BlackBoxRun(objective: objective, method: method, kernel: kernel, oracle: oracle, fStar: fStar,
                              minimizer: minimizer)
        objective.initialPoint(run.x)
        kernel.start(run.x)

        let logSteps = settings.log.logSteps(total: settings.steps)
        var series = settings.metrics.map { _ in [Double]() }
        for k in series.indices { series[k].reserveCapacity(logSteps.count) }
        var recorded: [Int] = []
        recorded.reserveCapacity(logSteps.count)
        let stopIndex = settings.stop.flatMap { settings.metrics.firstIndex(of: $0.metric) }
        var status = RunStatus.completed, message = ""
        var divergedStep: Int?, stoppedStep: Int?
        var nextLog = 0, clock = RunControl.now()
        /// Records step t; true when the stop rule is reached there.
        func logPoint(_ t: Int) -> Bool {
            run.optimizationSeconds += RunControl.now() - clock
            recorded.append(t)
            for k in evaluators.indices { series[k].append(evaluators[k](run)) }
            clock = RunControl.now()
            if let i = stopIndex, settings.stop!.reached(series[i].last!) { stoppedStep = t; return true }
            return false
        }
        let interval = max(1, control.checkInterval)
        var t = 0
        loop: while true {
            if nextLog < logSteps.count && logSteps[nextLog] == t {
                nextLog += 1
                if logPoint(t) { break loop }
            }
            if t == settings.steps { break }
            let value = kernel.oracle(t, run.x)
            run.batchLoss = value
            if !value.isFinite || abs(value) > settings.divergenceThreshold {
                status = .diverged; divergedStep = t; message = "function value \(value) at step \(t)"
                break
            }
            kernel.step(t, run.x)
            t += 1
            if t % interval == 0 {
                control.publish(step: t)
                if control.isCancelled { throw RunCancelled() }
                if control.isPastDeadline {
                    status = .timeout; message = "time limit reached at step \(t)"
                    break
                }
            }
        }

        var attributes = spec.parameters
        if !attributes.contains(where: { $0.0 == "seed" }) { attributes.append(("seed", .int(spec.seed))) }
        if let f = fStar { attributes.append(("f_star", .double(f))) }
        attributes.append(("optimizer_state_size", .int(method.stateSize)))
        attributes.append(("function_evals", .int(run.functionEvals)))
        attributes.append(("n_train", .int(data.train.count)))
        attributes.append(("dim", .int(d)))
        for key in data.info.keys.sorted() { attributes.append(("dataset_info.\(key)", data.info[key]!)) }
        return RunRecord(runId: spec.runId, status: status, message: message, divergedStep: divergedStep,
                         stoppedStep: stoppedStep, wallSeconds: RunControl.now() - started, attributes: attributes,
                         steps: recorded, metrics: zip(settings.metrics, series).map { Series(name: $0, values: $1) },
                         views: [])
    }
}
