import ExprunCore
import Foundation

/// Logistic loss log(1 + exp(-y z)) for labels y in {-1, +1}, computed as softplus(-y z).
public struct LogisticLoss: MarginLoss {
    @inlinable @inline(__always) public static func value(_ z: Double, _ y: Double) -> Double {
        Kernels.softplus(-y * z)
    }
    @inlinable @inline(__always) public static func derivative(_ z: Double, _ y: Double) -> Double {
        -y * Kernels.sigmoid(-y * z)
    }
    /// One exp for both: with t = -y z and e = exp(-|t|), softplus(t) = max(t, 0) + log1p(e)
    /// and sigmoid(t) = 1/(1+e) for t >= 0, e/(1+e) otherwise (the same stable forms as
    /// Kernels.softplus and Kernels.sigmoid, which compute exp(-|t|) separately).
    @inlinable @inline(__always)
    public static func valueAndDerivative(_ z: Double, _ y: Double) -> (value: Double, derivative: Double) {
        let t = -y * z
        let e = exp(-abs(t))
        let s = t >= 0 ? 1 / (1 + e) : e / (1 + e)
        return ((t > 0 ? t : 0) + log1p(e), -y * s)
    }
}

/// Binary logistic regression: f(x) = (1/n) sum_i log(1 + exp(-y_i a_i . x)) + (l2/2)||x||^2.
public final class LogisticObjective: MarginObjective {
    public static let kind = "logistic"
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "binary logistic regression (labels -1/+1); f* by Newton or L-BFGS to ||grad||^2/(2 l2) <= 1e-10 (needs l2 > 0)",
        params: [ModelSupport.datasetParam, ModelSupport.l2Param])
    /// Newton's method (an O(n d^2) Hessian per step) is used up to this dimension, L-BFGS above.
    public static let newtonMaxDimension = 500

    let core: MarginCore<LogisticLoss>
    public let cacheKey: String

    public init(params: Params, dataset: Dataset) throws {
        let kind = Self.kind
        switch dataset.task {
        case .binary: break
        case .regression:
            throw ComponentError("\(kind): the data set has real-valued targets; logistic regression needs -1/+1 labels "
                                 + "(use least_squares for regression)")
        case .multiclass(let k):
            throw ComponentError("\(kind): the data set is multiclass (\(k) classes); logistic is binary "
                                 + "(use softmax for multiclass)")
        }
        try ModelSupport.requireFinite(dataset.train, kind: kind, name: "training")
        try ModelSupport.requireSignLabels(dataset.train.targets, kind: kind, split: "training")
        if let t = dataset.test { try ModelSupport.requireSignLabels(t.targets, kind: kind, split: "test") }
        core = MarginCore(dataset: dataset, l2: params.double("l2"), classifies: true)
        cacheKey = ModelSupport.cacheKey(kind: kind, params: params)
    }


    /// f* certified by ||grad||^2 / (2 l2) <= 1e-10 (l2-strong convexity); nil when l2 == 0,
    /// where the minimum may not be attained (separable data) and nothing certifies it.
    public func computeOptimalValue() -> Double? {
        let d = core.dimension, n = core.n, l2 = core.l2
        guard l2 > 0 else { return nil }
        let fg: OptimalValueSolvers.ValueAndGradient = { x, g in self.core.full(x, gradient: g) }
        let x0 = [Double](repeating: 0, count: d)
        if d <= Self.newtonMaxDimension {
            var weights = [Double](repeating: 0, count: n)
            return OptimalValueSolvers.newton(d, mu: l2, x0: x0, fg: fg, hessian: { x, h in
                // H = (1/n) sum_i s_i (1 - s_i) a_i a_i^T + l2 I, s_i = sigmoid(y_i a_i . x).
                weights.withUnsafeMutableBufferPointer { wb in
                    let w = wb.baseAddress!
                    self.core.train.margins(x, w)
                    for i in 0..<n {
                        let s = Kernels.sigmoid(w[i])
                        w[i] = s * (1 - s)
                    }
                    self.core.train.addGramUpper(scale: 1 / Double(n), weights: w, h)
                }
                for j in 0..<d { h[j * d + j] += l2 }
            })
        }
        return OptimalValueSolvers.lbfgs(d, mu: l2, x0: x0, fg: fg)
    }
}

extension LogisticObjective {
    /// Catalogue entry for `logistic`.
    public static let entry = ModelEntry(LogisticObjective.decl, provides: [.gradient, .targetSpace, .hessianVectorProduct]) { params, dataset in
        try LogisticObjective(params: params, dataset: dataset)
    }
}
