import ExprunCore
import Foundation

/// Hinge loss max(0, 1 - y z) for labels y in {-1, +1}. Its subgradient is -y while the
/// margin y z is below 1 and 0 from the kink y z == 1 on: at the kink 0 is the element of the
/// subdifferential [-y, 0] of least norm, so a point where every margin sits at 1 is
/// stationary for the oracle as it is for the objective.
public struct HingeLoss: MarginLoss {
    @inlinable @inline(__always) public static func value(_ z: Double, _ y: Double) -> Double {
        max(0, 1 - y * z)
    }
    @inlinable @inline(__always) public static func derivative(_ z: Double, _ y: Double) -> Double {
        y * z < 1 ? -y : 0
    }
}

/// Linear SVM: f(x) = (1/n) sum_i max(0, 1 - y_i a_i . x) + (l2/2)||x||^2.
public final class HingeObjective: MarginObjective {
    public static let kind = "hinge"
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "linear SVM (hinge loss, labels -1/+1); f* by SDCA to a duality gap <= 1e-10 (needs l2 > 0)",
        params: [ModelSupport.datasetParam, ModelSupport.l2Param,
                 .int("sdca_max_epochs", 5000, .atLeastOne,
                      "epochs SDCA may run to certify f*; when the gap is still above 1e-10 f* is left unknown")])

    let core: MarginCore<HingeLoss>
    let maxEpochs: Int
    public let cacheKey: String

    public init(params: Params, dataset: Dataset) throws {
        let kind = Self.kind
        switch dataset.task {
        case .binary: break
        case .regression:
            throw ComponentError("\(kind): the data set has real-valued targets; the hinge loss needs -1/+1 labels")
        case .multiclass(let k):
            throw ComponentError("\(kind): the data set is multiclass (\(k) classes); the hinge model is binary "
                                 + "(use softmax for multiclass)")
        }
        try ModelSupport.requireFinite(dataset.train, kind: kind, name: "training")
        try ModelSupport.requireSignLabels(dataset.train.targets, kind: kind, split: "training")
        if let t = dataset.test { try ModelSupport.requireSignLabels(t.targets, kind: kind, split: "test") }
        core = MarginCore(dataset: dataset, l2: params.double("l2"), classifies: true)
        maxEpochs = params.optionalInt("sdca_max_epochs") ?? 5000
        cacheKey = ModelSupport.cacheKey(kind: kind, params: params)
    }


    /// The result of an SDCA solve: primal and dual values at the last iterate and its minimiser.
    public struct DualSolution {
        public var primal: Double
        public var dual: Double
        public var gap: Double { primal - dual }
        public var weights: [Double]
        public var epochs: Int
    }

    /// Stochastic dual coordinate ascent (Shalev-Shwartz & Zhang, JMLR 2013) for the hinge
    /// loss. With beta_i = alpha_i y_i in [0, 1], w(beta) = (1/(l2 n)) sum_i beta_i y_i a_i and
    /// D(beta) = (1/n) sum_i beta_i - (l2/2)||w(beta)||^2 <= f* <= P(w). Each coordinate step
    /// maximises D exactly: beta_i <- clip(beta_i + l2 n (1 - y_i a_i . w) / ||a_i||^2, 0, 1).
    /// Every epoch w is rebuilt from beta (so it matches beta exactly, not up to the drift of
    /// the incremental updates) and the gap P(w) - D(beta) is checked against `gapTarget`.
    public func solveDual(gapTarget: Double = 1e-10, maxEpochs: Int? = nil) -> DualSolution? {
        let d = core.dimension, n = core.n, lambda = core.l2
        guard lambda > 0, n > 0 else { return nil }
        let epochsCap = maxEpochs ?? self.maxEpochs
        var w = [Double](repeating: 0, count: d)
        var beta = [Double](repeating: 0, count: n)
        var norms = [Double](repeating: 0, count: n)
        var order = Array(0..<n)
        var rng = RNG(seed: 0, purpose: "sdca")
        let scale = 1 / (lambda * Double(n))
        var result: DualSolution?
        w.withUnsafeMutableBufferPointer { wb in
            beta.withUnsafeMutableBufferPointer { bb in
                norms.withUnsafeMutableBufferPointer { nb in
                    order.withUnsafeMutableBufferPointer { ob in
                        core.trainY.withUnsafeBufferPointer { yb in
                            let w = wb.baseAddress!, beta = bb.baseAddress!, q = nb.baseAddress!, y = yb.baseAddress!
                            core.train.rowNormsSquared(q)
                            // A zero row only adds the constant loss 1 and cannot move w: its
                            // dual variable sits at the bound that maximises D.
                            for i in 0..<n where q[i] == 0 { beta[i] = 1 }
                            func epoch<R: RowAccess>(_ a: R) {
                                rng.shuffle(ob)
                                for i in ob where q[i] > 0 {
                                    let margin = y[i] * a.dot(i, w)
                                    let updated = min(1, max(0, beta[i] + (1 - margin) / (q[i] * scale)))
                                    let delta = updated - beta[i]
                                    if delta != 0 {
                                        beta[i] = updated
                                        a.axpy(i, delta * y[i] * scale, w)
                                    }
                                }
                            }
                            for e in 1...epochsCap {
                                switch core.train {
                                case .dense(let m): m.withRows { epoch($0) }
                                case .sparse(let m): m.withRows { epoch($0) }
                                }
                                // Rebuild w = A^T (beta .* y) / (l2 n) and evaluate the gap.
                                var sumBeta = 0.0
                                for i in 0..<n {
                                    sumBeta += beta[i]
                                    core.scratch[i] = beta[i] * y[i] * scale
                                }
                                w.update(repeating: 0, count: d)
                                core.train.addTransposeTimes(core.scratch, w)
                                let ww = Kernels.dot(w, w, d)
                                let primal = core.full(w, gradient: nil)
                                let dual = sumBeta / Double(n) - 0.5 * lambda * ww
                                if primal - dual <= gapTarget || e == epochsCap {
                                    result = DualSolution(primal: primal, dual: dual, weights: Array(wb), epochs: e)
                                    break
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// f* = P(w) at the SDCA iterate whose duality gap is at most 1e-10; nil when l2 == 0 or
    /// the gap was not reached within `sdca_max_epochs`.
    public func computeOptimalValue() -> Double? {
        guard let s = solveDual(), s.gap <= 1e-10 else { return nil }
        return s.primal
    }
}

extension HingeObjective {
    /// Catalogue entry for `hinge`.
    public static let entry = ModelEntry(HingeObjective.decl) { params, dataset in
        try HingeObjective(params: params, dataset: dataset)
    }
}
