import Foundation

/// The self-repellent transition kernel of SA-SRRW (Doshi et al. 2023; Hu, Doshi, Eun 2024):
///
///     K_ij[x] = P_ij (x_j / μ_j)^(-α) / Σ_k P_ik (x_k / μ_k)^(-α)
///
/// over the support of the base chain's row i (node i itself included when P_ii > 0). α = 0
/// is the base chain; K[μ] = P for any α; a larger α pushes the token away from nodes visited
/// more than their target share.
public struct SelfRepellentKernel: Sendable {
    public let chain: BaseChain
    public let alpha: Double
    public init(chain: BaseChain, alpha: Double) { self.chain = chain; self.alpha = alpha }

    /// The longest row (1 + the largest degree): the size of a weight buffer.
    public var maxRowLength: Int {
        (0..<chain.nodeCount).map { chain.rowStart[$0 + 1] - chain.rowStart[$0] }.max() ?? 0
    }

    /// Writes the unnormalised weights of row i into `weights` (row order) and returns their sum.
    ///
    /// With α = 0 the weights are P's row itself, bit for bit. Otherwise they are computed in the
    /// log domain against the smallest log(x_j/μ_j) of the row: the largest weight is then P_ij
    /// itself, so the sum is positive and nothing overflows however small x_j gets early on.
    @inline(__always)
    public func weights(row i: Int, logRatio: UnsafeMutableBufferPointer<Double>,
                        into weights: UnsafeMutableBufferPointer<Double>) -> Double {
        let start = chain.rowStart[i], end = chain.rowStart[i + 1]
        var total = 0.0
        chain.probabilities.withUnsafeBufferPointer { p in
            chain.columns.withUnsafeBufferPointer { c in
                if alpha == 0 {
                    for k in start..<end { weights[k - start] = p[k]; total += p[k] }
                    return
                }
                var least = Double.infinity
                for k in start..<end where p[k] > 0 { least = min(least, logRatio[Int(c[k])]) }
                for k in start..<end {
                    let w = p[k] > 0 ? p[k] * exp(-alpha * (logRatio[Int(c[k])] - least)) : 0
                    weights[k - start] = w
                    total += w
                }
            }
        }
        return total
    }

    /// Row i of K[x] as probabilities over the nodes of the row (`chain.columns`), for a visit
    /// measure x in the open simplex: what `weights` samples from, normalised (tests, checks).
    public func row(_ i: Int, x: [Double]) -> [Double] {
        let n = chain.nodeCount
        let logRatio = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
        defer { logRatio.deallocate() }
        for j in 0..<n { logRatio[j] = log(x[j]) - log(chain.target[j]) }
        let length = chain.rowStart[i + 1] - chain.rowStart[i]
        let w = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, length))
        defer { w.deallocate() }
        let total = weights(row: i, logRatio: logRatio, into: w)
        return (0..<length).map { w[$0] / total }
    }

    /// K[x] as a dense row-major n x n matrix.
    public func dense(x: [Double]) -> [Double] {
        let n = chain.nodeCount
        var k = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            let r = row(i, x: x)
            for (e, v) in r.enumerated() { k[i * n + Int(chain.columns[chain.rowStart[i] + e])] += v }
        }
        return k
    }
}
