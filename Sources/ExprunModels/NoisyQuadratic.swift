import ExprunCore
import Foundation

/// The noisy quadratic of the last-iterate paper's experiment E1 (specs-a section 3):
/// F(x) = (mu/2)||x||^2 with the oracle g = mu x + sigma z.
///
/// The noise draws z are the rows of the named data set's features (synthetic_regression with
/// `condition: 1, basis: axes` gives N(0, I) rows), centred and scaled to unit variance per
/// coordinate when the model is built. Example i is the loss f_i(x) = (mu/2)||x||^2 +
/// sigma z_i . x, so the finite sum is F exactly (the z_i sum to 0), f* = 0 at x* = 0, and
/// sampling with replacement draws z i.i.d. with mean 0 and covariance trace d: E1's closed
/// forms hold exactly for this finite sum, E F(x_{T+1}) = d sigma^2 / (2 mu T) under the step
/// 1/(mu t) for any x_1, and the uniform average's value with the harmonic sums. Every run
/// of a seed sees the same draws, as every run sees the same minibatches.
public final class NoisyQuadraticObjective: Objective {
    public static let kind = "noisy_quadratic"
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "F(x) = (mu/2)||x||^2 with oracle mu x + sigma z, z the standardized feature rows of the data set (E1 of Liu & Zhou); f* = 0",
        params: [ModelSupport.datasetParam,
                 .double("mu", 1, .positive, "curvature: F(x) = (mu/2)||x||^2"),
                 .double("sigma", 1, .nonNegative, "noise level: example i's gradient is mu x + sigma z_i"),
                 .double("x1", 1, .any, "every coordinate of the starting point x_1")])

    public let dimension: Int
    public let sampleCount: Int
    public let mu: Double
    public let sigma: Double
    let start: Double
    /// The standardized draws z_i, row-major n x d: each column has mean 0 and mean square 1.
    public let noise: [Double]
    public let cacheKey: String

    public init(params: Params, dataset: Dataset) throws {
        let kind = Self.kind
        guard case .dense(let m) = dataset.train.features else {
            throw ComponentError("\(kind): the noise rows must be dense features (the data set is sparse)")
        }
        guard m.rows >= 2 else { throw ComponentError("\(kind): needs at least 2 noise rows (has \(m.rows))") }
        let n = m.rows, d = m.cols
        var z = m.values
        for j in 0..<d {
            var mean = 0.0
            for i in 0..<n { mean += z[i * d + j] }
            mean /= Double(n)
            var square = 0.0
            for i in 0..<n {
                z[i * d + j] -= mean
                square += z[i * d + j] * z[i * d + j]
            }
            let scale = (square / Double(n)).squareRoot()
            guard scale > 0, scale.isFinite else {
                throw ComponentError("\(kind): feature column \(j) of the data set is constant or not finite; "
                                     + "it cannot be standardized into noise")
            }
            for i in 0..<n { z[i * d + j] /= scale }
        }
        noise = z
        dimension = d
        sampleCount = n
        mu = params.double("mu")
        sigma = params.double("sigma")
        start = params.double("x1")
        cacheKey = ModelSupport.cacheKey(kind: kind, params: params)
    }

    public var layout: [ParamBlock] { [ParamBlock(name: "x", offset: 0, rows: dimension, cols: 1)] }

    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) { x.update(repeating: start) }

    /// (mu/2)||x||^2 + sigma mean_B(z_i) . x and its gradient mu x + sigma mean_B(z_i).
    public func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                     gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let d = dimension, xp = x.baseAddress!, g = gradient.baseAddress!
        let value = Kernels.startWithRidge(mu, xp, g, d)
        guard rows.count > 0, sigma != 0 else { return value }
        let weight = sigma / Double(rows.count)
        var linear = 0.0
        noise.withUnsafeBufferPointer { zb in
            for i in rows {
                let zi = zb.baseAddress! + i * d
                linear += Kernels.dot(zi, xp, d)
                Kernels.axpy(weight, zi, g, d)
            }
        }
        return value + weight * linear
    }

    /// The value of `batchLossAndGradient` alone.
    public func batchLoss(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double {
        let d = dimension, xp = x.baseAddress!
        let value = mu == 0 ? 0 : 0.5 * mu * Kernels.dot(xp, xp, d)
        guard rows.count > 0, sigma != 0 else { return value }
        let weight = sigma / Double(rows.count)
        var linear = 0.0
        noise.withUnsafeBufferPointer { zb in
            for i in rows { linear += Kernels.dot(zb.baseAddress! + i * d, xp, d) }
        }
        return value + weight * linear
    }

    /// The finite sum is F itself (the draws are centred): (mu/2)||x||^2, gradient mu x.
    public func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        Kernels.startWithRidge(mu, x.baseAddress!, gradient.baseAddress!, dimension)
    }

    public func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double {
        0.5 * mu * Kernels.dot(x.baseAddress!, x.baseAddress!, dimension)
    }

    public func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? { nil }

    /// f* = F(0) = 0, in closed form.
    public func computeOptimalValue() -> Double? { 0 }
}

extension NoisyQuadraticObjective {
    /// Catalogue entry for `noisy_quadratic`.
    public static let entry = ModelEntry(NoisyQuadraticObjective.decl, provides: [.gradient, .hessianVectorProduct]) { params, dataset in
        try NoisyQuadraticObjective(params: params, dataset: dataset)
    }
}
