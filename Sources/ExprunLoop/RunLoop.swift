import ExprunCore

/// The `run:` settings the loop reads, and its clock.
public struct LoopSettings: Sendable {
    /// Steps at most (a simulated clock may end the run earlier).
    public var steps: Int
    public var clock: LoopClock
    public var divergenceThreshold: Double
    public var suffixFraction: Double
    public var emaDecay: Double
    public init(steps: Int, clock: LoopClock, divergenceThreshold: Double, suffixFraction: Double, emaDecay: Double) {
        self.steps = steps; self.clock = clock; self.divergenceThreshold = divergenceThreshold
        self.suffixFraction = suffixFraction; self.emaDecay = emaDecay
    }
    /// A run's settings on the step clock, logging at `run.log`.
    public init(_ run: RunSettings) {
        self.init(steps: run.steps, clock: .steps(logStepsOf(run.log, total: run.steps)),
                  divergenceThreshold: run.divergenceThreshold, suffixFraction: run.suffixFraction,
                  emaDecay: run.emaDecay)
    }
}

/// How a run ended, and its recorded curves (the `RunRecord` fields the loop owns).
public struct LoopResult {
    public var status: RunStatus = .completed
    public var message = ""
    public var divergedStep: Int?
    public var stoppedStep: Int?
    /// Steps taken.
    public var stepsTaken = 0
    /// The simulated clock at the end (0 on the step clock).
    public var simTime = 0.0
    public var steps: [Int] = []
    public var metrics: [Series] = []
    public var views: [(view: String, metrics: [Series])] = []
    public init() {}

    /// The run's record: this outcome and its curves, with the kind's attributes.
    public func record(runId: String, wallSeconds: Double, attributes: [(String, Value)]) -> RunRecord {
        RunRecord(runId: runId, status: status, message: message, divergedStep: divergedStep, stoppedStep: stoppedStep,
                  wallSeconds: wallSeconds, attributes: attributes, steps: steps, metrics: metrics, views: views)
    }
}

/// The one run loop of every problem kind. It owns the clock (steps, or simulated time), the
/// log points, the iterate views, the divergence, time-limit, stop-rule and cancellation
/// checks, the recorder (every series preallocated for the clock's log points) and the
/// exclusion of metric evaluations from `wall_time`; the kind supplies its kernel (oracle and
/// step) and its metrics.
///
/// Per step: the oracle, one divergence comparison, the step, the view update, one comparison
/// for the next log point and one countdown for the control check. Nothing is allocated
/// after the start. The loop is `@inlinable`: each kind's module specialises it for its
/// kernel, so the kernel's calls are direct.
///
/// Outcomes: `.completed` (all steps, the simulated horizon, or a stop rule: `stoppedStep`),
/// `.diverged` (the oracle's value, or a non-finite applicable metric at a log point:
/// `divergedStep`), `.timeout` (the run's deadline). Cancellation throws `RunCancelled`.
public enum RunLoop {
    @inlinable
    public static func run<K: LoopKernel>(_ kernel: K, plan: MetricPlan<K>, settings: LoopSettings,
                                          conventions: LoopConventions = .steps,
                                          control: RunControl) throws -> LoopResult {
        let steps = settings.steps
        let threshold = settings.divergenceThreshold
        let checkInterval = max(1, control.checkInterval)
        let x = kernel.iterate
        let checks: [(finite: Bool, threshold: Bool)] = plan.columns.map {
            $0.divergence.resolved(for: kernel, atLast: $0.view == .last)
        }
        var logSteps: [Int] = [], logTimes: [Double] = []
        let simulated: Bool
        switch settings.clock {
        case .steps(let s): logSteps = s; simulated = false
        case .simulated(let times): logTimes = times; simulated = true
        }
        let pointCount = max(0, settings.clock.capacity) + (conventions.scoresAfterStep ? 1 : 0)
        var recorder = LoopRecorder(columns: plan.columns.count, capacity: pointCount, simulated: simulated)
        defer { recorder.deallocate() }
        let viewPoint = UnsafeMutableBufferPointer<Double>.allocate(capacity: x.count)
        viewPoint.initialize(repeating: 0)
        defer { viewPoint.deallocate() }
        var views = IterateViews(kinds: plan.views, dimension: x.count, totalSteps: steps,
                                 suffixFraction: settings.suffixFraction, emaDecay: settings.emaDecay)
        kernel.start()
        views.start(x)
        // Log points that record state metrics only skip the general path.
        let pointWork = !plan.points.isEmpty || plan.stop != nil
        let timesWall = plan.recordsWallTime
        var wallTime = 0.0
        var loopClock = RunControl.now()
        var clock = 0.0

        var result = LoopResult()
        var nextLog = 0
        var end: LoopEnd?
        let firstDue = simulated ? (logTimes.first.map { $0 <= 0 } ?? false) : logSteps.first == 0
        if firstDue {
            end = try logPoint(kernel, plan, &recorder, checks, views: views, viewPoint: viewPoint, step: 0,
                               clock: 0, wallTime: 0, settings: settings, conventions: conventions,
                               pointWork: pointWork, control: control)
            nextLog = 1
            if simulated { while nextLog < logTimes.count && logTimes[nextLog] <= 0 { nextLog += 1 } }
            if simulated && nextLog == logTimes.count { end = end ?? LoopEnd(status: .completed, message: "") }
        }
        var nextLogStep = nextLog < logSteps.count ? logSteps[nextLog] : Int.max
        var nextLogTime = nextLog < logTimes.count ? logTimes[nextLog] : .infinity
        var untilCheck = checkInterval
        loopClock = RunControl.now()

        var t = 0
        while end == nil && t < steps {
            let value = kernel.oracle(t)
            if !value.isFinite || abs(value) > threshold {
                let at = conventions.scoresAfterStep ? t + 1 : t
                end = LoopEnd(status: .diverged, message: conventions.divergenceMessage(value, at), divergedStep: at)
                if conventions.scoresAfterStep {
                    t += 1
                    recorder.record(kernel, plan, views: views, viewPoint: viewPoint, step: t, clock: clock,
                                    wallTime: wallTime)
                }
                break
            }
            let dt = kernel.step(t)
            views.update(x, lr: kernel.stepSize)
            t += 1

            let due: Bool
            if simulated {
                clock += dt
                due = clock >= nextLogTime
            } else {
                due = t == nextLogStep
            }
            if due {
                if timesWall {
                    let now = RunControl.now()
                    wallTime += now - loopClock
                    loopClock = now
                }
                end = try logPoint(kernel, plan, &recorder, checks, views: views, viewPoint: viewPoint, step: t,
                                   clock: clock, wallTime: wallTime, settings: settings, conventions: conventions,
                                   pointWork: pointWork, control: control)
                if timesWall { loopClock = RunControl.now() }
                nextLog += 1
                if simulated {
                    while nextLog < logTimes.count && logTimes[nextLog] <= clock { nextLog += 1 }
                    nextLogTime = nextLog < logTimes.count ? logTimes[nextLog] : .infinity
                    // The simulated horizon is the last log time.
                    if end == nil && nextLog == logTimes.count { end = LoopEnd(status: .completed, message: "") }
                } else {
                    nextLogStep = nextLog < logSteps.count ? logSteps[nextLog] : Int.max
                }
                if end != nil { break }
            }
            untilCheck -= 1
            if untilCheck == 0 {
                untilCheck = checkInterval
                control.publish(step: t)
                if control.isCancelled { throw RunCancelled() }
                if control.isPastDeadline {
                    end = LoopEnd(status: .timeout, message: conventions.timeoutMessage(t))
                    if conventions.scoresAfterStep && recorder.lastStep != t {
                        recorder.record(kernel, plan, views: views, viewPoint: viewPoint, step: t, clock: clock,
                                        wallTime: wallTime)
                    }
                    break
                }
            }
        }
        if let end {
            result.status = end.status; result.message = end.message
            result.divergedStep = end.divergedStep; result.stoppedStep = end.stoppedStep
        }
        result.stepsTaken = t
        result.simTime = clock
        recorder.output(plan, into: &result)
        return result
    }

    /// Records log point `step` (every column), then applies the divergence checks, the
    /// time limit and the stop rule; returns why the run ends there, if it does.
    @inlinable
    static func logPoint<K: LoopKernel>(_ kernel: K, _ plan: MetricPlan<K>, _ recorder: inout LoopRecorder,
                                        _ checks: [(finite: Bool, threshold: Bool)],
                                        views: borrowing IterateViews, viewPoint: UnsafeMutableBufferPointer<Double>,
                                        step: Int, clock: Double, wallTime: Double, settings: LoopSettings,
                                        conventions: LoopConventions, pointWork: Bool,
                                        control: RunControl) throws -> LoopEnd? {
        let stopValue = recorder.record(kernel, plan, views: views, viewPoint: viewPoint, step: step, clock: clock,
                                        wallTime: wallTime)
        guard pointWork else {
            if control.isCancelled { throw RunCancelled() }
            return nil
        }
        let k = recorder.count - 1
        var divergence: String?
        for group in plan.points {
            for c in group.columns {
                let v = recorder.value(column: c, point: k)
                let check = checks[c]
                if divergence == nil && check.finite && !v.isFinite {
                    divergence = "\(plan.columns[c].name) \(v) at step \(step)"
                        + (group.view == .last ? "" : " (\(group.view.rawValue) view)")
                }
                if divergence == nil && check.threshold && abs(v) > settings.divergenceThreshold {
                    divergence = "\(plan.columns[c].name) \(v) above the divergence threshold at step \(step)"
                }
            }
        }
        if !plan.points.isEmpty {
            // Full-batch evaluations may take long: check the run's control after them.
            if control.isCancelled { throw RunCancelled() }
            if divergence == nil, control.isPastDeadline {
                return LoopEnd(status: .timeout, message: conventions.timeoutMessage(step))
            }
        } else if control.isCancelled {
            throw RunCancelled()
        }
        if let divergence {
            return LoopEnd(status: .diverged, message: divergence, divergedStep: step)
        }
        if let (rule, _) = plan.stop, step < settings.steps, step > 0 || conventions.stopsAtStepZero,
           rule.reached(stopValue) {
            return LoopEnd(status: .completed, message: "stopped: \(rule.metric) = \(stopValue) at step \(step)",
                           stoppedStep: step)
        }
        return nil
    }
}

/// Why a run ends.
public struct LoopEnd {
    public var status: RunStatus
    public var message: String
    public var divergedStep: Int?
    public var stoppedStep: Int?
    @inlinable
    public init(status: RunStatus, message: String, divergedStep: Int? = nil, stoppedStep: Int? = nil) {
        self.status = status; self.message = message; self.divergedStep = divergedStep; self.stoppedStep = stoppedStep
    }
}
