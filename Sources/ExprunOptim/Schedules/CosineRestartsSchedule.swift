import ExprunCore
import Foundation

/// torch CosineAnnealingWarmRestarts: T_cur counts steps in the current cycle of length T_i;
/// when T_cur reaches T_i it resets to 0 and T_i *= T_mult. lr = eta_min + (base -
/// eta_min)(1 + cos(pi T_cur / T_i))/2, so the restart step has lr = base.
public struct CosineRestartsSchedule: Schedule {
    public let base: Double, t0: Int, tMult: Int, etaMin: Double
    public init(base: Double, t0: Int, tMult: Int, etaMin: Double) {
        self.base = base; self.t0 = t0; self.tMult = tMult; self.etaMin = etaMin
    }
    public func lr(at t: Int) -> Double {
        var cur = t, len = t0
        if tMult == 1 {
            cur = t % t0
        } else {
            // Cycle lengths grow geometrically, so this loop runs O(log t) times.
            while cur >= len { cur -= len; len *= tMult }
        }
        return etaMin + (base - etaMin) * (1 + cos(Double.pi * Double(cur) / Double(len))) / 2
    }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "cosine_restarts", doc: "torch CosineAnnealingWarmRestarts (SGDR).", params: [
            ParamDecl("t_0", .int, required: true, range: .atLeastOne, doc: "Length of the first cycle in steps."),
            .int("t_mult", 1, .atLeastOne, "Factor by which each cycle is longer than the last."),
            .double("eta_min", 0.0, .nonNegative, "Minimum learning rate."),
        ])
    ) { p, ctx in
        CosineRestartsSchedule(base: ctx.baseLR, t0: p.int("t_0"), tMult: p.int("t_mult"), etaMin: p.double("eta_min"))
    }
}
