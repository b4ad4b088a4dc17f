import Foundation

/// The shape of the learner's decision set X.
public enum DomainShape: String, Sendable, CaseIterable {
    /// Euclidean ball {x : ||x|| <= R} centred at 0.
    case ball
    /// Box [-R, R]^d.
    case box
    /// Probability simplex {x >= 0 : sum x = 1} (the radius is ignored).
    case simplex
}

/// A convex compact decision set with exact projections.
///
/// Projections work in place on caller-owned buffers and never allocate; the simplex
/// projection uses the domain's own scratch buffer, so one `Domain` serves one run.
public final class Domain {
    public let shape: DomainShape
    public let dimension: Int
    public let radius: Double
    private let scratch: UnsafeMutablePointer<Double>

    public init(shape: DomainShape, dimension: Int, radius: Double) {
        precondition(dimension >= 1)
        self.shape = shape; self.dimension = dimension; self.radius = radius
        scratch = .allocate(capacity: dimension)
        scratch.initialize(repeating: 0, count: dimension)
    }
    deinit { scratch.deallocate() }

    /// Euclidean diameter D = max ||x - y|| over X.
    public var diameter: Double {
        switch shape {
        case .ball: return 2 * radius
        case .box: return 2 * radius * Double(dimension).squareRoot()
        case .simplex: return dimension == 1 ? 0 : 2.0.squareRoot()
        }
    }
    /// max ||x|| over X.
    public var maxNorm: Double {
        switch shape {
        case .ball: return radius
        case .box: return radius * Double(dimension).squareRoot()
        case .simplex: return 1
        }
    }

    /// The centre of X: 0 for the ball and the box, the uniform distribution for the simplex.
    public func writeCentre(_ x: UnsafeMutablePointer<Double>) {
        let v = shape == .simplex ? 1.0 / Double(dimension) : 0.0
        for i in 0..<dimension { x[i] = v }
    }

    /// Whether x lies in X up to `tolerance`.
    public func contains(_ x: UnsafePointer<Double>, tolerance: Double = 1e-12) -> Bool {
        let d = dimension
        switch shape {
        case .ball:
            var s = 0.0
            for i in 0..<d { s += x[i] * x[i] }
            return s.squareRoot() <= radius + tolerance
        case .box:
            for i in 0..<d where abs(x[i]) > radius + tolerance { return false }
            return true
        case .simplex:
            var s = 0.0
            for i in 0..<d { if x[i] < -tolerance { return false }; s += x[i] }
            return abs(s - 1) <= tolerance * Double(d)
        }
    }

    /// Euclidean projection Π_X(y) = argmin_{x in X} ||x - y||, in place.
    public func projectEuclidean(_ y: UnsafeMutablePointer<Double>) {
        let d = dimension
        switch shape {
        case .ball:
            // Π(y) = y · min(1, R/||y||) (specs-a shared conventions).
            var s = 0.0
            for i in 0..<d { s += y[i] * y[i] }
            let n = s.squareRoot()
            if n > radius {
                let k = radius / n
                for i in 0..<d { y[i] *= k }
            }
        case .box:
            let r = radius
            for i in 0..<d { y[i] = min(max(y[i], -r), r) }
        case .simplex:
            projectSimplexEuclidean(y)
        }
    }

    /// Sort-based projection onto the simplex (Held, Wolfe & Crowder 1974; Duchi et al. 2008):
    /// x_i = max(y_i - τ, 0) with τ chosen so that sum x = 1.
    private func projectSimplexEuclidean(_ y: UnsafeMutablePointer<Double>) {
        let d = dimension
        for i in 0..<d { scratch[i] = y[i] }
        var u = UnsafeMutableBufferPointer(start: scratch, count: d)
        u.sort(by: >)
        var cumulative = 0.0, tau = 0.0
        for j in 0..<d {
            cumulative += u[j]
            let candidate = (cumulative - 1) / Double(j + 1)
            if u[j] - candidate > 0 { tau = candidate }
        }
        for i in 0..<d { y[i] = max(y[i] - tau, 0) }
    }

    /// Entropic (KL) projection onto the simplex of a vector given by its logarithms:
    /// argmin_{x in simplex} KL(x || exp(logY)) = softmax(logY). Working in log space keeps
    /// exponentiated-gradient weights from underflowing over long runs.
    public func projectEntropic(logWeights: UnsafePointer<Double>, into x: UnsafeMutablePointer<Double>) {
        precondition(shape == .simplex, "entropic projection needs the simplex")
        let d = dimension
        var m = -Double.infinity
        for i in 0..<d { m = max(m, logWeights[i]) }
        var s = 0.0
        for i in 0..<d { let e = Foundation.exp(logWeights[i] - m); x[i] = e; s += e }
        let k = 1 / s
        for i in 0..<d { x[i] *= k }
    }

    /// min over X of <g, s>, and a minimiser written to `s`: the linear oracle behind the
    /// Frank-Wolfe gap that certifies offline solves.
    @discardableResult
    public func linearMinimizer(_ g: UnsafePointer<Double>, into s: UnsafeMutablePointer<Double>) -> Double {
        let d = dimension
        switch shape {
        case .ball:
            var n = 0.0
            for i in 0..<d { n += g[i] * g[i] }
            n = n.squareRoot()
            if n == 0 { for i in 0..<d { s[i] = 0 }; return 0 }
            for i in 0..<d { s[i] = -radius * g[i] / n }
            return -radius * n
        case .box:
            var v = 0.0
            for i in 0..<d { s[i] = g[i] > 0 ? -radius : radius; v -= radius * abs(g[i]) }
            return v
        case .simplex:
            var k = 0
            for i in 1..<max(d, 1) where g[i] < g[k] { k = i }
            for i in 0..<d { s[i] = 0 }
            s[k] = 1
            return g[k]
        }
    }
}
