import ExprunCore
import Foundation

/// torch OneCycleLR (Smith & Topin 2017). The optimizer's lr only supplies the default
/// max_lr: initial = max_lr/div_factor, min = initial/final_div_factor. Phase ends are step
/// indices: pct*N - 1 (peak) and N - 1 (min); three_phase: pct*N - 1, 2 pct*N - 2, N - 1.
/// Within a phase p = (t - start)/(end - start) and the lr anneals from the phase's start
/// value to its end value by cosine or linearly, exactly as torch's get_lr computes it.
public struct OneCycleSchedule: Schedule {
    public enum Anneal: String, Sendable { case cos, linear }
    struct Phase: Sendable { var end: Double; var from: Double; var to: Double }
    let phases: [Phase]
    public let anneal: Anneal

    public init(maxLR: Double, totalSteps: Int, pctStart: Double, anneal: Anneal, divFactor: Double,
                finalDivFactor: Double, threePhase: Bool) {
        let initial = maxLR / divFactor, minimum = initial / finalDivFactor
        let n = Double(totalSteps)
        if threePhase {
            phases = [Phase(end: pctStart * n - 1, from: initial, to: maxLR),
                      Phase(end: 2 * pctStart * n - 2, from: maxLR, to: initial),
                      Phase(end: n - 1, from: initial, to: minimum)]
        } else {
            phases = [Phase(end: pctStart * n - 1, from: initial, to: maxLR),
                      Phase(end: n - 1, from: maxLR, to: minimum)]
        }
        self.anneal = anneal
    }

    public func lr(at t: Int) -> Double {
        let step = Double(t)
        var start = 0.0
        for (i, phase) in phases.enumerated() {
            if step <= phase.end || i == phases.count - 1 {
                let pct = (step - start) / (phase.end - start)
                switch anneal {
                case .cos: return phase.to + (phase.from - phase.to) / 2 * (cos(Double.pi * pct) + 1)
                case .linear: return (phase.to - phase.from) * pct + phase.from
                }
            }
            start = phase.end
        }
        return phases[phases.count - 1].to
    }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "onecycle", doc: "torch OneCycleLR: warm up to max_lr, then anneal far below it.",
                      params: [
                          ParamDecl("max_lr", .double, default: nil, required: false, range: .positive,
                                    doc: "Peak learning rate (default: the optimizer's lr)."),
                          ParamDecl("total_steps", .int, default: nil, required: false, range: .atLeastOne,
                                    doc: "Cycle length in steps (default: the run's steps)."),
                          .double("pct_start", 0.3, ValueRange(min: 0, max: 1, minOpen: true, maxOpen: true),
                                  "Fraction of the cycle spent increasing the lr."),
                          .choice("anneal_strategy", ["cos", "linear"], "cos", "Annealing shape."),
                          .double("div_factor", 25, .positive, "initial lr = max_lr / div_factor."),
                          .double("final_div_factor", 1e4, .positive, "min lr = initial lr / final_div_factor."),
                          .bool("three_phase", false, "Annealing back to the initial lr before the final decay."),
                      ])
    ) { p, ctx in
        let total = p.optionalInt("total_steps") ?? ctx.totalSteps
        // torch raises when stepped past total_steps; refuse a cycle shorter than the run.
        guard total >= ctx.totalSteps, total >= 2 else {
            throw ComponentError("onecycle: total_steps (\(total)) must cover the run's \(ctx.totalSteps) steps")
        }
        let pct = p.double("pct_start"), three = p.bool("three_phase")
        let n = Double(total)
        let ends = three ? [pct * n - 1, 2 * pct * n - 2, n - 1] : [pct * n - 1, n - 1]
        guard ends[0] > 0, zip(ends, ends.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw ComponentError("onecycle: pct_start \(pct) leaves an empty phase for total_steps \(total)")
        }
        return OneCycleSchedule(maxLR: p.optionalDouble("max_lr") ?? ctx.baseLR, totalSteps: total, pctStart: pct,
                                anneal: Anneal(rawValue: p.string("anneal_strategy")) ?? .cos,
                                divFactor: p.double("div_factor"), finalDivFactor: p.double("final_div_factor"),
                                threePhase: three)
    }
}
