import ExprunCore
import ExprunModels

/// The nodes' local losses: node i holds rows (A_i, b_i) of a data set and
///
///     f_i(θ) = ½ ||A_i θ - b_i||² + (λ/2) ||θ||²,
///
/// the token minimises the uniform average F(θ) = (1/N) Σ_i f_i(θ) (specs-b section 10's small
/// reproduction: A_i 3 x 5 random rows per node). θ* solves the normal equations
/// (Σ_i A_iᵀA_i + Nλ I) θ = Σ_i A_iᵀ b_i, by Cholesky, once per run.
public final class NodeLosses {
    public let nodeCount: Int
    public let dimension: Int
    /// Node i's rows are `rowStart[i]..<rowStart[i + 1]` of `a` (row-major) and `b`.
    public let rowStart: [Int]
    let a: UnsafeMutableBufferPointer<Double>
    let b: UnsafeMutableBufferPointer<Double>
    public let l2: Double
    public let optimum: [Double]
    /// F(θ*).
    public private(set) var optimalValue = 0.0
    /// The most rows a node holds (the size of a residual buffer).
    public let maxRows: Int

    /// Rows x features a run may densify (the data is copied per run, grouped by node).
    public static let maxValues = 20_000_000
    public static let maxDimension = 2000

    public init(dataset: Dataset, nodes: Int, partition: NodePartition, l2: Double) throws {
        let split = dataset.train
        let n = split.count, d = split.dimension
        guard n >= nodes else {
            throw ComponentError("the data set has \(n) training rows for \(nodes) nodes: every node needs at least one row")
        }
        guard d >= 1, d <= Self.maxDimension else { throw ComponentError("token walks take 1 to \(Self.maxDimension) features, not \(d)") }
        guard n.multipliedReportingOverflow(by: d).partialValue <= Self.maxValues else {
            throw ComponentError("\(n) rows x \(d) features is above the limit of \(Self.maxValues) values")
        }
        // Node of each row, then rows grouped by node in increasing row order.
        func node(_ r: Int) -> Int { partition == .strided ? r % nodes : r * nodes / n }
        var start = [Int](repeating: 0, count: nodes + 1)
        for r in 0..<n { start[node(r) + 1] += 1 }
        for i in 0..<nodes { start[i + 1] += start[i] }
        var fill = Array(start.dropLast())
        a = .allocate(capacity: n * d); a.initialize(repeating: 0)
        b = .allocate(capacity: n); b.initialize(repeating: 0)
        for r in 0..<n {
            let i = node(r), slot = fill[i]
            fill[i] += 1
            b[slot] = split.targets[r]
            switch split.features {
            case .dense(let m): for j in 0..<d { a[slot * d + j] = m.values[r * d + j] }
            case .sparse(let m):
                for k in m.rowStart[r]..<m.rowStart[r + 1] { a[slot * d + Int(m.columns[k])] = m.values[k] }
            }
        }
        nodeCount = nodes; dimension = d; rowStart = start; self.l2 = l2
        maxRows = (0..<nodes).map { start[$0 + 1] - start[$0] }.max() ?? 0

        // Normal equations: H = Σ A_iᵀA_i + Nλ I (upper triangle), g = Σ A_iᵀ b_i.
        var h = [Double](repeating: 0, count: d * d), g = [Double](repeating: 0, count: d)
        for r in 0..<n {
            let row = a.baseAddress! + r * d
            for j in 0..<d {
                g[j] += row[j] * b[r]
                for k in j..<d { h[j * d + k] += row[j] * row[k] }
            }
        }
        for j in 0..<d { h[j * d + j] += Double(nodes) * l2 }
        var theta = [Double](repeating: 0, count: d)
        let zeros = h.withUnsafeMutableBufferPointer { OptimalValueSolvers.choleskyUpper($0.baseAddress!, d) }
        guard zeros == 0 else {
            a.deallocate(); b.deallocate()
            throw ComponentError("the nodes' rows have rank \(d - zeros) < \(d) features: θ* is not unique (set the walk's l2 > 0)")
        }
        h.withUnsafeBufferPointer { hp in g.withUnsafeBufferPointer { gp in theta.withUnsafeMutableBufferPointer {
            OptimalValueSolvers.choleskySolve(hp.baseAddress!, d, gp.baseAddress!, $0.baseAddress!)
        } } }
        optimum = theta
        optimalValue = theta.withUnsafeBufferPointer { objective($0.baseAddress!) }
    }
    deinit { a.deallocate(); b.deallocate() }

    public func rows(of node: Int) -> Int { rowStart[node + 1] - rowStart[node] }

    /// f_i(θ); writes ∇f_i(θ) = A_iᵀ(A_i θ - b_i) + λθ into `gradient`. `residual` holds `maxRows`.
    @inline(__always)
    public func lossAndGradient(_ node: Int, _ theta: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>,
                                residual: UnsafeMutablePointer<Double>) -> Double {
        let d = dimension, first = rowStart[node], m = rowStart[node + 1] - first
        let rows = a.baseAddress! + first * d
        var loss = 0.0
        for r in 0..<m {
            let e = VectorKernels.dot(rows + r * d, theta, d) - b[first + r]
            residual[r] = e
            loss += e * e
        }
        for j in 0..<d { gradient[j] = l2 * theta[j] }
        for r in 0..<m { VectorKernels.axpy(residual[r], rows + r * d, gradient, d) }
        let norm2 = VectorKernels.dot(theta, theta, d)
        return 0.5 * loss + 0.5 * l2 * norm2
    }

    /// F(θ) = (1/N) Σ_i f_i(θ).
    public func objective(_ theta: UnsafePointer<Double>) -> Double {
        let d = dimension
        var squares = 0.0
        for r in 0..<rowStart[nodeCount] {
            let e = VectorKernels.dot(a.baseAddress! + r * d, theta, d) - b[r]
            squares += e * e
        }
        return (0.5 * squares) / Double(nodeCount) + 0.5 * l2 * VectorKernels.dot(theta, theta, d)
    }
}
