import Foundation

/// Matrix-free curvature estimates of a symmetric operator H (a Hessian, through its
/// Hessian-vector products): the largest eigenvalue by power iteration, the trace and the
/// squared Frobenius norm by Hutchinson's estimator, and the spectral density by stochastic
/// Lanczos quadrature (specs-a sections 5 and 6).
///
/// One workspace per run, sized on first use (its Lanczos basis is steps x dimension, bounded
/// by the declared maximum of `lanczos_steps`); the random probes come from the stream the
/// caller passes (the run's seed and a purpose), so results are deterministic.
public final class CurvatureWorkspace {
    public let dimension: Int
    /// H applied to a vector: (v, out) -> out = H v.
    public typealias Operator = (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void

    let v: UnsafeMutableBufferPointer<Double>
    let w: UnsafeMutableBufferPointer<Double>
    /// The Lanczos basis q_1..q_m, row after row (allocated on first use).
    var basis: UnsafeMutableBufferPointer<Double>

    public init(dimension: Int) {
        self.dimension = dimension
        v = .allocate(capacity: max(dimension, 1)); v.initialize(repeating: 0)
        w = .allocate(capacity: max(dimension, 1)); w.initialize(repeating: 0)
        basis = .allocate(capacity: 0)
    }
    deinit { v.deallocate(); w.deallocate(); basis.deallocate() }

    /// The eigenvalue of largest magnitude (λ_max near a minimum, where H ⪰ 0) by power
    /// iteration from a random unit vector: v <- Hv/||Hv||, λ = vᵀHv (the Rayleigh quotient of
    /// the current v), until |λ_k - λ_{k-1}| <= tolerance |λ_k| or `iterations` products.
    /// Returns (λ, the products used). 0 when Hv vanishes.
    public func powerIteration(_ apply: Operator, iterations: Int, tolerance: Double,
                               rng: inout RNG) -> (value: Double, products: Int) {
        let d = dimension
        guard d > 0 else { return (0, 0) }
        for j in 0..<d { v[j] = rng.normal() }
        normalize(v)
        var lambda = Double.nan
        for k in 1...max(1, iterations) {
            apply(UnsafeBufferPointer(v), w)
            let next = dot(v, w)
            let size = norm(w)
            guard size > 0, size.isFinite else { return (size == 0 ? 0 : .nan, k) }
            for j in 0..<d { v[j] = w[j] / size }
            if abs(next - lambda) <= tolerance * abs(next) { return (next, k) }
            lambda = next
        }
        return (lambda, max(1, iterations))
    }

    /// Hutchinson's estimates with `probes` Rademacher vectors z: the trace as the mean of
    /// zᵀHz and the squared Frobenius norm as the mean of ||Hz||² (E zzᵀ = I), and the
    /// standard error of the trace estimate (0 for one probe).
    public func hutchinson(_ apply: Operator, probes: Int,
                           rng: inout RNG) -> (trace: Double, frobeniusSquared: Double, traceStandardError: Double) {
        let d = dimension, k = max(1, probes)
        var sum = 0.0, sumSquares = 0.0, frobenius = 0.0
        for _ in 0..<k {
            for j in 0..<d { v[j] = rng.next() & 1 == 0 ? -1 : 1 }
            apply(UnsafeBufferPointer(v), w)
            let q = dot(v, w)
            sum += q; sumSquares += q * q
            frobenius += dot(w, w)
        }
        let mean = sum / Double(k)
        let variance = k > 1 ? max(0, (sumSquares - Double(k) * mean * mean) / Double(k - 1)) : 0
        return (mean, frobenius / Double(k), (variance / Double(k)).squareRoot())
    }

    /// One Lanczos run of at most `steps` products from a Gaussian probe, fully
    /// reorthogonalised twice against the basis, stopped when β_j < 1e-10 |α_j|: the Ritz
    /// values θ_k (ascending) and the quadrature weights τ_k = U_{1k}² of T_m = U diag(θ) Uᵀ,
    /// which sum to 1. The density of H's spectrum is the average of these measures over probes.
    public func lanczos(_ apply: Operator, steps: Int, rng: inout RNG) -> [(node: Double, weight: Double)] {
        let d = dimension
        let m = min(max(1, steps), d)
        guard d > 0 else { return [] }
        if basis.count < m * d {
            basis.deallocate()
            basis = .allocate(capacity: m * d)
            basis.initialize(repeating: 0)
        }
        let q = basis.baseAddress!
        for j in 0..<d { q[j] = rng.normal() }
        let first = UnsafeMutableBufferPointer(start: q, count: d)
        normalize(first)
        var alpha: [Double] = [], beta: [Double] = []
        for j in 0..<m {
            let qj = q + j * d
            apply(UnsafeBufferPointer(start: qj, count: d), w)
            if j > 0 { VectorKernels.axpy(-beta[j - 1], q + (j - 1) * d, w.baseAddress!, d) }
            let a = VectorKernels.dot(qj, w.baseAddress!, d)
            alpha.append(a)
            VectorKernels.axpy(-a, qj, w.baseAddress!, d)
            for _ in 0..<2 {
                for i in 0...j {
                    let c = VectorKernels.dot(q + i * d, w.baseAddress!, d)
                    VectorKernels.axpy(-c, q + i * d, w.baseAddress!, d)
                }
            }
            let b = norm(w)
            if j == m - 1 || !(b >= 1e-10 * abs(a)) || b == 0 { break }
            beta.append(b)
            for i in 0..<d { q[(j + 1) * d + i] = w[i] / b }
        }
        return Self.ritz(alpha: alpha, beta: beta)
    }

    /// Eigenvalues of the symmetric tridiagonal T = tridiag(β, α, β), ascending, with the
    /// squares of the first components of their unit eigenvectors.
    public static func ritz(alpha: [Double], beta: [Double]) -> [(node: Double, weight: Double)] {
        let m = alpha.count
        guard m > 0 else { return [] }
        var t = [Double](repeating: 0, count: m * m), values = [Double](repeating: 0, count: m)
        var vectors = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            t[i * m + i] = alpha[i]
            if i + 1 < m { t[i * m + i + 1] = beta[i]; t[(i + 1) * m + i] = beta[i] }
        }
        t.withUnsafeMutableBufferPointer { tb in
            values.withUnsafeMutableBufferPointer { vb in
                vectors.withUnsafeMutableBufferPointer { eb in
                    SymmetricEigen.decompose(tb.baseAddress!, m, values: vb.baseAddress!, vectors: eb.baseAddress!)
                }
            }
        }
        return (0..<m).map { k in (values[k], vectors[k] * vectors[k]) }.sorted { $0.node < $1.node }
    }

    /// A histogram of the mean of several quadrature measures: `bins` equal bins spanning the
    /// smallest to the largest node (widened by 1e-12 relative so both fall inside, and to a
    /// unit width around a single value), each holding the total weight of the nodes in it
    /// divided by the number of measures (so the masses sum to 1). Returns (masses, edges).
    public static func histogram(_ measures: [[(node: Double, weight: Double)]], bins: Int) -> (masses: [Double], edges: [Double]) {
        let nodes = measures.flatMap { $0.map(\.node) }.filter(\.isFinite)
        let k = max(1, bins)
        guard let low = nodes.min(), let high = nodes.max(), !measures.isEmpty else {
            return ([Double](repeating: .nan, count: k), [Double](repeating: .nan, count: k + 1))
        }
        let pad = high > low ? 1e-12 * max(abs(low), abs(high), high - low) : 0.5
        let a = low - pad, b = high + pad
        let width = (b - a) / Double(k)
        let edges = (0...k).map { i in i == k ? b : a + Double(i) * width }
        var masses = [Double](repeating: 0, count: k)
        for measure in measures {
            for (node, weight) in measure where node.isFinite {
                let i = min(k - 1, max(0, Int((node - a) / width)))
                masses[i] += weight / Double(measures.count)
            }
        }
        return (masses, edges)
    }

    private func dot(_ a: UnsafeMutableBufferPointer<Double>, _ b: UnsafeMutableBufferPointer<Double>) -> Double {
        VectorKernels.dot(a.baseAddress!, b.baseAddress!, dimension)
    }
    private func norm(_ a: UnsafeMutableBufferPointer<Double>) -> Double { dot(a, a).squareRoot() }
    private func normalize(_ a: UnsafeMutableBufferPointer<Double>) {
        let s = norm(a)
        if s > 0 { for j in 0..<dimension { a[j] /= s } }
    }
}
