import ExprunCore
import ExprunOptim

/// SPSA / MeZO (Spall 1992; Malladi et al. 2023): per step, n directions z_k regenerated from
/// their seeds, the two-point scalars g_k = (L(x + εz_k) - L(x - εz_k)) / (2ε) on the step's
/// minibatch, and the estimate ĝ = (1/n) Σ g_k z_k.
///
/// Without `transforms` the update is MeZO-SGD in place, z regenerated once more:
/// x <- x - lr_t (ĝ + wd x), holding no vector at all (restore: regenerate) or one backup copy.
/// With `transforms` (any chain of the library: scale_by_adam, trace, clipping, ...) ĝ is
/// written into one gradient buffer and handed to that chain: MeZO-Adam, MeZO-momentum.
public final class MeZO: ZerothOrderMethod {
    public let dimension: Int
    let eps: Double, weightDecay: Double
    let directions: Int
    let direction: Direction
    let schedule: any Schedule
    let chain: (any Optimizer)?
    let seed: UInt64
    let backup: UnsafeMutablePointer<Double>?
    let gradient: UnsafeMutableBufferPointer<Double>?
    /// The scalars of the last step (one per direction).
    let scalars: UnsafeMutablePointer<Double>
    var lr = 0.0
    /// The last step's projected-gradient scalars' mean square (a log-point counter).
    public private(set) var lastScalar = Double.nan

    public init(dimension: Int, eps: Double, directions: Int, direction: Direction, weightDecay: Double,
                backup: Bool, schedule: any Schedule, chain: (any Optimizer)?, seed: UInt64) {
        self.dimension = dimension; self.eps = eps; self.directions = directions; self.direction = direction
        self.weightDecay = weightDecay; self.schedule = schedule; self.chain = chain; self.seed = seed
        self.backup = backup ? .allocate(capacity: dimension) : nil
        gradient = chain == nil ? nil : .allocate(capacity: dimension)
        gradient?.initialize(repeating: 0)
        scalars = .allocate(capacity: directions); scalars.initialize(repeating: 0, count: directions)
    }
    deinit { backup?.deallocate(); gradient?.deallocate(); scalars.deallocate() }

    public var currentLR: Double { lr }
    /// The vectors held besides x: the backup copy (restore: backup) and the gradient buffer
    /// and the chain's state (with transforms); 0 for in-place MeZO-SGD.
    public var stateSize: Int {
        (backup == nil ? 0 : dimension) + (gradient == nil ? 0 : dimension) + (chain?.stateSize ?? 0) + directions
    }
    public static let counters = [CounterDecl("projected_grad", "MeZO: the first direction's projected-gradient scalar of the last step")]
    public func counter(_ index: Int) -> Double { lastScalar }

    public func step(_ x: UnsafeMutableBufferPointer<Double>, t: Int,
                     loss: (UnsafeMutableBufferPointer<Double>, Int) -> Double) {
        let n = dimension, p = x.baseAddress!
        for k in 0..<directions {
            let s = Direction.seed(seed, round: t, machine: 0, sample: k)
            scalars[k] = direction.projectedGradient(x, eps: eps, seed: s, backup: backup, batch: 0, loss: loss)
        }
        lastScalar = scalars[0]
        if let chain, let g = gradient {
            for i in 0..<n { g[i] = 0 }
            for k in 0..<directions {
                direction.add(scalars[k] / Double(directions), seed: Direction.seed(seed, round: t, machine: 0, sample: k),
                              to: g.baseAddress!, n)
            }
            chain.step(x, gradient: g, t: t)
            lr = chain.currentLR
            return
        }
        lr = schedule.lr(at: t)
        if weightDecay != 0 { for i in 0..<n { p[i] -= lr * weightDecay * p[i] } }
        for k in 0..<directions {
            direction.add(-lr * scalars[k] / Double(directions),
                          seed: Direction.seed(seed, round: t, machine: 0, sample: k), to: p, n)
        }
    }
}

public extension MeZO {
    /// Catalogue entry for `mezo`.
    static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "mezo",
                      doc: "SPSA / MeZO: two-point estimates along n seeded directions regenerated in place (no parameter copy), then SGD in place or any transform chain (MeZO-Adam...); 2n minibatch losses per step, no gradient",
                      params: [
                          .double("lr", 1e-3, .nonNegative, "learning rate (the base of the schedule)").logScale(),
                          .reference("schedule", .schedule, required: false, "name of a schedule for the lr (constant lr when absent)"),
                          .double("eps", 1e-3, .positive, "perturbation scale ε"),
                          .int("directions", 1, ValueRange(min: 1, max: 10_000), "directions n per step (n-SPSA), all on the step's minibatch"),
                          .choice("direction", Direction.allCases.map(\.rawValue), "gaussian", "distribution of z"),
                          .double("weight_decay", 0, .nonNegative, "MeZO's decay: x -= lr (ĝ + wd x) (without transforms)"),
                          .choice("restore", ["regenerate", "backup"], "regenerate",
                                  "restore x after the two evaluations by adding εz back (no copy; rounding drift ~ulp) or from a backup copy (d floats)"),
                          ParamDecl("transforms", .componentList(.transform),
                                    doc: "optional first-order chain fed with the estimate ĝ (see `chain`): e.g. [scale_by_adam] for MeZO-Adam; absent: in-place MeZO-SGD"),
                      ],
                      check: ChainSpec.checkTransforms, counters: MeZO.counters),
        needs: []) { p, ctx in
        var chain: (any Optimizer)?
        if let v = p["transforms"] {
            switch ChainSpec.resolve(v) {
            case .success(let spec): chain = Chain(spec.build(ctx), schedule: ctx.schedule, layout: ctx.layout)
            case .failure(let problems): throw ComponentError("mezo: transforms: \(problems)")
            }
        }
        return MeZO(dimension: ctx.dimension, eps: p.double("eps"), directions: p.int("directions"),
                    direction: Direction(rawValue: p.string("direction"))!, weightDecay: p.double("weight_decay"),
                    backup: p.string("restore") == "backup", schedule: ctx.schedule, chain: chain, seed: ctx.seed)
    }
}
