import ExprunCore

/// Linear warmup then constant: lr_t = base * (s + (1 - s) * min(t, W)/W) with s the start
/// factor and W the warmup steps (W = 0 means no warmup). Equal to torch LinearLR with
/// end_factor 1 and total_iters W.
public struct WarmupSchedule: Schedule {
    public let base: Double, warmupSteps: Int, startFactor: Double
    public init(base: Double, warmupSteps: Int, startFactor: Double) {
        self.base = base; self.warmupSteps = warmupSteps; self.startFactor = startFactor
    }
    public func lr(at t: Int) -> Double {
        guard warmupSteps > 0, t < warmupSteps else { return base }
        return base * (startFactor + (1 - startFactor) * Double(t) / Double(warmupSteps))
    }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "warmup", doc: "Linear warmup from start_factor*lr to lr, then constant.", params: [
            ParamDecl("warmup_steps", .int, required: true, range: .nonNegative, doc: "Length of the warmup in steps."),
            .double("start_factor", 0.0, .unit, "Factor of lr at step 0."),
        ])
    ) { p, ctx in
        WarmupSchedule(base: ctx.baseLR, warmupSteps: p.int("warmup_steps"), startFactor: p.double("start_factor"))
    }
}
