import ExprunCore

/// lr_t = base / (1 + lambda * t) for the 0-based step t; lambda = 1 gives eta / k with the
/// step counted from k = 1 (the strongly convex SGD rate).
public struct InverseTimeSchedule: Schedule {
    public let base: Double, lambda: Double
    public init(base: Double, lambda: Double) { self.base = base; self.lambda = lambda }
    public func lr(at t: Int) -> Double { base / (1 + lambda * Double(t)) }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "inverse_time",
                      doc: "lr_t = lr / (1 + lambda*t); lambda = 1 gives eta/k with k counted from 1.", params: [
                          .double("lambda", 1.0, .nonNegative, "Decay rate lambda."),
                      ])
    ) { p, ctx in InverseTimeSchedule(base: ctx.baseLR, lambda: p.double("lambda")) }
}
