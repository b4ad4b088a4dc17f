import ExprunCore

/// tpSGD (Lomnitz et al. 2022) and DRTP (Frenkel et al. 2021): training an MLP without
/// end-to-end backpropagation (specs-b section 5). Each hidden layer i has a fixed random
/// matrix P_i (h_i x C, never trained); the layer is trained by SGD on a local loss of its
/// output h_i against the target t_i = P_i y* (y* the one-hot label), from forward
/// quantities only, and the output layer on the model's own loss (softmax - y* for
/// cross-entropy): no gradient crosses a layer, and no activation is kept beyond the layer
/// being trained.
///
/// `rule`: `mse` (1/2 ||h - t||^2, e = h - t), `l1` (||h - t||_1, e = sign(h - t)), `drtp`
/// (the pseudo-gradient at h is P_i y*: the mse rule with the h term dropped, t = -P_i y*),
/// `shallow` (the hidden layers stay at their initial weights; only the output layer is
/// trained), and `backprop` (the model's gradient, plain SGD: the baseline, in the same
/// method so one sweep axis compares all five on the same memory counters).
///
/// `order`: `layerwise` (default, the paper's reading: each layer is updated right after its
/// output is computed, and the next layer reads that output recomputed with the updated
/// weights) or `after_forward` (every layer's update from the one forward pass at x_t).
///
/// Projections: `gaussian` N(0, 1/C) (tpSGD; the spec leaves the scale open), or
/// `kaiming_uniform` U(-sqrt(6/h_i), sqrt(6/h_i)) (torch's kaiming_uniform_ on the C x h_i
/// feedback matrix of the DRTP code), times `projection_scale`; `auto` picks kaiming_uniform
/// for drtp and gaussian otherwise. They come from `projection_seed`, fixed across run seeds as
/// the MLP's init_seed is, so all runs of a sweep share them.
public final class TPSGD: ModelBoundOptimizer {
    public enum Rule: String, Sendable, CaseIterable { case mse, l1, drtp, shallow, backprop }

    public static let counters: [CounterDecl] = [
        CounterDecl("local_step_floats", "tpsgd: floats of the buffers one step of the method holds (activations, deltas, labels, gradient) for the run's batch", finalAttribute: true),
        CounterDecl("backprop_step_floats", "tpsgd: floats one backpropagation step of the same model holds for the same batch (every layer's activations, deltas, the whole gradient)", finalAttribute: true),
        CounterDecl("local_loss", "tpsgd: mean over the trained hidden layers of their local loss on the last batch (NaN for drtp, shallow, backprop)"),
        CounterDecl("alignment_mean", "tpsgd: mean over hidden layers of the cosine between the method's weight update and the backprop gradient of that layer (at the last alignment check; NaN without alignment_every)"),
        CounterDecl("alignment_layer1", "tpsgd: cosine between the first hidden layer's local update and its backprop gradient (last alignment check)"),
    ]

    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "tpsgd",
                      doc: "tpSGD / DRTP (specs-b 5): layer-local training of an MLP on fixed random projections of the label, forward only (rules mse, l1, drtp, shallow, backprop); counts the step's buffers against backprop's",
                      params: [
                          .double("lr", 0.05, .positive, "SGD step of every layer's local update (base of the schedule)").logScale(),
                          Preset.schedule,
                          .choice("rule", Rule.allCases.map(\.rawValue), "mse",
                                  "hidden-layer signal: mse (tpSGD), l1 (tpSGD), drtp, shallow (hidden layers frozen), backprop (the baseline)"),
                          .choice("order", ["layerwise", "after_forward"], "layerwise",
                                  "layerwise: update each layer right after its output and pass on the recomputed output; after_forward: all updates from one forward pass"),
                          .choice("projection", ["auto", "gaussian", "kaiming_uniform"], "auto",
                                  "distribution of the fixed matrices P_i: gaussian N(0, 1/C), kaiming_uniform U(+-sqrt(6/h_i)); auto: kaiming_uniform for drtp, else gaussian"),
                          .double("projection_scale", 1, .positive, "multiplier of every P_i"),
                          .int("projection_seed", 0, .nonNegative, "seed of the P_i (fixed across run seeds)"),
                          .int("alignment_every", 0, .nonNegative,
                               "every this many steps, also compute the backprop gradient of the batch and the cosine of each layer's update with it (0: never; costs one backprop)"),
                      ],
                      counters: TPSGD.counters),
        needs: [.layerwiseTargets]
    ) { p, ctx in
        try TPSGD(params: p, context: ctx)
    }

    let schedule: any Schedule
    let rule: Rule
    let recompute: Bool
    let projectionKind: String
    let projectionScale: Double
    let projectionSeed: UInt64
    let alignmentEvery: Int
    let dimension: Int
    let layout: [ParamBlock]
    public private(set) var currentLR: Double

    private var model: (any LayerwiseTargetModel)?
    private var signals: [LocalSignal] = []
    /// One h_i x C matrix per hidden layer.
    private var projections: [UnsafeMutablePointer<Double>] = []
    private var projectionViews: [UnsafePointer<Double>] = []
    private var alignmentLosses: UnsafeMutablePointer<Double>?
    private var localLosses: UnsafeMutablePointer<Double>?
    /// Scratch for the backprop rule's gradient and the alignment check (d floats each).
    private var gradient: UnsafeMutableBufferPointer<Double>?
    private var pseudoGradient: UnsafeMutableBufferPointer<Double>?
    private var localFloats = Double.nan, backpropFloats = Double.nan
    private var lastLocalLoss = Double.nan, alignmentMean = Double.nan, alignmentFirst = Double.nan

    public init(params: Params, context: OptimizerContext) throws {
        schedule = Preset.schedule(params, context)
        guard let r = Rule(rawValue: params.string("rule")) else { throw ComponentError("tpsgd: unknown rule") }
        rule = r
        recompute = params.string("order") == "layerwise"
        let kind = params.string("projection")
        projectionKind = kind == "auto" ? (r == .drtp ? "kaiming_uniform" : "gaussian") : kind
        projectionScale = params.double("projection_scale")
        projectionSeed = UInt64(params.int("projection_seed"))
        alignmentEvery = params.int("alignment_every")
        dimension = context.dimension
        layout = context.layout
        currentLR = schedule.lr(at: 0)
    }

    deinit {
        for p in projections { p.deallocate() }
        localLosses?.deallocate(); alignmentLosses?.deallocate(); gradient?.deallocate(); pseudoGradient?.deallocate()
    }

    /// Floats held as state: the fixed projections (they are part of the method, like moments).
    public var stateSize: Int { model.map { m in (1..<(m.layerWidths.count - 1)).reduce(0) { $0 + m.layerWidths[$1] * m.labelWidth } } ?? 0 }

    public func bind(to objective: any Objective, batchSize: Int) throws {
        guard let m = objective as? any LayerwiseTargetModel else {
            throw ComponentError("tpsgd needs a layered model trainable on local targets (mlp)")
        }
        guard batchSize <= m.localBatchLimit else {
            throw ComponentError("tpsgd: a local step takes at most \(m.localBatchLimit) rows for this model; set run.batch_size to at most that")
        }
        model = m
        try m.prepareLocalSteps()
        let widths = m.layerWidths, c = m.labelWidth, hidden = widths.count - 2
        let signal: LocalSignal = switch rule {
        case .mse: .mse
        case .l1: .l1
        case .drtp: .drtp
        case .shallow, .backprop: .frozen
        }
        signals = [LocalSignal](repeating: signal, count: hidden)
        let root = RNG(seed: projectionSeed, purpose: "tpsgd:projections(\(projectionKind))")
        projections = (0..<hidden).map { i in
            let rows = widths[i + 1], count = rows * c
            let p = UnsafeMutablePointer<Double>.allocate(capacity: count)
            var rng = root.split("layer\(i + 1)")
            if projectionKind == "gaussian" {
                let std = projectionScale / Double(c).squareRoot()
                for j in 0..<count { p[j] = std * rng.normal() }
            } else {
                let bound = projectionScale * (6 / Double(rows)).squareRoot()
                for j in 0..<count { p[j] = bound * (2 * rng.uniform() - 1) }
            }
            return p
        }
        projectionViews = projections.map { UnsafePointer($0) }
        localLosses = .allocate(capacity: max(hidden, 1))
        localLosses!.initialize(repeating: .nan, count: max(hidden, 1))
        alignmentLosses = .allocate(capacity: max(hidden, 1))
        alignmentLosses!.initialize(repeating: .nan, count: max(hidden, 1))
        if rule == .backprop || alignmentEvery > 0 {
            gradient = .allocate(capacity: dimension); gradient!.initialize(repeating: 0)
        }
        if alignmentEvery > 0 { pseudoGradient = .allocate(capacity: dimension); pseudoGradient!.initialize(repeating: 0) }
    }

    public func step(_ x: UnsafeMutableBufferPointer<Double>, rows: UnsafeBufferPointer<Int>, t: Int) -> Double {
        let model = self.model.unsafelyUnwrapped
        let lr = schedule.lr(at: t)
        currentLR = lr
        if localFloats.isNaN {
            localFloats = Double(rule == .backprop ? model.backpropStepFloats(batch: rows.count) : model.localStepFloats(batch: rows.count))
            backpropFloats = Double(model.backpropStepFloats(batch: rows.count))
        }
        if rule == .backprop {
            let g = gradient.unsafelyUnwrapped
            let loss = model.batchLossAndGradient(UnsafeBufferPointer(x), rows: rows, gradient: g)
            if alignmentEvery > 0 && t % alignmentEvery == 0 { alignmentMean = 1; alignmentFirst = 1 }
            VectorKernels.axpy(-lr, g.baseAddress!, x.baseAddress!, dimension)
            return loss
        }
        if alignmentEvery > 0 && t % alignmentEvery == 0 { measureAlignment(x, rows: rows, model: model) }
        let loss = model.localStep(x, rows: rows, projections: projectionViews, signals: signals, lr: lr, recompute: recompute,
                                   pseudoGradient: nil, localLosses: localLosses!)
        var sum = 0.0, count = 0
        for i in 0..<signals.count where !localLosses![i].isNaN { sum += localLosses![i]; count += 1 }
        lastLocalLoss = count > 0 ? sum / Double(count) : .nan
        return loss
    }

    /// Cosine, per hidden layer, between the local update from x_t (all layers from one
    /// forward pass) and the backprop gradient of the same batch.
    private func measureAlignment(_ x: UnsafeMutableBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                  model: any LayerwiseTargetModel) {
        let g = gradient!, p = pseudoGradient!
        _ = model.batchLossAndGradient(UnsafeBufferPointer(x), rows: rows, gradient: g)
        // Frozen layers write nothing: their cosine is 0/0, NaN.
        p.update(repeating: 0)
        _ = model.localStep(x, rows: rows, projections: projectionViews, signals: signals, lr: 0,
                            recompute: false, pseudoGradient: p, localLosses: alignmentLosses!)
        var sum = 0.0
        for i in 0..<signals.count {
            // Layer i + 1's weight block (the layout lists weight then bias per layer).
            let block = layout[2 * i]
            let a = g.baseAddress! + block.offset, b = p.baseAddress! + block.offset
            let cosine = VectorKernels.dot(a, b, block.count) / (VectorKernels.norm(a, block.count) * VectorKernels.norm(b, block.count))
            if i == 0 { alignmentFirst = cosine }
            sum += cosine
        }
        alignmentMean = signals.isEmpty ? .nan : sum / Double(signals.count)
    }

    public func counter(_ index: Int) -> Double {
        switch index {
        case 0: return localFloats
        case 1: return backpropFloats
        case 2: return lastLocalLoss
        case 3: return alignmentMean
        case 4: return alignmentFirst
        default: return .nan
        }
    }
}
