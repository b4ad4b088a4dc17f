import ExprunCore

/// torch LinearLR: lr_t = base * (start + (end - start) * min(t, T)/T).
public struct LinearSchedule: Schedule {
    public let base: Double, startFactor: Double, endFactor: Double, totalIters: Int
    public init(base: Double, startFactor: Double, endFactor: Double, totalIters: Int) {
        self.base = base; self.startFactor = startFactor; self.endFactor = endFactor; self.totalIters = totalIters
    }
    public func lr(at t: Int) -> Double {
        base * (startFactor + (endFactor - startFactor) * Double(min(t, totalIters)) / Double(totalIters))
    }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "linear",
                      doc: "torch LinearLR: factor moves linearly from start_factor to end_factor over total_iters.",
                      params: [
                          .double("start_factor", 1.0 / 3.0, ValueRange(min: 0, max: 1, minOpen: true),
                                  "Factor of lr at step 0."),
                          .double("end_factor", 1.0, .unit, "Factor of lr from total_iters on."),
                          ParamDecl("total_iters", .int, default: nil, required: false, range: .atLeastOne,
                                    doc: "Steps of the ramp (default: the run's steps)."),
                      ])
    ) { p, ctx in
        let total = p.optionalInt("total_iters") ?? ctx.totalSteps
        guard total >= 1 else { throw ComponentError("linear: total_iters must be at least 1") }
        return LinearSchedule(base: ctx.baseLR, startFactor: p.double("start_factor"),
                              endFactor: p.double("end_factor"), totalIters: total)
    }
}
