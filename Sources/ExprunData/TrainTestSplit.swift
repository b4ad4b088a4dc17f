import ExprunCore

/// Row indices of a train/test split drawn by a seeded permutation.
public struct TrainTestSplit: Sendable, Equatable {
    /// Train rows, ascending (so the training data keeps its file order).
    public var train: [Int]
    /// Test rows, ascending.
    public var test: [Int]

    /// Splits `count` rows: the test part takes round(testFraction * count) rows (at least 1
    /// when testFraction > 0 and count >= 2; at most count - 1, so training is never empty),
    /// chosen as the first rows of a permutation drawn from RNG(seed:, purpose: "split").
    public init(count: Int, testFraction: Double, seed: UInt64) {
        var testCount = Int((testFraction * Double(count)).rounded())
        if testFraction > 0, count >= 2 { testCount = max(testCount, 1) }
        testCount = max(0, min(testCount, count - 1))
        if testCount == 0 {
            train = Array(0..<count); test = []
            return
        }
        var order = Array(0..<count)
        var rng = RNG(seed: seed, purpose: "split")
        order.withUnsafeMutableBufferPointer { rng.shuffle($0) }
        test = order[0..<testCount].sorted()
        train = order[testCount...].sorted()
    }
}

/// The rows `rows` of a feature matrix, in that order, in the same storage.
public func selectRows(_ features: FeatureMatrix, _ rows: [Int]) -> FeatureMatrix {
    switch features {
    case .dense(let m):
        var values = [Double](repeating: 0, count: rows.count * m.cols)
        values.withUnsafeMutableBufferPointer { out in
            m.values.withUnsafeBufferPointer { src in
                for (k, r) in rows.enumerated() {
                    let from = src.baseAddress! + r * m.cols
                    (out.baseAddress! + k * m.cols).update(from: from, count: m.cols)
                }
            }
        }
        return .dense(DenseMatrix(rows: rows.count, cols: m.cols, values: values))
    case .sparse(let m):
        var rowStart = [Int](repeating: 0, count: rows.count + 1)
        for (k, r) in rows.enumerated() { rowStart[k + 1] = rowStart[k] + (m.rowStart[r + 1] - m.rowStart[r]) }
        var columns = [Int32](repeating: 0, count: rowStart[rows.count])
        var values = [Double](repeating: 0, count: rowStart[rows.count])
        for (k, r) in rows.enumerated() {
            let a = m.rowStart[r], b = m.rowStart[r + 1], to = rowStart[k]
            for j in 0..<(b - a) { columns[to + j] = m.columns[a + j]; values[to + j] = m.values[a + j] }
        }
        return .sparse(CSRMatrix(rows: rows.count, cols: m.cols, rowStart: rowStart, columns: columns, values: values))
    }
}

/// The examples `rows` of a split.
public func selectRows(_ split: DataSplit, _ rows: [Int]) -> DataSplit {
    DataSplit(features: selectRows(split.features, rows), targets: rows.map { split.targets[$0] })
}
