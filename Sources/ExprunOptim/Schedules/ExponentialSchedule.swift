import ExprunCore
import Foundation

/// torch ExponentialLR: lr_t = base * gamma^t.
public struct ExponentialSchedule: Schedule {
    public let base: Double, gamma: Double
    public init(base: Double, gamma: Double) { self.base = base; self.gamma = gamma }
    public func lr(at t: Int) -> Double { base * pow(gamma, Double(t)) }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "exponential", doc: "torch ExponentialLR: lr_t = lr * gamma^t.", params: [
            ParamDecl("gamma", .double, required: true, range: .positive, doc: "Per-step decay factor."),
        ])
    ) { p, ctx in ExponentialSchedule(base: ctx.baseLR, gamma: p.double("gamma")) }
}
