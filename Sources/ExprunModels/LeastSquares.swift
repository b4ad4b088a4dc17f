import ExprunCore
import Foundation

/// Squared loss 0.5 (z - y)^2.
public struct SquaredLoss: MarginLoss {
    @inlinable @inline(__always) public static func value(_ z: Double, _ y: Double) -> Double {
        let r = z - y
        return 0.5 * r * r
    }
    @inlinable @inline(__always) public static func derivative(_ z: Double, _ y: Double) -> Double { z - y }
}

/// Linear least squares (ridge when l2 > 0):
/// f(x) = (1/n) sum_i 0.5 (a_i . x - y_i)^2 + (l2/2)||x||^2.
/// On binary data it regresses on the -1/+1 labels and reports sign accuracy.
public final class LeastSquaresObjective: MarginObjective {
    public static let kind = "least_squares"
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "linear least squares (ridge with l2 > 0); f* in closed form by Cholesky of the normal equations",
        params: [ModelSupport.datasetParam, ModelSupport.l2Param])
    /// Above this dimension f* is found by conjugate gradient instead of a dense Cholesky.
    public static let choleskyMaxDimension = 2000

    let core: MarginCore<SquaredLoss>
    public let cacheKey: String

    public init(params: Params, dataset: Dataset) throws {
        let kind = Self.kind
        switch dataset.task {
        case .regression: break
        case .binary:
            try ModelSupport.requireSignLabels(dataset.train.targets, kind: kind, split: "training")
            if let t = dataset.test { try ModelSupport.requireSignLabels(t.targets, kind: kind, split: "test") }
        case .multiclass(let k):
            throw ComponentError("\(kind): the data set is multiclass (\(k) classes); least squares fits real "
                                 + "targets or -1/+1 labels (use softmax for multiclass)")
        }
        try ModelSupport.requireFinite(dataset.train, kind: kind, name: "training")
        if let t = dataset.test { try ModelSupport.requireFinite(t, kind: kind, name: "test") }
        core = MarginCore(dataset: dataset, l2: params.double("l2"), classifies: dataset.task == .binary)
        cacheKey = ModelSupport.cacheKey(kind: kind, params: params)
    }


    /// The minimiser solves (A^T A / n + l2 I) x = A^T y / n. Up to `choleskyMaxDimension`
    /// the system is factored (semidefinite Cholesky, so l2 = 0 with a rank-deficient A still
    /// gives a minimiser) and refined twice with the exact full gradient; above it, conjugate
    /// gradient runs until the certificate ||grad||^2 / (2 l2) <= 1e-10 (nil when l2 == 0 there).
    public func computeOptimalValue() -> Double? {
        let d = core.dimension, n = core.n, l2 = core.l2
        var x = [Double](repeating: 0, count: d), g = x, step = x
        var b = [Double](repeating: 0, count: d)
        // b = A^T y / n
        core.trainY.withUnsafeBufferPointer { y in
            for i in 0..<n { core.scratch[i] = y[i] / Double(n) }
        }
        b.withUnsafeMutableBufferPointer { core.train.addTransposeTimes(core.scratch, $0.baseAddress!) }

        if d <= Self.choleskyMaxDimension {
            var h = [Double](repeating: 0, count: d * d)
            return h.withUnsafeMutableBufferPointer { hb -> Double? in
                let h = hb.baseAddress!
                core.train.addGramUpper(scale: 1 / Double(n), weights: nil, h)
                for j in 0..<d { h[j * d + j] += l2 }
                OptimalValueSolvers.choleskyUpper(h, d)
                return x.withUnsafeMutableBufferPointer { xb -> Double? in
                    let xp = xb.baseAddress!
                    b.withUnsafeBufferPointer { OptimalValueSolvers.choleskySolve(h, d, $0.baseAddress!, xp) }
                    // Iterative refinement: a Newton step with the gradient from the data itself
                    // removes the error of forming A^T A.
                    var f = 0.0
                    g.withUnsafeMutableBufferPointer { gb in
                        step.withUnsafeMutableBufferPointer { sb in
                            for _ in 0..<2 {
                                f = core.full(xp, gradient: gb.baseAddress!)
                                OptimalValueSolvers.choleskySolve(h, d, gb.baseAddress!, sb.baseAddress!)
                                for j in 0..<d { xp[j] -= sb[j] }
                            }
                            f = core.full(xp, gradient: gb.baseAddress!)
                        }
                    }
                    guard f.isFinite else { return nil }
                    // With l2 > 0 the result is also certified; with l2 == 0 it is the closed form.
                    if l2 > 0 && !OptimalValueSolvers.certified(g.reduce(0) { $0 + $1 * $1 }, mu: l2) { return nil }
                    return f
                }
            }
        }
        guard l2 > 0 else { return nil }
        let f: Double? = x.withUnsafeMutableBufferPointer { xb -> Double? in
            let xp = xb.baseAddress!
            var av = [Double](repeating: 0, count: n)
            av.withUnsafeMutableBufferPointer { avb in
                let ap = avb.baseAddress!
                b.withUnsafeBufferPointer { bb in
                    OptimalValueSolvers.conjugateGradient(d, apply: { v, out in
                        // out = A^T A v / n + l2 v
                        core.train.margins(v, ap)
                        for i in 0..<n { ap[i] /= Double(n) }
                        Kernels.scaleCopy(l2, v, out, d)
                        core.train.addTransposeTimes(ap, out)
                    }, bb.baseAddress!, xp, residualTarget: (2e-10 * l2).squareRoot() * 0.1, maxIterations: 20 * d + 1000)
                }
            }
            return g.withUnsafeMutableBufferPointer { gb in
                let f = core.full(xp, gradient: gb.baseAddress!)
                return OptimalValueSolvers.certified(Kernels.dot(gb.baseAddress!, gb.baseAddress!, d), mu: l2) ? f : nil
            }
        }
        return f
    }
}

extension LeastSquaresObjective {
    /// Catalogue entry for `least_squares`.
    public static let entry = ModelEntry(LeastSquaresObjective.decl, provides: [.gradient, .targetSpace, .hessianVectorProduct]) { params, dataset in
        try LeastSquaresObjective(params: params, dataset: dataset)
    }
}
