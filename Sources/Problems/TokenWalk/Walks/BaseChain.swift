import COpenBLAS
import ExprunCore

/// The token's base Markov chain on a graph: reversible, with stationary distribution μ.
public enum BaseChainKind: String, Sendable, CaseIterable {
    /// Metropolis-Hastings towards the uniform target: P_ij = min(1/d_i, 1/d_j) for neighbours,
    /// P_ii = 1 - Σ_j P_ij (the MHRW of the paper; μ uniform).
    case metropolisHastings = "mhrw"
    /// The simple random walk: P_ij = 1/d_i, no holding; μ_i = d_i / 2|E|.
    case simple = "srw"
}

/// A base chain's sparse rows: row i lists node i itself first (the holding probability), then
/// its neighbours in the graph's order, so every entry of K[x] lines up with an entry here.
public struct BaseChain: Sendable {
    public let kind: BaseChainKind
    public let nodeCount: Int
    /// Row i is `rowStart[i]..<rowStart[i + 1]`.
    public let rowStart: [Int]
    public let columns: [Int32]
    public let probabilities: [Double]
    /// The stationary distribution μ (the target of the walk).
    public let target: [Double]

    public init(_ graph: Graph, kind: BaseChainKind) {
        let n = graph.nodeCount
        var rowStart = [0], columns: [Int32] = [], probabilities: [Double] = []
        rowStart.reserveCapacity(n + 1)
        columns.reserveCapacity(graph.neighbors.count + n)
        probabilities.reserveCapacity(graph.neighbors.count + n)
        for i in 0..<n {
            let di = Double(graph.degree(i))
            let selfIndex = probabilities.count
            columns.append(Int32(i)); probabilities.append(0)
            var moving = 0.0
            for k in graph.offsets[i]..<graph.offsets[i + 1] {
                let j = Int(graph.neighbors[k])
                let p: Double
                switch kind {
                case .metropolisHastings: p = min(1 / di, 1 / Double(graph.degree(j)))
                case .simple: p = 1 / di
                }
                columns.append(Int32(j)); probabilities.append(p)
                moving += p
            }
            // Holding probability; clamped so rounding never makes it negative (SRW: exactly 0).
            probabilities[selfIndex] = kind == .simple ? 0 : max(0, 1 - moving)
            rowStart.append(probabilities.count)
        }
        switch kind {
        case .metropolisHastings: target = [Double](repeating: 1 / Double(n), count: n)
        case .simple:
            let total = Double(graph.neighbors.count)
            target = (0..<n).map { Double(graph.degree($0)) / total }
        }
        self.kind = kind; self.nodeCount = n; self.rowStart = rowStart; self.columns = columns
        self.probabilities = probabilities
    }

    /// P as a dense row-major n x n matrix (tests, the spectral gap, `exprun graph`).
    public func dense() -> [Double] {
        var p = [Double](repeating: 0, count: nodeCount * nodeCount)
        for i in 0..<nodeCount {
            for k in rowStart[i]..<rowStart[i + 1] { p[i * nodeCount + Int(columns[k])] += probabilities[k] }
        }
        return p
    }

    /// Largest node count whose spectrum is computed (a dense eigenvalue problem, O(n³)).
    public static let maxSpectralNodes = 2000

    /// The eigenvalues of P in increasing order, from the symmetric D^{1/2} P D^{-1/2}
    /// (D = diag μ; P is reversible, so that matrix is symmetric with P's spectrum), by LAPACK
    /// dsyev. nil above `maxSpectralNodes` nodes or when LAPACK fails.
    public func eigenvalues() -> [Double]? {
        let n = nodeCount
        guard n >= 1, n <= Self.maxSpectralNodes else { return nil }
        var s = dense()
        let root = target.map { $0.squareRoot() }
        for i in 0..<n { for j in 0..<n { s[i * n + j] *= root[i] / root[j] } }
        // Symmetrise the rounding so LAPACK reads one consistent triangle.
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { let m = (s[i * n + j] + s[j * n + i]) / 2; s[i * n + j] = m; s[j * n + i] = m } }
        var w = [Double](repeating: 0, count: n)
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0, lwork = Int32(-1)
        var query = 0.0
        dsyev_("N", "U", &nn, &s, &lda, &w, &query, &lwork, &info, 1, 1)
        guard info == 0 else { return nil }
        lwork = Int32(max(1, Int(query)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dsyev_("N", "U", &nn, &s, &lda, &w, &work, &lwork, &info, 1, 1)
        return info == 0 ? w : nil
    }

    /// 1 - λ_2 (the spectral gap) and 1 - max(λ_2, |λ_n|) (the absolute spectral gap, which
    /// sets the mixing time; 0 for the SRW of a bipartite graph, which is periodic).
    public func spectralGaps() -> (gap: Double, absolute: Double)? {
        guard let w = eigenvalues(), w.count >= 2 else { return nil }
        let second = w[w.count - 2]
        return (1 - second, 1 - max(second, abs(w[0])))
    }
}
