import ExprunCore

/// lr_t = base * (1 - t/T) with T the run's steps: a straight line to zero at the end of the
/// run (the last step, t = T - 1, still moves by base/T). Clamped at 0 past T.
public struct LinearDecaySchedule: Schedule {
    public let base: Double, total: Int
    public init(base: Double, total: Int) { self.base = base; self.total = total }
    public func lr(at t: Int) -> Double { base * max(0, 1 - Double(t) / Double(total)) }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "linear_decay", doc: "lr_t = lr * (1 - t/steps): linear decay to zero over the run.",
                      params: [])
    ) { _, ctx in
        guard ctx.totalSteps >= 1 else { throw ComponentError("linear_decay: the run has no steps") }
        return LinearDecaySchedule(base: ctx.baseLR, total: ctx.totalSteps)
    }
}
