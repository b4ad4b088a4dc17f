import COpenBLAS
import ExprunCore
import Foundation

/// The convex program of a two-layer ReLU network over sampled activation patterns (Pilanci &
/// Ergen 2020; Bai, Gautam, Sojoudi 2022; specs-b section 12), on the training data X (n x p,
/// a ones column appended for the bias) and targets y:
///
///     min  (1/(2n)) || sum_i D_i X (v_i - w_i) - y ||^2 + beta sum_i (||v_i|| + ||w_i||)
///     s.t. (2 D_i - I) X v_i >= 0,  (2 D_i - I) X w_i >= 0,
///
/// with D_i = diag(1[X h_i >= 0]) for h_i ~ N(0, I_p), deduplicated (and the all-zero pattern
/// dropped). The loss is the mean (exprun's convention for every model), so beta here is the
/// papers' beta divided by n. Every (v_i, w_i) with v_i != 0 is the neuron u = v_i/sqrt||v_i||,
/// alpha = sqrt||v_i|| (w_i: alpha = -sqrt||w_i||) of the network f(a) = sum_j (a^T u_j)_+ alpha_j
/// whose objective (1/(2n))||f(X) - y||^2 + (beta/2) sum_j (||u_j||^2 + alpha_j^2) equals the
/// convex one where the cone constraints hold.
///
/// The variables are stored as a k x p matrix U (row j is one group: v_1..v_P, then w_1..w_P
/// for the constrained program, k = 2P; u_1..u_P for the gated one, k = P). Buffers are
/// allocated once; no call allocates.
public final class ConvexReLUProgram {
    public let n: Int, p: Int, patterns: Int
    public let beta: Double
    /// X (n x p, row-major) and y.
    let x: UnsafeMutablePointer<Double>
    let y: UnsafeMutablePointer<Double>
    /// F's signs per group column (n x 2P): D_i for v_i, -D_i for w_i (the gated program reads the first P).
    let fmask: UnsafeMutablePointer<Double>
    /// G's signs per group column (n x 2P): 2 D_i - I for v_i and for w_i.
    let gsign: UnsafeMutablePointer<Double>
    /// The generating vectors h_i (P x p).
    public let generators: [Double]
    /// Scratch: X U^T (n x 2P) and a residual (n).
    let xu: UnsafeMutablePointer<Double>
    let residual: UnsafeMutablePointer<Double>
    private let all: [UnsafeMutablePointer<Double>]

    /// Samples `samples` patterns from `seed` on the rows of X (n x p).
    public init(x rows: [Double], n: Int, p: Int, y targets: [Double], beta: Double, samples: Int, seed: UInt64) throws {
        guard n > 0, p > 0 else { throw ComponentError("relu2: no training rows or no features") }
        var rng = RNG(seed: seed, purpose: "relu2:patterns")
        var seen = Set<[UInt8]>(), masks: [[UInt8]] = [], gens: [Double] = []
        var h = [Double](repeating: 0, count: p)
        for _ in 0..<samples {
            for j in 0..<p { h[j] = rng.normal() }
            var mask = [UInt8](repeating: 0, count: n)
            var any = false
            for r in 0..<n {
                var s = 0.0
                for j in 0..<p { s += rows[r * p + j] * h[j] }
                if s >= 0 { mask[r] = 1; any = true }
            }
            if any, seen.insert(mask).inserted { masks.append(mask); gens += h }
        }
        let count = masks.count
        let (cells, overflow) = n.multipliedReportingOverflow(by: 2 * count)
        guard !overflow, cells <= 1 << 26 else {
            throw ComponentError("relu2: \(n) rows x \(2 * count) pattern groups is too large (at most 2^26 cells)")
        }
        self.n = n; self.p = p; patterns = count; self.beta = beta; generators = gens
        x = Kernels.zeroedBuffer(n * p); x.update(from: rows, count: n * p)
        y = Kernels.zeroedBuffer(n); y.update(from: targets, count: n)
        fmask = Kernels.zeroedBuffer(n * 2 * count); gsign = Kernels.zeroedBuffer(n * 2 * count)
        for r in 0..<n {
            for i in 0..<count {
                let m = Double(masks[i][r])
                fmask[r * 2 * count + i] = m; fmask[r * 2 * count + count + i] = -m
                gsign[r * 2 * count + i] = 2 * m - 1; gsign[r * 2 * count + count + i] = 2 * m - 1
            }
        }
        xu = Kernels.zeroedBuffer(n * 2 * count); residual = Kernels.zeroedBuffer(n)
        all = [x, y, fmask, gsign, xu, residual]
    }
    deinit { for b in all { b.deallocate() } }

    var columns: Int { 2 * patterns }

    /// xu = X U^T for the k groups of U (k x p): n x k, stored with row stride 2P.
    func products(_ u: UnsafePointer<Double>, groups k: Int) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(k), Int32(p), 1, x, Int32(p), u, Int32(p),
                    0, xu, Int32(columns))
    }

    /// The prediction F u = sum_j fmask_j (X u_j) into out (n), after `products`.
    func predictFromProducts(groups k: Int, into out: UnsafeMutablePointer<Double>) {
        let c = columns
        for r in 0..<n {
            var s = 0.0
            for j in 0..<k { s += fmask[r * c + j] * xu[r * c + j] }
            out[r] = s
        }
    }

    /// Sum of the group norms of U (k x p).
    func groupNorms(_ u: UnsafePointer<Double>, groups k: Int) -> Double {
        var s = 0.0
        for j in 0..<k { s += Kernels.dot(u + j * p, u + j * p, p).squareRoot() }
        return s
    }

    /// The convex objective at U (k = 2P: the constrained program's; k = P: the gated one's),
    /// constraints not included. Leaves the residual F u - y in `residual`.
    public func objective(_ u: UnsafePointer<Double>, groups k: Int) -> Double {
        products(u, groups: k)
        predictFromProducts(groups: k, into: residual)
        var sq = 0.0
        for r in 0..<n { residual[r] -= y[r]; sq += residual[r] * residual[r] }
        return sq / (2 * Double(n)) + beta * groupNorms(u, groups: k)
    }

    /// out (k x p) = alpha * (W ⊙ v 1^T)^T X + beta_out * out for a sign matrix W (n x 2P, its first k
    /// columns) and a vector v (n), or a matrix q (n x 2P) in place of v 1^T.
    func transposeProduct(_ w: UnsafePointer<Double>, vector v: UnsafePointer<Double>?, matrix q: UnsafePointer<Double>?,
                          groups k: Int, alpha: Double, into out: UnsafeMutablePointer<Double>, accumulate: Bool) {
        let c = columns
        if let v {
            for r in 0..<n { let vr = v[r]; for j in 0..<k { xu[r * c + j] = w[r * c + j] * vr } }
        } else if let q {
            for r in 0..<n { for j in 0..<k { xu[r * c + j] = w[r * c + j] * q[r * c + j] } }
        }
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(p), Int32(n), alpha, xu, Int32(c), x, Int32(p),
                    accumulate ? 1 : 0, out, Int32(p))
    }

    /// Group soft-threshold, the prox of t sum_j ||u_j||: u_j <- max(0, 1 - t/||u_j||) u_j.
    /// Returns the number of nonzero groups.
    @discardableResult
    public static func groupSoftThreshold(_ u: UnsafeMutablePointer<Double>, groups k: Int, width p: Int, threshold t: Double) -> Int {
        var active = 0
        for j in 0..<k {
            let row = u + j * p
            let norm = Kernels.dot(row, row, p).squareRoot()
            let s = norm > t ? 1 - t / norm : 0
            for i in 0..<p { row[i] *= s }
            if s > 0 { active += 1 }
        }
        return active
    }

    /// The largest violation max(0, -(2 D_j - I) X u_j) over the groups of U (k x p), after `products`.
    func coneViolationFromProducts(groups k: Int) -> Double {
        let c = columns
        var worst = 0.0
        for r in 0..<n { for j in 0..<k { worst = max(worst, -gsign[r * c + j] * xu[r * c + j]) } }
        return worst
    }

    /// For the 2P groups of U (v_1..v_P, then w_1..w_P): the largest |ReLU network output
    /// sum_i (X v_i)_+ - (X w_i)_+ - reference| over the training rows, with `reference` the
    /// given predictions (n) or, when nil, the convex model's own F u. Leaves X U^T in `xu`
    /// (so `coneViolationFromProducts` can follow); overwrites `residual`.
    func reluMismatch(_ u: UnsafePointer<Double>, reference: UnsafePointer<Double>?) -> Double {
        products(u, groups: columns)
        if reference == nil { predictFromProducts(groups: columns, into: residual) }
        let reference = reference ?? UnsafePointer(residual), c = columns, k = patterns
        var worst = 0.0
        for r in 0..<n {
            var out = 0.0
            for j in 0..<k { out += max(0, xu[r * c + j]) - max(0, xu[r * c + k + j]) }
            worst = max(worst, abs(out - reference[r]))
        }
        return worst
    }

    /// Writes the ReLU network of the groups of U (k x p) into a relu2 parameter vector of
    /// width m >= k: slot j holds group j as the neuron u = a U_j / sqrt||U_j||,
    /// alpha = b sqrt||U_j|| with (a, b) = signs(j), the other slots zero.
    func recoverNetwork(_ u: UnsafePointer<Double>, groups k: Int, signs: (Int) -> (Double, Double),
                        into net: UnsafeMutablePointer<Double>, width m: Int) {
        net.update(repeating: 0, count: m * p + m)
        for j in 0..<k {
            let row = u + j * p
            let norm = Kernels.dot(row, row, p).squareRoot()
            guard norm > 0 else { continue }
            let s = norm.squareRoot(), (a, b) = signs(j)
            for i in 0..<p { net[j * p + i] = a * row[i] / s }
            net[m * p + j] = b * s
        }
    }
}
