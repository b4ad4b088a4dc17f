import ExprunCore

/// A schedule refined from the gradient norms of an earlier run of the same config (Defazio
/// et al. 2023, `ScheduleRefinement`): lr_t = lr * s(t / (T - 1)), with s the refined
/// multipliers on their grid of `points` fractions of training, linearly interpolated (so the
/// second run may be longer or shorter than the first), s(1) = 0.
///
/// `from` names a selection (`selections:`); the first pass records `batch_grad_norm` (SGD's
/// variant) or `batch_grad_norm_l1` (the Adam variant) at every step (`log: {every: 1}`; a
/// coarser log subsamples G_t). When the selection gives several runs (a first pass over a
/// grid of step sizes, `same: [seed, optimizer]`), the one with the lowest final `pick_by`
/// (train_loss) is refined, as the paper refines its tuned linear-decay run.
public struct RefinedSchedule: Schedule {
    public let base: Double, totalSteps: Int
    /// The multipliers at the fractions i / (count - 1) of training.
    public let multipliers: [Double]

    public init(base: Double, totalSteps: Int, multipliers: [Double]) {
        self.base = base; self.totalSteps = totalSteps; self.multipliers = multipliers
    }

    public func lr(at t: Int) -> Double {
        let m = multipliers.count
        guard m > 1, totalSteps > 1 else { return base * multipliers[0] }
        let u = min(max(Double(t) / Double(totalSteps - 1), 0), 1) * Double(m - 1)
        let i = min(Int(u), m - 2), f = u - Double(i)
        return base * (multipliers[i] + f * (multipliers[i + 1] - multipliers[i]))
    }

    /// The paper's two variants: which norm the first pass records, and the weights' power.
    public enum Variant: String, CaseIterable, Sendable {
        case sgd, adam
        public var series: String { self == .sgd ? "batch_grad_norm" : "batch_grad_norm_l1" }
        public var power: Double { self == .sgd ? 2 : 1 }
    }

    /// The upstream run refined: the only one, or the completed one with the lowest final `pickBy`.
    static func pick(_ records: [RunRecord], selection: String, pickBy: String) throws -> RunRecord {
        guard !records.isEmpty else { throw ComponentError("refined: selection '\(selection)' gave no upstream run") }
        if records.count == 1 {
            let r = records[0]
            guard r.status == .completed || r.status == .timeout else {
                throw ComponentError("refined: upstream run \(r.runId) \(r.status.rawValue)\(r.divergedStep.map { " at step \($0)" } ?? ""); its gradient norms do not cover a run")
            }
            return r
        }
        var best: (Double, RunRecord)?
        for r in records where r.status == .completed {
            guard let v = r.metrics.first(where: { $0.name == pickBy })?.values.last, v.isFinite else { continue }
            if best == nil || v < best!.0 { best = (v, r) }
        }
        guard let best else {
            throw ComponentError("refined: none of the \(records.count) upstream runs of selection '\(selection)' completed with a finite final \(pickBy) (is \(pickBy) in run.metrics?)")
        }
        return best.1
    }

    /// The per-step norms of `record`'s series `name`: (fraction of the run, norm) at each
    /// logged step s >= 1 (the value there is the norm of step s - 1's gradient).
    static func norms(_ record: RunRecord, series name: String) throws -> (positions: [Double], norms: [Double]) {
        guard let series = record.metrics.first(where: { $0.name == name }) else {
            throw ComponentError("refined: upstream run \(record.runId) recorded no \(name): add it to run.metrics (and log every step, `log: {every: 1}`)")
        }
        guard series.values.count == record.steps.count, let last = record.steps.last, last >= 1 else {
            throw ComponentError("refined: upstream run \(record.runId) took no step")
        }
        var positions: [Double] = [], norms: [Double] = []
        positions.reserveCapacity(series.values.count); norms.reserveCapacity(series.values.count)
        for (s, v) in zip(record.steps, series.values) where s >= 1 {
            guard v.isFinite, v > 0 else {
                throw ComponentError("refined: upstream run \(record.runId) has \(name) = \(v) at step \(s); the weights need positive, finite norms")
            }
            positions.append(last > 1 ? Double(s - 1) / Double(last - 1) : 0)
            norms.append(v)
        }
        return (positions, norms)
    }

    public static let entry = ScheduleEntry(
        ComponentDecl(.schedule, "refined",
                      doc: "Defazio et al. 2023: the schedule refined from an earlier run's gradient norms (median-filtered, w = G^-2 for SGD, ||g||_1^-1 for Adam), max 1, 0 at the end.",
                      params: [
                          ParamDecl("from", .selection, required: true,
                                    doc: "the selection of first-pass runs whose gradient norms are refined (the best by pick_by when several)"),
                          .choice("variant", Variant.allCases.map(\.rawValue), "sgd",
                                  "sgd: weights ||g||_2^-2 from batch_grad_norm; adam: ||g||_1^-1 from batch_grad_norm_l1 (Adam-type methods)"),
                          .string("metric", nil, "the upstream series read instead of the variant's norm"),
                          .double("filter_width", 0.1, ValueRange(min: 0, max: 1), "median filter width tau as a fraction of training (odd width 2 floor(tau*points/2)+1)"),
                          .int("points", 10_000, ValueRange(min: 2, max: 1_000_000), "the norms are resampled to this many points before filtering (the official code's 10,000) and the schedule is computed on them"),
                          .string("pick_by", "train_loss", "with several upstream runs, the one with the lowest final value of this metric is refined"),
                      ])
    ) { p, ctx in
        let selection = p.string("from"), variant = Variant(rawValue: p.string("variant"))!
        let record = try pick(ctx.upstream[selection] ?? [], selection: selection, pickBy: p.string("pick_by"))
        let (positions, norms) = try norms(record, series: p.optionalString("metric") ?? variant.series)
        let refined = ScheduleRefinement.refine(positions: positions, norms: norms, points: p.int("points"),
                                                filterFraction: p.double("filter_width"), power: variant.power)
        return RefinedSchedule(base: ctx.baseLR, totalSteps: ctx.totalSteps, multipliers: refined.schedule)
    }
}
