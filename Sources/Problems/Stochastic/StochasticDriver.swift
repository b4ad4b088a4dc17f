import ExprunCore

/// Runs one stochastic finite-sum run: dataset -> objective -> schedule -> optimizer, then
/// the loop `sample batch -> batchLossAndGradient -> optimizer.step -> update views`, with
/// metrics recorded at the log points (step 0 is the initial point, before any update).
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

        // Metrics, resolved once so that log points switch on enums, never on strings.
        var metrics: [StochasticMetric] = []
        for name in settings.metrics {
            guard let m = StochasticMetric(rawValue: name) else {
                throw ComponentError("metric \(name) is not recorded by stochastic runs "
                                     + "(known: \(StochasticMetric.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            if !metrics.contains(m) { metrics.append(m) }
        }
        var stopMetric: StochasticMetric?
        if let stop = settings.stop {
            guard let m = StochasticMetric(rawValue: stop.metric) else {
                throw ComponentError("stop rule: metric \(stop.metric) is not recorded by stochastic runs")
            }
            stopMetric = m
        }

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
        if metrics.contains(.suboptimality) || stopMetric == .suboptimality {
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
            scheduleInstance, ScheduleContext(baseLR: baseLR, totalSteps: settings.steps, named: scheduleInstance.related))
        let optimizer = try factory.makeOptimizer(
            optimizerInstance, OptimizerContext(dimension: d, layout: objective.layout, schedule: schedule,
                                                seed: UInt64(bitPattern: Int64(spec.seed))))
        // Which path the loop takes is decided here, once, from the oracle the method calls:
        // a target-space optimizer (SSO) makes its own expensive call through the model's
        // target space; an `Optimizer` takes the gradient. The Spec has checked the pair from
        // the declarations; this re-checks the built objects (embedders' factories).
        if optimizer is any TargetSpaceOptimizer, !(objective is any TargetModel) {
            throw ComponentError("optimizer \(optimizerInstance.name) (\(optimizerInstance.params.kind)) needs a model "
                                 + "with a target space; model \(modelInstance.name) "
                                 + "(\(modelInstance.params.kind)) has none")
        }
        if !(optimizer is any TargetSpaceOptimizer), !(optimizer is any Optimizer) {
            throw ComponentError("optimizer \(optimizerInstance.name) (\(optimizerInstance.params.kind)) calls no oracle "
                                 + "a stochastic run provides")
        }

        let state = StochasticRunState(settings: settings, metrics: metrics, stopMetric: stopMetric, fStar: fStar,
                                       objective: objective, optimizer: optimizer, data: data)
        defer { state.deallocate() }
        let outcome = try state.loop(seed: spec.seed, control: control)

        var attributes = spec.parameters
        if !attributes.contains(where: { $0.0 == "seed" }) { attributes.append(("seed", .int(spec.seed))) }
        if let f = fStar { attributes.append(("f_star", .double(f))) }
        attributes.append(("optimizer_state_size", .int(optimizer.stateSize)))
        if state.targetOptimizer != nil && settings.batchSize == nil {
            attributes.append(("mm_violations", .int(state.mmViolations)))
        }
        attributes.append(("n_train", .int(n)))
        attributes.append(("dim", .int(d)))
        for key in data.info.keys.sorted() { attributes.append(("dataset_info.\(key)", data.info[key]!)) }

        let (series, views) = state.series()
        return RunRecord(runId: spec.runId, status: outcome.status, message: outcome.message,
                         divergedStep: outcome.divergedStep, stoppedStep: outcome.stoppedStep,
                         wallSeconds: RunControl.now() - started, attributes: attributes,
                         steps: outcome.recorded == state.logSteps.count ? state.logSteps
                             : Array(state.logSteps[0..<outcome.recorded]),
                         metrics: series, views: views)
    }
}

/// How the loop ended.
struct LoopOutcome {
    var status: RunStatus = .completed
    var message = ""
    var divergedStep: Int?
    var stoppedStep: Int?
    /// Log points recorded.
    var recorded = 0
}

/// The built components and the preallocated metric storage of one run.
///
/// Series are Swift arrays sized for every log point up front and cut to the points
/// recorded at the end (in place, no copy). The step metrics (batch_loss, lr, grad_evals)
/// are written through pointers from inside the loop, so logging every step costs three
/// stores; per-view metrics are written at log points, next to full-batch evaluations.
final class StochasticRunState {
    /// One per-view series: a metric at a view, stored in `viewValues[index]`.
    struct Column {
        var metric: StochasticMetric
        var view: ViewKind
        var index: Int
        /// A non-finite value here means divergence (metrics that are NaN only when not
        /// applicable, like accuracy or a missing test split, are not checked).
        var checksFinite: Bool
    }

    let settings: RunSettings
    let stopRule: StopRule?
    let metrics: [StochasticMetric]
    let stopMetric: StochasticMetric?
    let fStar: Double?
    let objective: any Objective
    let optimizer: any Method
    /// Set when the method takes the gradient (every optimizer but a target-space one).
    let gradientOptimizer: (any Optimizer)?
    let trueWeights: [Double]?
    let logSteps: [Int]
    let dimension: Int
    let sampleCount: Int
    /// Views with full-batch work at log points, each with its needs and columns; `.last`
    /// first when present.
    var pointViews: [(view: ViewKind, needs: PointNeeds, columns: [Column])] = []
    var viewColumns: [Column] = []
    var viewValues: [[Double]] = []
    var batchLossValues: [Double] = []
    var lrValues: [Double] = []
    var gradEvalsValues: [Double] = []
    /// Step metrics written at log points only (`StepExtras`), in `extraMetrics` order.
    var extraMetrics: [StochasticMetric] = []
    var extraValues: [[Double]] = []
    /// Set when the optimizer works in target space (checked once when the run is built).
    let targetOptimizer: (any TargetSpaceOptimizer)?
    let targetModel: (any TargetModel)?
    /// Full-batch rows 0..<n for a target-space optimizer (it takes rows, not a gradient).
    var allRows: [Int] = []
    private(set) var mmViolations = 0
    let x: UnsafeMutableBufferPointer<Double>
    let g: UnsafeMutableBufferPointer<Double>
    let viewPoint: UnsafeMutableBufferPointer<Double>
    let scratchGradient: UnsafeMutableBufferPointer<Double>
    let requestedViews: [ViewKind]

    init(settings: RunSettings, metrics: [StochasticMetric], stopMetric: StochasticMetric?, fStar: Double?,
         objective: any Objective, optimizer: any Method, data: Dataset) {
        self.settings = settings; self.metrics = metrics; self.stopMetric = stopMetric; self.fStar = fStar
        self.objective = objective; self.optimizer = optimizer
        gradientOptimizer = optimizer as? any Optimizer
        if let o = optimizer as? any TargetSpaceOptimizer, let m = objective as? any TargetModel {
            targetOptimizer = o; targetModel = m
        } else {
            targetOptimizer = nil; targetModel = nil
        }
        stopRule = settings.stop
        dimension = objective.dimension; sampleCount = objective.sampleCount
        trueWeights = data.trueWeights.flatMap { $0.count == objective.dimension ? $0 : nil }
        logSteps = logStepsOf(settings.log, total: settings.steps)

        var views: [ViewKind] = []
        for v in settings.views where !views.contains(v) { views.append(v) }
        if views.isEmpty { views = [.last] }
        requestedViews = views
        let recordsLast = views.contains(.last)

        let count = logSteps.count
        func series() -> [Double] {
            // Left uninitialised (Double is trivial): every recorded point is written before
            // the series is cut to the recorded count, and a fill pass would double the
            // memory traffic of logging every step.
            [Double](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        }
        var columns: [Column] = []
        func column(_ m: StochasticMetric, _ v: ViewKind) -> Column {
            let checks: Bool
            switch m {
            case .trainLoss, .suboptimality, .gradNorm: checks = true
            case .testLoss: checks = data.test != nil
            case .distToOpt: checks = data.trueWeights?.count == objective.dimension
            default: checks = false
            }
            let c = Column(metric: m, view: v, index: columns.count, checksFinite: checks)
            columns.append(c)
            return c
        }
        // The last iterate: its view metrics (when asked for) plus the step metrics.
        var lastColumns: [Column] = []
        var lastNeeds: PointNeeds = stopMetric?.needs ?? []
        for m in metrics {
            switch m {
            case .batchLoss: batchLossValues = series()
            case .lr: lrValues = series()
            case .gradEvals: gradEvalsValues = series()
            case .expensiveGradEvals, .innerSteps, .surrogateBefore, .surrogateAfter, .mmViolations, .wallTime:
                extraMetrics.append(m); extraValues.append(series())
            default:
                guard recordsLast else { continue }
                lastColumns.append(column(m, .last)); lastNeeds.formUnion(m.needs)
            }
        }
        if !lastNeeds.isEmpty { pointViews.append((.last, lastNeeds, lastColumns)) }
        for v in views where v != .last {
            var cols: [Column] = []
            var needs: PointNeeds = []
            for m in metrics where m.perView { cols.append(column(m, v)); needs.formUnion(m.needs) }
            if !cols.isEmpty { pointViews.append((v, needs, cols)) }
        }
        viewColumns = columns
        viewValues = columns.map { _ in series() }
        func vector() -> UnsafeMutableBufferPointer<Double> {
            let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: objective.dimension)
            b.initialize(repeating: 0)
            return b
        }
        x = vector(); g = vector(); viewPoint = vector(); scratchGradient = vector()
    }

    func deallocate() {
        x.deallocate(); g.deallocate(); viewPoint.deallocate(); scratchGradient.deallocate()
    }

    /// The loop, with the step-metric series open for writing.
    func loop(seed: Int, control: RunControl) throws -> LoopOutcome {
        var batchLossValues = self.batchLossValues, lrValues = self.lrValues, gradEvalsValues = self.gradEvalsValues
        self.batchLossValues = []; self.lrValues = []; self.gradEvalsValues = []
        let outcome = try batchLossValues.withUnsafeMutableBufferPointer { bl in
            try lrValues.withUnsafeMutableBufferPointer { lr in
                try gradEvalsValues.withUnsafeMutableBufferPointer { ge in
                    try loop(seed: seed, control: control, batchLossOut: bl, lrOut: lr, gradEvalsOut: ge)
                }
            }
        }
        func cut(_ a: inout [Double]) { if !a.isEmpty { a.removeLast(a.count - outcome.recorded) } }
        cut(&batchLossValues); cut(&lrValues); cut(&gradEvalsValues)
        self.batchLossValues = batchLossValues; self.lrValues = lrValues; self.gradEvalsValues = gradEvalsValues
        for i in viewValues.indices { cut(&viewValues[i]) }
        for i in extraValues.indices { cut(&extraValues[i]) }
        return outcome
    }

    /// The hot loop. Per step: sample, batch loss and gradient, optimizer step, view update,
    /// one comparison for the next log point and one countdown for the control check.
    private func loop(seed: Int, control: RunControl, batchLossOut: UnsafeMutableBufferPointer<Double>,
                      lrOut: UnsafeMutableBufferPointer<Double>,
                      gradEvalsOut: UnsafeMutableBufferPointer<Double>) throws -> LoopOutcome {
        let steps = settings.steps
        let objective = self.objective, optimizer = self.optimizer
        let x = self.x, g = self.g
        let xc = UnsafeBufferPointer(x)
        let logSteps = self.logSteps
        let threshold = settings.divergenceThreshold
        let checkInterval = max(1, control.checkInterval)
        let fullBatch = settings.batchSize == nil
        let batchSize = settings.batchSize ?? sampleCount
        let evalsPerStep = fullBatch ? sampleCount : batchSize
        // Log points that only store step metrics skip the general path.
        let pointWork = !pointViews.isEmpty || stopRule != nil
        let recordBatchLoss = batchLossOut.count > 0, recordLR = lrOut.count > 0
        let recordGradEvals = gradEvalsOut.count > 0
        let recordExtras = !extraMetrics.isEmpty
        let targetOptimizer = self.targetOptimizer, targetModel = self.targetModel
        let gradientOptimizer = self.gradientOptimizer
        // A constrained model's domain: every iterate is projected onto it (projected SGD).
        let domain = objective as? any ConstrainedObjective
        if targetOptimizer != nil && fullBatch && allRows.count != sampleCount { allRows = Array(0..<sampleCount) }
        var extras = StepExtras()
        // mm_violations is checked only in full batch (nothing is guaranteed on minibatches): NaN elsewhere.
        if targetOptimizer != nil { extras.innerSteps = 0; extras.mmViolations = fullBatch ? 0 : .nan }
        // wall_time counts optimization only: the metric evaluations at log points are excluded.
        var loopClock = RunControl.now()
        var wallTime = 0.0

        var sampler = MinibatchSampler(sampleCount: sampleCount, batchSize: max(1, batchSize),
                                       sampling: settings.sampling, seed: seed)
        var views = IterateViews(kinds: requestedViews, dimension: dimension, totalSteps: steps,
                                 suffixFraction: settings.suffixFraction, emaDecay: settings.emaDecay)
        objective.initialPoint(x)
        views.start(x)

        var outcome = LoopOutcome()
        var gradEvals = 0
        var batchLoss = Double.nan
        var nextLog = 0   // index into logSteps

        // Step 0: the initial point (no step yet: batch_loss and lr are NaN).
        if logSteps.first == 0 {
            if recordBatchLoss { batchLossOut[0] = .nan }
            if recordLR { lrOut[0] = .nan }
            if recordGradEvals { gradEvalsOut[0] = 0 }
            if recordExtras { recordExtraStepMetrics(0, extras) }
            if let end = try logPoint(0, step: 0, views: views, batchLoss: .nan, lr: .nan, gradEvals: 0,
                                      extras: extras, control: control) {
                end.apply(to: &outcome)
                outcome.recorded = 1
                return outcome
            }
            nextLog = 1
        }
        var nextLogStep = nextLog < logSteps.count ? logSteps[nextLog] : Int.max
        var untilCheck = checkInterval
        loopClock = RunControl.now()

        var t = 0
        while t < steps {
            // Iterate x_t -> x_{t+1}.
            if let targetOptimizer, let targetModel {
                // SSO takes the batch and makes its own expensive call; the loss it reports is
                // the minibatch objective at x_t, checked after the (already taken) step.
                let report: TargetStepReport
                if fullBatch {
                    report = allRows.withUnsafeBufferPointer { targetOptimizer.step(x, rows: $0, model: targetModel, t: t) }
                } else {
                    report = targetOptimizer.step(x, rows: sampler.next(), model: targetModel, t: t)
                }
                batchLoss = report.batchLoss
                gradEvals &+= evalsPerStep &* report.pullbacks
                extras.innerSteps += Double(report.innerSteps)
                extras.surrogateBefore = report.surrogateBefore
                extras.surrogateAfter = report.surrogateAfter
                extras.mmViolations = fullBatch ? Double(report.mmViolations) : .nan
                mmViolations = report.mmViolations
                if !batchLoss.isFinite || abs(batchLoss) > threshold {
                    outcome.status = .diverged
                    outcome.divergedStep = t
                    outcome.message = "minibatch loss \(batchLoss) at step \(t)"
                    break
                }
            } else {
                if fullBatch {
                    batchLoss = objective.fullLossAndGradient(xc, gradient: g)
                } else {
                    batchLoss = objective.batchLossAndGradient(xc, rows: sampler.next(), gradient: g)
                }
                if !batchLoss.isFinite || abs(batchLoss) > threshold {
                    outcome.status = .diverged
                    outcome.divergedStep = t
                    outcome.message = "minibatch loss \(batchLoss) at step \(t)"
                    break
                }
                gradientOptimizer.unsafelyUnwrapped.step(x, gradient: g, t: t)
                gradEvals &+= evalsPerStep
            }
            extras.expensiveGradEvals += Double(evalsPerStep)
            if let domain { domain.project(x) }
            views.update(x, lr: optimizer.currentLR)
            t += 1

            if t == nextLogStep {
                if recordBatchLoss { batchLossOut[nextLog] = batchLoss }
                if recordLR { lrOut[nextLog] = optimizer.currentLR }
                if recordGradEvals { gradEvalsOut[nextLog] = Double(gradEvals) }
                if recordExtras {
                    let now = RunControl.now()
                    wallTime += now - loopClock
                    loopClock = now
                    extras.wallTime = wallTime
                    recordExtraStepMetrics(nextLog, extras)
                }
                var end: End?
                if pointWork {
                    end = try logPoint(nextLog, step: t, views: views, batchLoss: batchLoss,
                                       lr: optimizer.currentLR, gradEvals: gradEvals, extras: extras, control: control)
                    if recordExtras { loopClock = RunControl.now() }
                } else if control.isCancelled {
                    throw RunCancelled()
                }
                nextLog += 1
                nextLogStep = nextLog < logSteps.count ? logSteps[nextLog] : Int.max
                if let end {
                    end.apply(to: &outcome)
                    break
                }
            }
            untilCheck -= 1
            if untilCheck == 0 {
                untilCheck = checkInterval
                control.publish(step: t)
                if control.isCancelled { throw RunCancelled() }
                if control.isPastDeadline {
                    outcome.status = .timeout
                    outcome.message = "time limit reached at step \(t)"
                    break
                }
            }
        }
        outcome.recorded = nextLog
        return outcome
    }

    /// Why a run ends at a log point.
    struct End {
        var status: RunStatus
        var message: String
        var divergedStep: Int?
        var stoppedStep: Int?
        func apply(to o: inout LoopOutcome) {
            o.status = status; o.message = message; o.divergedStep = divergedStep; o.stoppedStep = stoppedStep
        }
    }

    /// Records the per-view metrics of log point `k` (at `step`) and applies the divergence
    /// and stop rules; returns why the run ends there, if it does.
    func logPoint(_ k: Int, step: Int, views: borrowing IterateViews, batchLoss: Double, lr: Double, gradEvals: Int,
                  extras: StepExtras, control: RunControl) throws -> End? {
        var stopValue = Double.nan
        switch stopMetric {
        case .batchLoss?: stopValue = batchLoss
        case .lr?: stopValue = lr
        case .gradEvals?: stopValue = Double(gradEvals)
        case let m? where StepExtras.metrics.contains(m): stopValue = extras.value(m)
        default: break
        }
        var divergence: String?
        if !pointViews.isEmpty {
            for pv in pointViews {
                let point: UnsafeMutableBufferPointer<Double>
                if pv.view == .last { point = x } else {
                    views.materialize(pv.view, current: x, into: viewPoint); point = viewPoint
                }
                let values = evaluate(point, needs: pv.needs)
                for c in pv.columns {
                    let v = value(c.metric, values)
                    viewValues[c.index][k] = v
                    if divergence == nil && c.checksFinite && !v.isFinite {
                        divergence = "\(c.metric.rawValue) \(v) at step \(step)"
                            + (c.view == .last ? "" : " (\(c.view.rawValue) view)")
                    }
                    if divergence == nil && c.view == .last && c.metric == .trainLoss
                        && abs(v) > settings.divergenceThreshold {
                        divergence = "train_loss \(v) above the divergence threshold at step \(step)"
                    }
                }
                if pv.view == .last, let m = stopMetric, m.perView { stopValue = value(m, values) }
            }
            // Full-batch evaluations may take long: check the run's control after them.
            if control.isCancelled { throw RunCancelled() }
            if divergence == nil, control.isPastDeadline {
                return End(status: .timeout, message: "time limit reached at step \(step)")
            }
        } else if control.isCancelled {
            throw RunCancelled()
        }
        if let divergence {
            return End(status: .diverged, message: divergence, divergedStep: step)
        }
        if let rule = stopRule, step < settings.steps, rule.reached(stopValue) {
            return End(status: .completed, message: "stopped: \(rule.metric) = \(stopValue) at step \(step)",
                       stoppedStep: step)
        }
        return nil
    }

    /// Writes the log-point-only step metrics of log point `k`.
    func recordExtraStepMetrics(_ k: Int, _ extras: StepExtras) {
        for (i, m) in extraMetrics.enumerated() { extraValues[i][k] = extras.value(m) }
    }

    /// Full-batch quantities at `point`.
    func evaluate(_ point: UnsafeMutableBufferPointer<Double>, needs: PointNeeds) -> PointValues {
        var out = PointValues()
        let p = UnsafeBufferPointer(point)
        if needs.contains(.gradient) {
            out.loss = objective.fullLossAndGradient(p, gradient: scratchGradient)
            out.gradNorm = norm(UnsafeBufferPointer(scratchGradient))
        } else if needs.contains(.loss) {
            out.loss = objective.fullLoss(p)
        }
        if needs.contains(.test), let test = objective.testMetrics(p) {
            out.testLoss = test.loss
            out.testAccuracy = test.accuracy ?? .nan
        }
        if needs.contains(.trainAccuracy) { out.trainAccuracy = objective.trainAccuracy(p) ?? .nan }
        if needs.contains(.distance), let w = trueWeights {
            var acc = 0.0
            for i in 0..<dimension { let e = p[i] - w[i]; acc += e * e }
            out.distance = acc.squareRoot()
        }
        return out
    }

    func value(_ m: StochasticMetric, _ v: PointValues) -> Double {
        switch m {
        case .trainLoss: return v.loss
        case .suboptimality: return v.loss - (fStar ?? .nan)
        case .gradNorm: return v.gradNorm
        case .testLoss: return v.testLoss
        case .testAccuracy: return v.testAccuracy
        case .trainAccuracy: return v.trainAccuracy
        case .distToOpt: return v.distance
        case .batchLoss, .lr, .gradEvals: return .nan
        case .expensiveGradEvals, .innerSteps, .surrogateBefore, .surrogateAfter, .mmViolations, .wallTime: return .nan
        }
    }

    /// The recorded series (after `loop`), in the order the config listed the metrics: the
    /// last iterate's (and the step metrics), then each other view's.
    func series() -> (metrics: [Series], views: [(view: String, metrics: [Series])]) {
        var last: [Series] = []
        for m in metrics {
            switch m {
            case .batchLoss: last.append(Series(name: m.rawValue, values: batchLossValues))
            case .lr: last.append(Series(name: m.rawValue, values: lrValues))
            case .gradEvals: last.append(Series(name: m.rawValue, values: gradEvalsValues))
            case .expensiveGradEvals, .innerSteps, .surrogateBefore, .surrogateAfter, .mmViolations, .wallTime:
                if let i = extraMetrics.firstIndex(of: m) { last.append(Series(name: m.rawValue, values: extraValues[i])) }
            default:
                if let c = viewColumns.first(where: { $0.metric == m && $0.view == .last }) {
                    last.append(Series(name: m.rawValue, values: viewValues[c.index]))
                }
            }
        }
        var views: [(view: String, metrics: [Series])] = []
        for v in requestedViews where v != .last {
            let cols = viewColumns.filter { $0.view == v }
            if !cols.isEmpty {
                views.append((v.rawValue, cols.map { Series(name: $0.metric.rawValue, values: viewValues[$0.index]) }))
            }
        }
        return (last, views)
    }
}

/// The log steps of a policy. `.every(k)` is generated directly (it is sorted and distinct
/// by construction): Core's general path deduplicates through a Set, which costs more than
/// the run itself when every one of millions of steps is logged. Same result (tested).
func logStepsOf(_ policy: LogPolicy, total steps: Int) -> [Int] {
    guard case .every(let k) = policy else { return policy.logSteps(total: steps) }
    let stride = max(1, k)
    var out: [Int] = []
    out.reserveCapacity(steps / stride + 2)
    var s = 0
    while s < steps { out.append(s); s += stride }
    out.append(steps)
    return out
}

/// Euclidean norm with four independent accumulators.
@inline(__always)
func norm(_ v: UnsafeBufferPointer<Double>) -> Double {
    var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    let n = v.count
    var i = 0
    while i + 4 <= n {
        a0 += v[i] * v[i]; a1 += v[i + 1] * v[i + 1]; a2 += v[i + 2] * v[i + 2]; a3 += v[i + 3] * v[i + 3]
        i += 4
    }
    while i < n { a0 += v[i] * v[i]; i += 1 }
    return ((a0 + a1) + (a2 + a3)).squareRoot()
}
