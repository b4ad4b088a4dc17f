import ExprunCore
import Foundation

/// The cone decomposition that turns a gated-ReLU solution into a ReLU network (Mishkin,
/// Sahiner & Pilanci 2022, "Fast Convex Optimization for Two-Layer ReLU Networks"; their code
/// is pilancilab/scnn). Gated neuron u_i (pattern D_i) is written as u_i = v_i - w_i with v_i,
/// w_i in the cone K_i = {w : (2 D_i - I) X w >= 0}; then (X v_i)_+ - (X w_i)_+ = D_i X u_i on
/// every training row, so the ReLU network with neurons (v_i, +1) and (w_i, -1) has the gated
/// model's predictions, and its objective is the gated loss plus beta sum_i (||v_i|| + ||w_i||)
/// >= the gated regulariser beta sum_i ||u_i|| (the price of the decomposition).
///
/// Methods:
/// - `exact` (default): the paper's decomposition program, min sum_i ||v_i|| + ||w_i|| over
///   exact decompositions (scnn's CVXPY `MinL2Decomposition`; its interior-point
///   `ExactConeDecomposition` is declared but not implemented), per neuron by the barrier
///   method of `ConeDecompositionBarrier` to a duality gap of `tol` * ||u_i||. A neuron whose
///   generator h_i lies on its cone's boundary (X h_i has a zero entry, only on degenerate data)
///   has no interior start: it is counted in `undecomposed` and written as (u_i, 0), whose cone
///   violation `violation` then reports.
/// - `approximate`: scnn's `ApproximateConeDecomposition` (`ConeDecompositionQuadratic`), the
///   one-sided quadratic penalty min_w 1/2 sum_i ||(max(0, -X~_i u_i) - X~_i w_i)_+||^2 +
///   rho sum_i ||w_i|| by scnn's FISTA, v_i = u_i + w_i: feasible only in the limit, its
///   leftover violation reported as is.
///
/// `pairs` holds the result as the constrained program's groups (2P x p: v_1..v_P, w_1..w_P),
/// so ADMM's recovery writes the network. All buffers are allocated at construction.
public final class ConeDecomposition {
    public enum Method: String, CaseIterable, Sendable { case exact, approximate }

    public let program: ConvexReLUProgram
    public let method: Method
    public let tol: Double
    let k: Int, p: Int, n: Int
    /// 2P x p: v_1..v_P, then w_1..w_P.
    let pairs: UnsafeMutablePointer<Double>
    /// The gated model's predictions (n).
    let gated: UnsafeMutablePointer<Double>
    let barrier: ConeDecompositionBarrier
    let quadratic: ConeDecompositionQuadratic?
    /// Neurons left undecomposed at the last call (exact: generator on the boundary).
    public private(set) var undecomposed = 0
    /// Neurons of each kind at the last call: already in K_i or -K_i, and solved.
    public private(set) var trivial = 0, solved = 0
    /// Largest violation of (2D_i - I) X v_i >= 0 and (2D_i - I) X w_i >= 0 at the last call.
    public private(set) var violation = Double.nan
    /// max_r |ReLU network output - gated prediction| over the training rows at the last call.
    public private(set) var residual = Double.nan
    /// sum_i ||v_i|| + ||w_i|| and sum_i ||u_i|| at the last call.
    public private(set) var pairNorms = Double.nan, gatedNorms = Double.nan
    private let all: [UnsafeMutablePointer<Double>]

    public init(program: ConvexReLUProgram, method: Method, tol: Double, rho: Double, maxIterations: Int) {
        self.program = program; self.method = method; self.tol = tol
        n = program.n; p = program.p; k = program.patterns
        pairs = Kernels.zeroedBuffer(2 * k * p); gated = Kernels.zeroedBuffer(n)
        all = [pairs, gated]
        barrier = ConeDecompositionBarrier(n: n, p: p)
        quadratic = method == .approximate
            ? ConeDecompositionQuadratic(program: program, rho: rho, tol: tol, maxIterations: maxIterations) : nil
    }
    deinit { for b in all { b.deallocate() }; barrier.deallocate() }

    /// Decomposes the gated solution u (P x p), then measures the result against it.
    public func decompose(_ u: UnsafePointer<Double>) {
        undecomposed = 0; trivial = 0; solved = 0
        let w = pairs + k * p
        if let quadratic {
            quadratic.solve(u)
            for j in 0..<(k * p) { w[j] = quadratic.w[j]; pairs[j] = u[j] + w[j] }
        } else {
            let c = program.columns
            program.generators.withUnsafeBufferPointer { gens in
                for i in 0..<k {
                    let ui = u + i * p, vi = pairs + i * p, wi = w + i * p
                    guard Kernels.dot(ui, ui, p) > 0 else {
                        vi.update(repeating: 0, count: p); wi.update(repeating: 0, count: p)
                        continue
                    }
                    switch barrier.solve(x: program.x, mask: program.fmask + i, stride: c, u: ui, generator: gens.baseAddress! + i * p,
                                         tol: tol, v: vi, w: wi) {
                    case .trivialPositive, .trivialNegative: trivial += 1
                    case .solved: solved += 1
                    case .generatorOnBoundary:
                        undecomposed += 1
                        vi.update(from: ui, count: p); wi.update(repeating: 0, count: p)
                    }
                }
            }
        }
        measure(u)
    }

    /// Cone violation, prediction residual and norms of `pairs` against u.
    private func measure(_ u: UnsafePointer<Double>) {
        _ = program.objective(u, groups: k)
        for r in 0..<n { gated[r] = program.residual[r] + program.y[r] }
        gatedNorms = program.groupNorms(u, groups: k)
        pairNorms = program.groupNorms(pairs, groups: 2 * k)
        residual = program.reluMismatch(pairs, reference: gated)
        violation = program.coneViolationFromProducts(groups: 2 * k)
        guard method == .approximate else { return }
        // The penalty method has no per-neuron verdict: a neuron is undecomposed when v_i or w_i
        // leaves its cone at all.
        let c = program.columns
        for i in 0..<k {
            var worst = 0.0
            for r in 0..<n {
                let g = program.gsign[r * c + i]
                worst = max(worst, -g * program.xu[r * c + i], -g * program.xu[r * c + k + i])
            }
            if worst > 0 { undecomposed += 1 }
        }
    }

    /// The ReLU network of `pairs` in a relu2 parameter vector of width m >= 2P.
    public func writeNetwork(into net: UnsafeMutablePointer<Double>, width m: Int) {
        program.recoverNetwork(pairs, groups: 2 * k, signs: { [k] j in (1, j < k ? 1 : -1) }, into: net, width: m)
    }

    /// Floats held (pairs, predictions, the barrier's scratch, the quadratic method's state).
    public var stateSize: Int {
        let q = p + 2
        return 2 * k * p + n + 2 * n + n * p + 2 * p + 5 * q + q * q + (quadratic?.stateSize ?? 0)
    }
}
