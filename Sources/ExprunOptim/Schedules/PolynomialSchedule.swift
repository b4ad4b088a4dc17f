import ExprunCore
import Foundation

/// torch PolynomialLR: lr_t = base * (1 - min(t, T)/T)^power, 0 from step T on.
public struct PolynomialSchedule: Schedule {
    public let base: Double, totalIters: Int, power: Double
    public init(base: Double, totalIters: Int, power: Double) {
        self.base = base; self.totalIters = totalIters; self.power = power
    }
    public func lr(at t: Int) -> Double {
        base * pow(1 - Double(min(t, totalIters)) / Double(totalIters), power)
    }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "polynomial", doc: "torch PolynomialLR: lr * (1 - t/total_iters)^power, then 0.",
                      params: [
                          ParamDecl("total_iters", .int, default: nil, required: false, range: .atLeastOne,
                                    doc: "Steps to reach 0 (default: the run's steps)."),
                          .double("power", 1.0, .positive, "Polynomial power."),
                      ])
    ) { p, ctx in
        let total = p.optionalInt("total_iters") ?? ctx.totalSteps
        guard total >= 1 else { throw ComponentError("polynomial: total_iters must be at least 1") }
        return PolynomialSchedule(base: ctx.baseLR, totalIters: total, power: p.double("power"))
    }
}
