import ExprunCore

/// The series of one run: one flat buffer holding every column for every log point the clock
/// can produce, allocated once before the first step (the Spec bounds the log points), then
/// copied into the record's series at the end.
@usableFromInline
struct LoopRecorder {
    @usableFromInline let capacity: Int
    /// Column c of point k is at c * capacity + k.
    @usableFromInline let values: UnsafeMutableBufferPointer<Double>
    @usableFromInline let steps: UnsafeMutableBufferPointer<Int>
    /// The simulated clock at each point (empty on the step clock).
    @usableFromInline let times: UnsafeMutableBufferPointer<Double>
    @usableFromInline var count = 0

    @inlinable
    init(columns: Int, capacity: Int, simulated: Bool) {
        self.capacity = capacity
        // Left uninitialised (Double is trivial): only written points are ever read, and a fill
        // pass would double the memory traffic of logging every step.
        values = .allocate(capacity: max(1, columns * capacity))
        steps = .allocate(capacity: max(1, capacity))
        times = .allocate(capacity: simulated ? max(1, capacity) : 0)
    }

    @inlinable
    func deallocate() { values.deallocate(); steps.deallocate(); times.deallocate() }

    @inlinable
    var lastStep: Int { count > 0 ? steps[count - 1] : -1 }

    @inlinable
    func value(column c: Int, point k: Int) -> Double { values[c &* capacity &+ k] }

    /// Records every column at `step`; returns the stop metric's value there (NaN without one).
    @inlinable @discardableResult
    mutating func record<K: LoopKernel>(_ kernel: K, _ plan: MetricPlan<K>, views: borrowing IterateViews,
                                        viewPoint: UnsafeMutableBufferPointer<Double>, step: Int, clock: Double,
                                        wallTime: Double) -> Double {
        precondition(count < capacity, "log points beyond the clock's capacity")
        kernel.beginLogPoint(step: step)
        let k = count
        steps[k] = step
        if times.count > 0 { times[k] = clock }
        for c in plan.stateColumns {
            let v: Double
            switch plan.columns[c].evaluator {
            case .state(let f): v = f(kernel, step)
            case .wallTime: v = wallTime
            case .point: v = .nan
            }
            values[c &* capacity &+ k] = v
        }
        var stopValue = Double.nan
        if let stop = plan.stop {
            switch stop.metric.evaluator {
            case .state(let f): stopValue = f(kernel, step)
            case .wallTime: stopValue = wallTime
            case .point: break
            }
        }
        for group in plan.points {
            let point: UnsafeBufferPointer<Double>
            if group.view == .last {
                point = UnsafeBufferPointer(kernel.iterate)
            } else {
                views.materialize(group.view, current: kernel.iterate, into: viewPoint)
                point = UnsafeBufferPointer(viewPoint)
            }
            let q = kernel.evaluate(point, needs: group.needs)
            for c in group.columns {
                if case .point(_, let f) = plan.columns[c].evaluator { values[c &* capacity &+ k] = f(q, kernel) }
            }
            if group.view == .last, let stop = plan.stop, case .point(_, let f) = stop.metric.evaluator {
                stopValue = f(q, kernel)
            }
        }
        count += 1
        return stopValue
    }

    /// The recorded points into `result`: the last iterate's series in the plan's order (and
    /// `sim_time` on a simulated clock), then each view's.
    @inlinable
    func output<K: LoopKernel>(_ plan: MetricPlan<K>, into result: inout LoopResult) {
        func series(_ c: Int) -> Series {
            Series(name: plan.columns[c].name,
                   values: Array(UnsafeBufferPointer(rebasing: values[(c * capacity)..<(c * capacity + count)])))
        }
        result.steps = Array(UnsafeBufferPointer(rebasing: steps[0..<count]))
        result.metrics = plan.columns.indices.filter { plan.columns[$0].view == .last }.map(series)
        if times.count > 0 {
            result.metrics.append(Series(name: "sim_time", values: Array(UnsafeBufferPointer(rebasing: times[0..<count]))))
        }
        result.views = plan.views.filter { $0 != .last }.compactMap { v in
            let cols = plan.columns.indices.filter { plan.columns[$0].view == v }
            return cols.isEmpty ? nil : (v.rawValue, cols.map(series))
        }
    }
}
