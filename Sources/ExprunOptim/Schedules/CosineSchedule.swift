import ExprunCore
import Foundation

/// torch CosineAnnealingLR: lr_t = eta_min + (base - eta_min)(1 + cos(pi t / T_max))/2 for
/// ALL t. torch does not clamp at T_max: past it the lr rises again (period 2 T_max).
public struct CosineSchedule: Schedule {
    public let base: Double, tMax: Int, etaMin: Double
    public init(base: Double, tMax: Int, etaMin: Double) { self.base = base; self.tMax = tMax; self.etaMin = etaMin }
    public func lr(at t: Int) -> Double {
        etaMin + (base - etaMin) * (1 + cos(Double.pi * Double(t) / Double(tMax))) / 2
    }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "cosine",
                      doc: "torch CosineAnnealingLR (periodic past t_max, not clamped).", params: [
                          ParamDecl("t_max", .int, default: nil, required: false, range: .atLeastOne,
                                    doc: "Half period in steps (default: the run's steps)."),
                          .double("eta_min", 0.0, .nonNegative, "Minimum learning rate."),
                      ])
    ) { p, ctx in
        let tMax = p.optionalInt("t_max") ?? ctx.totalSteps
        guard tMax >= 1 else { throw ComponentError("cosine: t_max must be at least 1") }
        return CosineSchedule(base: ctx.baseLR, tMax: tMax, etaMin: p.double("eta_min"))
    }
}
