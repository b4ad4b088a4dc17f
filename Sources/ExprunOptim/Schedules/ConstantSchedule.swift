import ExprunCore

/// lr_t = base for every step.
public struct ConstantSchedule: Schedule {
    public let base: Double
    public init(base: Double) { self.base = base }
    public func lr(at t: Int) -> Double { base }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "constant", doc: "Constant learning rate: lr_t = lr.", params: [])
    ) { _, ctx in ConstantSchedule(base: ctx.baseLR) }
}
