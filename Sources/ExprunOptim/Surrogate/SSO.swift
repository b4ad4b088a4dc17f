import ExprunCore
import Foundation

/// SSO, the target-based surrogate method of Lavington, Vaswani, Babanezhad, Schmidt and
/// Le Roux, "Target-based Surrogates for Stochastic Optimization" (ICML 2023).
///
/// Outer step t on the batch S (size b), with eta = eta_t from the schedule:
///   1. f^t_i = f_i(x_t) and g_i = grad l_i(f^t_i) for i in S: the one expensive call.
///   2. The surrogate, in units of the batch objective (so that Q_t(x_t) is the minibatch
///      objective and Q_t majorizes it when eta <= 1/beta):
///        Q_t(v) = L_S(x_t) + (1/b) sum_i [<g_i, f_i(v) - f^t_i> + ||f_i(v) - f^t_i||^2 / (2 eta)]
///                 + (ridge/2)||v||^2
///      = (1/(2 eta b)) sum_i ||f_i(v) - z_i||^2 + (ridge/2)||v||^2 + const,  z_i = f^t_i - eta g_i
///      (an SGD step in target space). The regulariser is kept exact: it is cheap.
///   3. m inner steps from v_0 = x_t on Q_t (cheap: Jacobian products only), x_{t+1} = v_m.
///      - gd: v <- v - inner_lr grad Q_t(v).
///      - armijo (the paper's lsopt): s starts at s_prev * 2^(b/n), s_prev = armijo_init at the
///        start of every outer step; backtrack s <- armijo_decay s while
///        Q(v - s d) > Q(v) - armijo_c s ||d||^2 (at most armijo_max_backtracks tries, stop
///        below 1e-6); then v <- v - s d even if the test still fails, as the reference does.
///      - cg: conjugate gradient on the quadratic Q_t; with m >= dimension it is an exact
///        solve (up to inner_tol), i.e. projected SGD in target space.
///      Every inner method stops early when ||grad Q_t(v)|| <= inner_tol.
///
/// Equivalences (tested): grad Q_t(x_t) = grad of the minibatch objective at x_t, so m = 1
/// with inner gd and inner_lr = alpha is exactly SGD with lr alpha, whatever eta is; with an
/// exact inner solve and ridge = 0, f(x_{t+1}) is the projection of z onto the realizable
/// targets on the batch (projected SGD in target space). Full batch with eta <= 1/beta is
/// majorization-minimization: L(x_{t+1}) <= Q_t(x_{t+1}), so any inner method that does not
/// increase Q_t decreases L monotonically; violations are counted (`mm_violations`).
///
/// Targets are linear in x for every `TargetModel` here, so f(v - s d) = f(v) - s J d: one
/// Jacobian-vector product per inner step makes every Armijo trial O(1) (Q is exactly
/// quadratic along d: Q(v - s d) = Q(v) - s||d||^2 + s^2 B).
public final class SSO: TargetSpaceOptimizer {
    public enum Inner: String, Sendable { case gd, armijo, cg }

    public static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "sso",
                      doc: "Target-based surrogate optimization (SSO, Lavington et al. 2023): one target-space gradient per batch, then inner_steps cheap steps on the surrogate; needs a model with a target space (least_squares, logistic, softmax).",
                      params: [
                          .double("lr", 1, .positive, "eta: the target-space step (z = f - eta grad_f l); the surrogate's proximity weight is 1/(2 eta). Full batch with eta <= 1/beta (beta: 1 squared, 1/4 logistic, 1/2 softmax) is majorization-minimization.").logScale(),
                          Preset.schedule,
                          .int("inner_steps", 5, .atLeastOne, "m: inner steps on the surrogate per expensive gradient."),
                          .choice("inner", ["armijo", "gd", "cg"], "armijo", "Inner optimizer: Armijo line search (the paper's), gradient descent with inner_lr, or conjugate gradient (exact solve with inner_steps >= dimension)."),
                          .double("inner_lr", 0.1, .positive, "Step size of inner gd (m = 1 with inner gd is SGD with lr = inner_lr)."),
                          .double("inner_tol", 1e-6, .nonNegative, "Inner loop stops when ||grad of the surrogate|| <= inner_tol."),
                          .double("armijo_c", 0.1, ValueRange(min: 0, max: 1, minOpen: true, maxOpen: true), "Armijo sufficient-decrease constant c."),
                          .double("armijo_decay", 0.9, ValueRange(min: 0, max: 1, minOpen: true, maxOpen: true), "Backtracking factor."),
                          .double("armijo_init", 10, .positive, "Initial inner step at every outer step (the next inner step starts from the last one times 2^(b/n))."),
                          .int("armijo_max_backtracks", 100, .atLeastOne, "Backtracking tries per inner step."),
                      ],
                      counters: SSO.counters),
        needs: [.targetSpace]
    ) { p, ctx in
        try SSO(params: p, context: ctx)
    }

    /// What SSO counts, read at log points as metrics of these names (specs-a section 1 logs
    /// inner steps, backtracks and the accepted inner step per outer step).
    public static let counters: [CounterDecl] = [
        CounterDecl("inner_steps", "cumulative cheap inner steps on the surrogate (sso; NaN for other optimizers)"),
        CounterDecl("armijo_backtracks", "sso with inner armijo: cumulative backtracking steps s <- armijo_decay s over all inner steps (NaN for inner gd or cg)"),
        CounterDecl("accepted_inner_lr", "sso: the inner step size s of the last inner step taken (the Armijo-accepted one, or inner_lr for inner gd; NaN for cg and before the first inner step)"),
        CounterDecl("surrogate_before", "sso: surrogate at x_t in batch-objective units (= the minibatch objective), last outer step"),
        CounterDecl("surrogate_after", "sso: surrogate at x_{t+1} after the inner loop, last outer step"),
        CounterDecl("mm_violations", "sso, full batch with eta <= 1/beta: cumulative violations of majorization or monotone decrease (0 expected; NaN on minibatches, where it is not checked)",
                    finalAttribute: true),
    ]

    let schedule: any Schedule
    public let inner: Inner
    public let innerSteps: Int
    public let innerLR: Double
    public let innerTol: Double
    public let armijoC: Double
    public let armijoDecay: Double
    public let armijoInit: Double
    public let maxBacktracks: Int
    /// The reference stops backtracking below this step.
    public static let minArmijoStep = 1e-6
    public private(set) var currentLR: Double
    let dimension: Int

    // Parameter-space scratch (dimension each): d (the surrogate gradient), and CG's p, Hp.
    let d: UnsafeMutableBufferPointer<Double>
    let p: UnsafeMutableBufferPointer<Double>
    let hp: UnsafeMutableBufferPointer<Double>
    // Target-space scratch (b x k each), sized at the first step and grown only if the batch
    // grows: f^t, g^t, delta = f(v) - f^t, e = J d, w = g + delta / eta.
    var targetCapacity = 0
    var ft = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
    var gt = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
    var delta = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
    var e = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
    var w = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)

    // Full-batch majorization-minimization check: the previous full-batch step's guarantee.
    var previousMM: (loss: Double, before: Double, after: Double)?
    public private(set) var mmViolations = 0
    /// Whether the run is full batch (mm_violations is checked only there: NaN otherwise).
    let fullBatchRun: Bool
    // Counters (see `counters`).
    public private(set) var totalInnerSteps = 0
    public private(set) var totalBacktracks = 0
    public private(set) var acceptedInnerLR = Double.nan
    var lastBefore = Double.nan, lastAfter = Double.nan

    public init(params: Params, context: OptimizerContext) throws {
        schedule = Preset.schedule(params, context)
        guard let inner = Inner(rawValue: params.string("inner")) else {
            throw ComponentError("sso: unknown inner optimizer \(params.string("inner"))")
        }
        self.inner = inner
        innerSteps = params.int("inner_steps")
        innerLR = params.double("inner_lr")
        innerTol = params.double("inner_tol")
        armijoC = params.double("armijo_c")
        armijoDecay = params.double("armijo_decay")
        armijoInit = params.double("armijo_init")
        maxBacktracks = params.int("armijo_max_backtracks")
        dimension = context.dimension
        fullBatchRun = context.fullBatch
        currentLR = schedule.lr(at: 0)
        let size = max(1, context.dimension)
        func vector() -> UnsafeMutableBufferPointer<Double> {
            let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: size)
            b.initialize(repeating: 0)
            return b
        }
        d = vector(); p = vector(); hp = vector()
    }

    deinit {
        d.deallocate(); p.deallocate(); hp.deallocate()
        if targetCapacity > 0 { for b in [ft, gt, delta, e, w] { b.deallocate() } }
    }

    public func counter(_ index: Int) -> Double {
        switch index {
        case 0: return Double(totalInnerSteps)
        case 1: return inner == .armijo ? Double(totalBacktracks) : .nan
        case 2: return acceptedInnerLR
        case 3: return lastBefore
        case 4: return lastAfter
        case 5: return fullBatchRun ? Double(mmViolations) : .nan
        default: return .nan
        }
    }

    /// Floats held: three parameter-space vectors and five target-space batch buffers.
    public var stateSize: Int { 3 * dimension + 5 * targetCapacity }

    private func reserveTargets(_ count: Int) {
        guard count > targetCapacity else { return }
        if targetCapacity > 0 { for b in [ft, gt, delta, e, w] { b.deallocate() } }
        func buffer() -> UnsafeMutableBufferPointer<Double> {
            let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
            b.initialize(repeating: 0)
            return b
        }
        ft = buffer(); gt = buffer(); delta = buffer(); e = buffer(); w = buffer()
        targetCapacity = count
    }

    @inline(__always)
    private static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        VectorKernels.dot(a, b, n)
    }

    /// Q_t(v) from delta = f(v) - f^t (see the type's doc).
    @inline(__always)
    private func surrogate(batchLoss: Double, v: UnsafePointer<Double>, eta: Double, ridge: Double, bk: Int, b: Int) -> Double {
        let lin = Self.dot(gt.baseAddress!, delta.baseAddress!, bk)
        let quad = Self.dot(delta.baseAddress!, delta.baseAddress!, bk)
        let reg = ridge == 0 ? 0 : 0.5 * ridge * Self.dot(v, v, dimension)
        return batchLoss + (lin + quad / (2 * eta)) / Double(b) + reg
    }

    /// d = grad Q_t(v) = (1/b) J^T (g + delta / eta) + ridge v; returns ||d||^2.
    @inline(__always)
    private func surrogateGradient(_ v: UnsafePointer<Double>, rows: UnsafeBufferPointer<Int>, model: any TargetModel,
                                   eta: Double, ridge: Double, bk: Int) -> Double {
        let inv = 1 / eta
        for j in 0..<bk { w[j] = gt[j] + delta[j] * inv }
        model.pullback(UnsafeBufferPointer(w), rows: rows, into: d)
        if ridge != 0 { for j in 0..<dimension { d[j] += ridge * v[j] } }
        return Self.dot(d.baseAddress!, d.baseAddress!, dimension)
    }

    public func step(_ x: UnsafeMutableBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                     model: any TargetModel, t: Int) -> TargetStepReport {
        let eta = schedule.lr(at: t)
        currentLR = eta
        let b = rows.count, k = model.targetDimension, bk = b * k
        let n = model.sampleCount, ridge = model.ridge
        reserveTargets(max(1, bk))
        let xp = x.baseAddress!
        let xc = UnsafeBufferPointer(x)
        let ftv = UnsafeMutableBufferPointer(rebasing: ft[0..<bk])
        let gtv = UnsafeMutableBufferPointer(rebasing: gt[0..<bk])
        let deltaP = delta.baseAddress!, eP = e.baseAddress!

        // The expensive call.
        model.targets(xc, rows: rows, into: ftv)
        let loss = model.targetLossGradient(UnsafeBufferPointer(ftv), rows: rows, into: gtv)
        let batchLoss = loss + (ridge == 0 ? 0 : 0.5 * ridge * Self.dot(xp, xp, dimension))
        for j in 0..<bk { deltaP[j] = 0 }

        // Full batch: check the previous step's majorization (L(x_t) <= Q_{t-1}(x_t)) and,
        // when the inner loop did not increase Q_{t-1}, the monotone decrease it implies.
        let fullBatch = b == n
        if fullBatch, let prev = previousMM {
            let tol = 1e-10 * max(1, abs(batchLoss))
            if batchLoss > prev.after + tol || (prev.after <= prev.before && batchLoss > prev.loss + tol) {
                mmViolations += 1
            }
        }
        let before = batchLoss
        var steps = 0, pullbacks = 0
        let tolSquared = innerTol * innerTol
        let invB = 1 / Double(b)

        switch inner {
        case .gd, .armijo:
            var sPrev = armijoInit
            let expand = exp2(Double(b) / Double(max(1, n)))
            while steps < innerSteps {
                let dd = surrogateGradient(xp, rows: rows, model: model, eta: eta, ridge: ridge, bk: bk)
                pullbacks += 1
                if dd <= tolSquared { break }
                var s = innerLR
                if inner == .armijo {
                    model.pushforward(UnsafeBufferPointer(d), rows: rows, into: e)
                    // Q(v - s d) = Q(v) - s dd + s^2 B: exact, the targets being linear in v.
                    let curvature = Self.dot(eP, eP, bk) * invB / (2 * eta) + 0.5 * ridge * dd
                    s = sPrev * expand
                    var tries = 0
                    // Armijo fails while -s dd + s^2 B > -c s dd, i.e. s B > (1 - c) dd.
                    while s * curvature > (1 - armijoC) * dd && tries < maxBacktracks && s >= Self.minArmijoStep {
                        s *= armijoDecay
                        tries += 1
                    }
                    sPrev = s
                    totalBacktracks += tries
                } else {
                    model.pushforward(UnsafeBufferPointer(d), rows: rows, into: e)
                }
                for j in 0..<dimension { xp[j] -= s * d[j] }
                for j in 0..<bk { deltaP[j] -= s * eP[j] }
                acceptedInnerLR = s
                steps += 1
            }
        case .cg:
            // Minimise the quadratic Q_t: H u = (1/(eta b)) J^T J u + ridge u.
            var rr = surrogateGradient(xp, rows: rows, model: model, eta: eta, ridge: ridge, bk: bk)
            pullbacks += 1
            let r = d   // r = -grad Q: kept negated in place below
            for j in 0..<dimension { r[j] = -r[j]; p[j] = r[j] }
            let inv = 1 / eta
            while steps < innerSteps && rr > tolSquared {
                model.pushforward(UnsafeBufferPointer(p), rows: rows, into: e)
                for j in 0..<bk { w[j] = eP[j] * inv }
                model.pullback(UnsafeBufferPointer(w), rows: rows, into: hp)
                pullbacks += 1
                if ridge != 0 { for j in 0..<dimension { hp[j] += ridge * p[j] } }
                let pHp = Self.dot(p.baseAddress!, hp.baseAddress!, dimension)
                guard pHp > 0 else { break }
                let alpha = rr / pHp
                for j in 0..<dimension { xp[j] += alpha * p[j]; r[j] -= alpha * hp[j] }
                for j in 0..<bk { deltaP[j] += alpha * eP[j] }
                let rrNext = Self.dot(r.baseAddress!, r.baseAddress!, dimension)
                let beta = rrNext / rr
                rr = rrNext
                for j in 0..<dimension { p[j] = r[j] + beta * p[j] }
                steps += 1
            }
        }
        let after = surrogate(batchLoss: loss, v: xp, eta: eta, ridge: ridge, bk: bk, b: b)
        // The guarantee holds for eta <= 1/beta; a larger eta is not majorization.
        previousMM = fullBatch && eta * model.targetSmoothness <= 1 ? (batchLoss, before, after) : nil
        totalInnerSteps += steps
        lastBefore = before; lastAfter = after
        return TargetStepReport(batchLoss: batchLoss, innerSteps: steps, pullbacks: pullbacks,
                                surrogateBefore: before, surrogateAfter: after, mmViolations: mmViolations)
    }
}
