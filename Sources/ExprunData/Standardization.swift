import ExprunCore

/// Z-scoring of dense features with statistics of the training split only, so no test
/// information leaks into training (sklearn's StandardScaler: population std, ddof = 0).
/// Constant columns are centred to 0 and left there.
public struct Standardization: Sendable {
    public var mean: [Double]
    /// 1/std per column, 0 for a constant column.
    public var inverseScale: [Double]

    /// Column means and standard deviations of `m` (two passes, for accuracy).
    public init(fitting m: DenseMatrix) {
        let n = m.rows, d = m.cols
        var mean = [Double](repeating: 0, count: d)
        var lowest = [Double](repeating: .infinity, count: d)
        var highest = [Double](repeating: -.infinity, count: d)
        for i in 0..<n {
            for j in 0..<d {
                let x = m.values[i * d + j]
                mean[j] += x
                lowest[j] = min(lowest[j], x); highest[j] = max(highest[j], x)
            }
        }
        for j in 0..<d { mean[j] /= Double(max(n, 1)) }
        var sumSquares = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d {
                let r = m.values[i * d + j] - mean[j]
                sumSquares[j] += r * r
            }
        }
        // A column is constant when its min equals its max: testing the computed variance
        // against 0 would fail, since the rounded mean differs from the constant by an ulp.
        inverseScale = (0..<d).map { j in
            lowest[j] == highest[j] ? 0 : 1 / (sumSquares[j] / Double(n)).squareRoot()
        }
        self.mean = mean
    }

    /// (x - mean) / std, column by column.
    public func apply(_ m: DenseMatrix) -> DenseMatrix {
        var out = m
        let d = m.cols
        for i in 0..<m.rows {
            for j in 0..<d { out.values[i * d + j] = (m.values[i * d + j] - mean[j]) * inverseScale[j] }
        }
        return out
    }
}
