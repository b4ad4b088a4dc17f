import ExprunCore
import Foundation

/// torch OneCycleLR (Smith & Topin 2017). The optimizer's lr only supplies the default
/// max_lr: initial = max_lr/div_factor, min = initial/final_div_factor. Phase ends are step
/// indices: pct*N - 1 (peak) and N - 1 (min); three_phase: pct*N - 1, 2 pct*N - 2, N - 1.
/// Within a phase p = (t - start)/(end - start) and the lr anneals from the phase's start
/// value to its end value by cosine or linearly, exactly as torch's get_lr computes it.
///
/// With `cycle_momentum` (torch's default) the momentum is cycled inversely, from
/// max_momentum down to base_momentum while the lr rises and back while it falls (three_phase:
/// max -> base, base -> max, then max held): torch writes it into the optimizer's `momentum`
/// (SGD) or `betas[0]` (Adam-type), which the chain does through `StepContext.momentum`.
public struct OneCycleSchedule: MomentumSchedule {
    public enum Anneal: String, Sendable { case cos, linear }
    struct Phase: Sendable { var end: Double; var from: Double; var to: Double; var momentumFrom: Double; var momentumTo: Double }
    let phases: [Phase]
    public let anneal: Anneal
    public let cyclesMomentum: Bool

    public init(maxLR: Double, totalSteps: Int, pctStart: Double, anneal: Anneal, divFactor: Double,
                finalDivFactor: Double, threePhase: Bool, cycleMomentum: Bool = false,
                baseMomentum: Double = 0.85, maxMomentum: Double = 0.95) {
        let initial = maxLR / divFactor, minimum = initial / finalDivFactor
        let n = Double(totalSteps), low = baseMomentum, high = maxMomentum
        if threePhase {
            phases = [Phase(end: pctStart * n - 1, from: initial, to: maxLR, momentumFrom: high, momentumTo: low),
                      Phase(end: 2 * pctStart * n - 2, from: maxLR, to: initial, momentumFrom: low, momentumTo: high),
                      Phase(end: n - 1, from: initial, to: minimum, momentumFrom: high, momentumTo: high)]
        } else {
            phases = [Phase(end: pctStart * n - 1, from: initial, to: maxLR, momentumFrom: high, momentumTo: low),
                      Phase(end: n - 1, from: maxLR, to: minimum, momentumFrom: low, momentumTo: high)]
        }
        self.anneal = anneal
        cyclesMomentum = cycleMomentum
    }

    /// The phase of step t and the fraction of it done (torch's get_lr loop).
    func position(_ t: Int) -> (phase: Phase, pct: Double) {
        let step = Double(t)
        var start = 0.0
        for (i, phase) in phases.enumerated() {
            if step <= phase.end || i == phases.count - 1 {
                return (phase, (step - start) / (phase.end - start))
            }
            start = phase.end
        }
        return (phases[phases.count - 1], 1)
    }

    func annealed(_ from: Double, _ to: Double, _ pct: Double) -> Double {
        switch anneal {
        case .cos: return to + (from - to) / 2 * (cos(Double.pi * pct) + 1)
        case .linear: return (to - from) * pct + from
        }
    }

    public func lr(at t: Int) -> Double {
        let (phase, pct) = position(t)
        return annealed(phase.from, phase.to, pct)
    }

    public func momentum(at t: Int) -> Double {
        let (phase, pct) = position(t)
        return annealed(phase.momentumFrom, phase.momentumTo, pct)
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
                          .bool("cycle_momentum", true, "Cycle the optimizer's momentum (SGD) or beta1 (Adam-type) inversely to the lr, as torch does by default."),
                          .double("base_momentum", 0.85, .unit, "Lowest momentum of the cycle (at the peak lr)."),
                          .double("max_momentum", 0.95, .unit, "Highest momentum of the cycle (at the start and the end)."),
                      ],
                      needs: { p in (p["cycle_momentum"]?.asBool ?? true) ? [.cycledMomentum] : [] })
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
                                threePhase: three, cycleMomentum: p.bool("cycle_momentum"),
                                baseMomentum: p.double("base_momentum"), maxMomentum: p.double("max_momentum"))
    }
}
