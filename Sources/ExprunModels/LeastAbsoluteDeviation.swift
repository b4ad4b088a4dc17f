import ExprunCore
import Foundation

/// Absolute loss |z - y|; its subgradient is sign(z - y), and 0 at the kink (the element of
/// [-1, 1] of least norm).
public struct AbsoluteLoss: MarginLoss {
    @inlinable @inline(__always) public static func value(_ z: Double, _ y: Double) -> Double { abs(z - y) }
    @inlinable @inline(__always) public static func derivative(_ z: Double, _ y: Double) -> Double {
        z > y ? 1 : (z < y ? -1 : 0)
    }
}

/// Least-absolute-deviation regression on a ball, E3 of the last-iterate paper (specs-a
/// section 3): F(x) = (1/n) sum_i |a_i . x - y_i| over X = {||x|| <= radius} (all of R^d when
/// `radius` is absent). The run projects every iterate onto X (projected SGD).
///
/// f* is exact and certified by LP duality. F is piecewise linear, so a minimiser is a vertex
/// x_v where d residuals vanish (rows Z, A_Z x_v = y_Z), found by simplex descent
/// (`certifiedVertex`). The dual point u_i = sign(r_i) off Z, with A_Z^T u_Z =
/// -sum_{i not in Z} u_i a_i, has A^T u = 0; when |u_Z| <= 1 it is dual feasible, and
/// F(x) >= -(1/n) u . y for every x, which equals F(x_v). f* is that value when the gap
/// (rounding only) is at most 1e-10 and x_v lies in X; nil otherwise (a degenerate vertex,
/// or a ball that binds at the minimiser).
public final class LeastAbsoluteDeviationObjective: MarginObjective, ConstrainedObjective {
    public static let kind = "least_absolute_deviation"
    public static let decl = ComponentDecl(
        .model, kind,
        doc: "least-absolute-deviation regression (1/n) sum |a.x - y| on the ball ||x|| <= radius (iterates projected); f* exact by LP duality",
        params: [ModelSupport.datasetParam,
                 .double("radius", nil, .positive, "radius of the ball X the iterates are projected onto; absent: no constraint")])

    let core: MarginCore<AbsoluteLoss>
    /// The radius of X; infinity without a constraint.
    public let radius: Double
    public let cacheKey: String

    public init(params: Params, dataset: Dataset) throws {
        let kind = Self.kind
        switch dataset.task {
        case .regression, .binary: break
        case .multiclass(let k):
            throw ComponentError("\(kind): the data set is multiclass (\(k) classes); least absolute deviation "
                                 + "fits real targets")
        }
        try ModelSupport.requireFinite(dataset.train, kind: kind, name: "training")
        if let t = dataset.test { try ModelSupport.requireFinite(t, kind: kind, name: "test") }
        core = MarginCore(dataset: dataset, l2: 0, classifies: false)
        radius = params.optionalDouble("radius") ?? .infinity
        cacheKey = ModelSupport.cacheKey(kind: kind, params: params)
    }

    /// x <- x * radius / ||x|| when ||x|| > radius.
    public func project(_ x: UnsafeMutableBufferPointer<Double>) {
        guard radius.isFinite else { return }
        let norm = Kernels.dot(x.baseAddress!, x.baseAddress!, core.dimension).squareRoot()
        if norm > radius {
            let s = radius / norm
            for j in 0..<x.count { x[j] *= s }
        }
    }

    /// A certified vertex: the minimiser, F there and the duality gap.
    public struct Vertex {
        public var weights: [Double]
        public var value: Double
        public var gap: Double
    }

    /// The optimal vertex of the unconstrained problem with its dual certificate, or nil when
    /// the descent meets a degenerate vertex or runs out of pivots.
    ///
    /// A few iterations of reweighted least squares find a point near the minimiser; its d
    /// smallest residuals (that span R^d) give the first vertex. Then simplex descent on the
    /// piecewise-linear F: at a vertex Z the dual u_Z solves A_Z^T u_Z = -sum_{i not in Z}
    /// sign(r_i) a_i; when |u_Z| <= 1 the vertex is optimal, otherwise row k with |u_k| > 1
    /// leaves Z along the edge A_Z delta = sign(u_k) e_k, whose slope is 1 - |u_k| < 0, and an
    /// exact line search (the first breakpoint where the slope turns non-negative) names the
    /// row that enters. F decreases strictly at every pivot.
    public func certifiedVertex(maxPivots: Int? = nil) -> Vertex? {
        let d = core.dimension, n = core.n
        guard n >= d, d > 0 else { return nil }
        var x = [Double](repeating: 0, count: d), r = [Double](repeating: 0, count: n)
        var w = [Double](repeating: 1, count: n), h = [Double](repeating: 0, count: d * d)
        var rhs = [Double](repeating: 0, count: d)
        var epsilon = Double.infinity
        for _ in 0..<30 {
            // Weighted least squares: (A^T W A) x = A^T W y.
            h.withUnsafeMutableBufferPointer { hb in
                hb.update(repeating: 0)
                w.withUnsafeBufferPointer { core.train.addGramUpper(scale: 1, weights: $0.baseAddress!, hb.baseAddress!) }
                OptimalValueSolvers.choleskyUpper(hb.baseAddress!, d)
            }
            for i in 0..<n { core.scratch[i] = w[i] * core.trainY[i] }
            rhs.withUnsafeMutableBufferPointer { rb in
                rb.update(repeating: 0)
                core.train.addTransposeTimes(core.scratch, rb.baseAddress!)
            }
            h.withUnsafeBufferPointer { hb in
                rhs.withUnsafeBufferPointer { rb in
                    x.withUnsafeMutableBufferPointer {
                        OptimalValueSolvers.choleskySolve(hb.baseAddress!, d, rb.baseAddress!, $0.baseAddress!)
                    }
                }
            }
            residuals(x, into: &r)
            let mean = r.reduce(0) { $0 + abs($1) } / Double(n)
            guard mean.isFinite else { return nil }
            // The smoothing floor halves each iteration, so the weights 1/max(|r_i|, epsilon)
            // single out the rows going to zero.
            epsilon = min(epsilon, mean) * 0.5
            for i in 0..<n { w[i] = 1 / max(abs(r[i]), epsilon, 1e-300) }
        }
        let order = (0..<n).sorted { abs(r[$0]) < abs(r[$1]) || (abs(r[$0]) == abs(r[$1]) && $0 < $1) }
        guard var zero = spanningRows(order) else { return nil }
        for _ in 0..<(maxPivots ?? 20 * n) {
            switch pivot(&zero) {
            case .optimal(let v): return v
            case .degenerate: return nil
            case .moved: continue
            }
        }
        return nil
    }

    /// The first d rows in `order` that are linearly independent (Gram-Schmidt), or nil.
    func spanningRows(_ order: [Int]) -> [Int]? {
        let d = core.dimension
        var basis: [[Double]] = [], chosen: [Int] = []
        for i in order {
            var v = denseRow(i)
            let size = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard size > 0 else { continue }
            for _ in 0..<2 {
                for b in basis {
                    let c = zip(b, v).reduce(0) { $0 + $1.0 * $1.1 }
                    for j in 0..<d { v[j] -= c * b[j] }
                }
            }
            let rest = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard rest > 1e-8 * size else { continue }
            basis.append(v.map { $0 / rest })
            chosen.append(i)
            if chosen.count == d { return chosen }
        }
        return nil
    }

    enum PivotResult { case optimal(Vertex), moved, degenerate }

    /// One simplex step from the vertex whose rows `zero` have zero residual.
    func pivot(_ zero: inout [Int]) -> PivotResult {
        let d = core.dimension, n = core.n
        var m = [Double](repeating: 0, count: d * d), mt = m
        for (k, i) in zero.enumerated() {
            let row = denseRow(i)
            for j in 0..<d { m[k * d + j] = row[j]; mt[j * d + k] = row[j] }
        }
        guard let x = DenseSolve.solve(m, zero.map { core.trainY[$0] }, d) else { return .degenerate }
        var r = [Double](repeating: 0, count: n)
        residuals(x, into: &r)
        let inZ = Set(zero)
        var c = [Double](repeating: 0, count: d)
        for i in 0..<n where !inZ.contains(i) {
            let s = AbsoluteLoss.derivative(r[i], 0)
            if s != 0 { let a = denseRow(i); for j in 0..<d { c[j] += s * a[j] } }
        }
        guard let uZ = DenseSolve.solve(mt, c.map { -$0 }, d) else { return .degenerate }
        var k = 0
        for j in 0..<d where abs(uZ[j]) > abs(uZ[k]) { k = j }
        if abs(uZ[k]) <= 1 + 1e-12 { return .optimal(certificate(x, r, zero, uZ)) }
        // Edge: row k leaves with residual of sign tau; the others of Z stay at zero.
        let tau: Double = uZ[k] > 0 ? 1 : -1
        var e = [Double](repeating: 0, count: d)
        e[k] = tau
        guard let delta = DenseSolve.solve(m, e, d) else { return .degenerate }
        var q = [Double](repeating: 0, count: n)
        delta.withUnsafeBufferPointer { db in q.withUnsafeMutableBufferPointer { core.train.margins(db.baseAddress!, $0.baseAddress!) } }
        var slope = 1 - tau * uZ[k]
        var breakpoints: [(alpha: Double, row: Int)] = []
        for i in 0..<n where !inZ.contains(i) && q[i] != 0 {
            if r[i] == 0 { slope += abs(q[i]); continue }
            let alpha = -r[i] / q[i]
            if alpha > 0 { breakpoints.append((alpha, i)) }
        }
        guard slope < 0 else { return .degenerate }
        breakpoints.sort { $0.alpha < $1.alpha || ($0.alpha == $1.alpha && $0.row < $1.row) }
        for b in breakpoints {
            slope += 2 * abs(q[b.row])
            if slope >= 0 {
                zero[k] = b.row
                return .moved
            }
        }
        return .degenerate   // F unbounded below along the edge: impossible for LAD with n >= d
    }

    /// The duality gap of a vertex x (residuals r) and its dual u_Z (|u_Z| <= 1 + 1e-12):
    /// u is scaled into [-1, 1], and the rounding of A^T u = 0 is bounded on ||x|| <= R by
    /// F(x) >= (1/n)((A^T u) . x - u . y) >= -(1/n)(u . y + R ||A^T u||).
    func certificate(_ x: [Double], _ r: [Double], _ zero: [Int], _ uZ: [Double]) -> Vertex {
        let d = core.dimension, n = core.n
        var u = r.map { AbsoluteLoss.derivative($0, 0) }
        for (k, i) in zero.enumerated() { u[i] = uZ[k] }
        let shrink = 1 / max(1, uZ.reduce(0) { max($0, abs($1)) })
        for i in 0..<n { u[i] *= shrink }
        var atu = [Double](repeating: 0, count: d)
        atu.withUnsafeMutableBufferPointer { core.train.addTransposeTimes(u, $0.baseAddress!) }
        let xNorm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let reach = radius.isFinite ? max(radius, xNorm) : 2 * xNorm + 1
        var uy = 0.0
        for i in 0..<n { uy += u[i] * core.trainY[i] }
        let dual = -(uy + reach * atu.reduce(0) { $0 + $1 * $1 }.squareRoot()) / Double(n)
        let primal = r.reduce(0) { $0 + abs($1) } / Double(n)
        return Vertex(weights: x, value: primal, gap: primal - dual)
    }

    /// r = A x - y.
    func residuals(_ x: [Double], into r: inout [Double]) {
        x.withUnsafeBufferPointer { xb in
            r.withUnsafeMutableBufferPointer { core.train.margins(xb.baseAddress!, $0.baseAddress!) }
        }
        for i in 0..<r.count { r[i] -= core.trainY[i] }
    }

    func denseRow(_ i: Int) -> [Double] {
        var e = [Double](repeating: 0, count: core.dimension)
        e.withUnsafeMutableBufferPointer { eb in
            switch core.train {
            case .dense(let m): m.withRows { $0.axpy(i, 1, eb.baseAddress!) }
            case .sparse(let m): m.withRows { $0.axpy(i, 1, eb.baseAddress!) }
            }
        }
        return e
    }

    public func computeOptimalValue() -> Double? {
        guard let v = certifiedVertex(), v.gap <= 1e-10 else { return nil }
        // A ball that binds at the minimiser would need the constrained problem's solution.
        guard v.weights.reduce(0, { $0 + $1 * $1 }).squareRoot() <= radius else { return nil }
        return v.value
    }
}

/// Dense d x d solves by Gaussian elimination with partial pivoting (the vertex systems of
/// the LAD certificate are square and unsymmetric).
enum DenseSolve {
    /// x with M x = b (M row-major d x d), or nil when M is singular to working precision.
    static func solve(_ matrix: [Double], _ rhs: [Double], _ d: Int) -> [Double]? {
        var a = matrix, b = rhs
        var scale = 0.0
        for v in a { scale = max(scale, abs(v)) }
        guard scale > 0 else { return nil }
        for k in 0..<d {
            var p = k
            for i in (k + 1)..<max(k + 1, d) where abs(a[i * d + k]) > abs(a[p * d + k]) { p = i }
            guard abs(a[p * d + k]) > 1e-13 * scale else { return nil }
            if p != k {
                for j in 0..<d { a.swapAt(k * d + j, p * d + j) }
                b.swapAt(k, p)
            }
            let pivot = a[k * d + k]
            for i in (k + 1)..<max(k + 1, d) {
                let f = a[i * d + k] / pivot
                if f == 0 { continue }
                for j in k..<d { a[i * d + j] -= f * a[k * d + j] }
                b[i] -= f * b[k]
            }
        }
        var x = [Double](repeating: 0, count: d)
        for k in stride(from: d - 1, through: 0, by: -1) {
            var s = b[k]
            for j in (k + 1)..<max(k + 1, d) { s -= a[k * d + j] * x[j] }
            x[k] = s / a[k * d + k]
        }
        return x
    }
}

extension LeastAbsoluteDeviationObjective {
    /// Catalogue entry for `least_absolute_deviation`.
    public static let entry = ModelEntry(LeastAbsoluteDeviationObjective.decl) { params, dataset in
        try LeastAbsoluteDeviationObjective(params: params, dataset: dataset)
    }
}
