import ExprunCore
import Foundation

/// torch StepLR: lr_t = base * gamma^floor(t / stepSize).
public struct StepSchedule: Schedule {
    public let base: Double, stepSize: Int, gamma: Double
    public init(base: Double, stepSize: Int, gamma: Double) {
        self.base = base; self.stepSize = stepSize; self.gamma = gamma
    }
    // torch multiplies recursively; the closed form agrees to ~1e-16 (golden README).
    public func lr(at t: Int) -> Double { base * pow(gamma, Double(t / stepSize)) }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "step", doc: "torch StepLR: multiply lr by gamma every step_size steps.", params: [
            ParamDecl("step_size", .int, required: true, range: .atLeastOne, doc: "Steps between decays."),
            .double("gamma", 0.1, .positive, "Multiplicative decay factor."),
        ])
    ) { p, ctx in StepSchedule(base: ctx.baseLR, stepSize: p.int("step_size"), gamma: p.double("gamma")) }
}
