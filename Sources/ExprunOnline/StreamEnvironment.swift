import Foundation
import ExprunCore

/// Losses of the data-stream environment on a row (a, y).
public enum StreamLoss: String, Sendable, CaseIterable {
    /// ½(<a, x> - y)²: online least squares.
    case squared
    /// log(1 + exp(-y<a, x>)), labels ±1.
    case logistic
    /// max(0, 1 - y<a, x>), labels ±1.
    case hinge
}

/// Replays a data set's training rows as an online loss sequence: round t uses row
/// order[(t-1) mod n], in file order or in a fresh seeded permutation per pass. The sequence
/// is a fixed adversarial one (each D_t is a point mass), so σ_t² = 0 and Σ_t² is the
/// realised gradient variation ||∇f_t(x_t) - ∇f_{t-1}(x_t)||² at the played point.
///
/// An independent script replays it exactly: file order is rows 0, 1, ..., n-1, 0, ...
public final class StreamEnvironment: OnlineEnvironment {
    public let domain: Domain
    public let constants: LossConstants
    public let loss: StreamLoss
    public let shuffled: Bool
    public var exactVariance: Bool { true }
    @exclusivity(unchecked) public private(set) var lastSigma2 = 0.0
    @exclusivity(unchecked) public private(set) var lastVariation2 = 0.0
    public var lastExpectedLoss: Double? { nil }

    let features: FeatureMatrix
    let targets: [Double]
    let n: Int, d: Int
    @exclusivity(unchecked) var order: [Int]
    @exclusivity(unchecked) var rng: RNG
    @exclusivity(unchecked) var previousRow = -1
    /// How many times each row has been played: the comparator's objective is Σ_rows count·f.
    @exclusivity(unchecked) var counts: [Int]
    @exclusivity(unchecked) var seenRows: [Int] = []
    let scratch: UnsafeMutablePointer<Double>
    let warmStart: UnsafeMutablePointer<Double>
    let rowNormSquaredMax: Double

    public init(dataset: Dataset, loss: StreamLoss, shuffled: Bool, domain shape: DomainShape, radius: Double,
                seed: UInt64) throws {
        let split = dataset.train
        guard split.count > 0 else { throw ComponentError("stream: the data set has no rows") }
        if loss != .squared {
            for y in split.targets where y != 1 && y != -1 {
                throw ComponentError("stream: \(loss.rawValue) loss needs labels -1/+1, found \(y)")
            }
        }
        for y in split.targets where !y.isFinite { throw ComponentError("stream: non-finite target") }
        self.loss = loss; self.shuffled = shuffled
        features = split.features; targets = split.targets
        n = split.count; d = split.dimension
        domain = Domain(shape: shape, dimension: d, radius: radius)
        rng = RNG(seed: seed, purpose: "env")
        order = Array(0..<n)
        counts = [Int](repeating: 0, count: n)
        scratch = .allocate(capacity: 2 * d); scratch.initialize(repeating: 0, count: 2 * d)
        warmStart = .allocate(capacity: d); domain.writeCentre(warmStart)
        var maxSq = 0.0, maxY = 0.0
        for r in 0..<n {
            var s = 0.0
            switch features {
            case .dense(let m): for j in 0..<d { let v = m.values[r * d + j]; s += v * v }
            case .sparse(let m): for k in m.rowStart[r]..<m.rowStart[r + 1] { s += m.values[k] * m.values[k] }
            }
            guard s.isFinite else { throw ComponentError("stream: row \(r) has a non-finite feature") }
            maxSq = max(maxSq, s); maxY = max(maxY, abs(targets[r]))
        }
        rowNormSquaredMax = maxSq
        let A = maxSq.squareRoot(), R = domain.maxNorm, B = R * A
        switch loss {
        case .squared:
            // l(z) = ½(z - y)²: |l'| <= B + |y|, l''/l'² >= 1/(B + |y|)².
            let r = B + maxY
            constants = LossConstants(G: A * r, L: maxSq, lambda: 0, alpha: r > 0 ? 1 / (r * r) : 0, D: domain.diameter)
        case .logistic:
            constants = LossConstants(G: A, L: maxSq / 4, lambda: 0, alpha: Foundation.exp(-B), D: domain.diameter)
        case .hinge:
            constants = LossConstants(G: A, L: .infinity, lambda: 0, alpha: 0, D: domain.diameter)
        }
    }
    deinit { scratch.deallocate(); warmStart.deallocate() }

    @inline(__always) func dot(row r: Int, _ x: UnsafePointer<Double>) -> Double {
        switch features {
        case .dense(let m):
            return m.values.withUnsafeBufferPointer { v in VectorKernels.dot(v.baseAddress! + r * d, x, d) }
        case .sparse(let m):
            var s = 0.0
            for k in m.rowStart[r]..<m.rowStart[r + 1] { s += m.values[k] * x[Int(m.columns[k])] }
            return s
        }
    }

    /// g += k · a_r.
    @inline(__always) func addRow(_ r: Int, scale k: Double, to g: UnsafeMutablePointer<Double>) {
        switch features {
        case .dense(let m):
            m.values.withUnsafeBufferPointer { v in
                let a = v.baseAddress! + r * d
                for j in 0..<d { g[j] += k * a[j] }
            }
        case .sparse(let m):
            for k2 in m.rowStart[r]..<m.rowStart[r + 1] { g[Int(m.columns[k2])] += k * m.values[k2] }
        }
    }

    /// l(z; y) and its derivative in z (hinge: its smoothed version when mu > 0).
    @inline(__always) func scalarLoss(_ z: Double, _ y: Double, mu: Double = 0) -> (Double, Double) {
        switch loss {
        case .squared: return (0.5 * (z - y) * (z - y), z - y)
        case .logistic: return (softplus(-y * z), -y * sigmoid(-y * z))
        case .hinge:
            if mu > 0 { let (v, dv) = smoothHinge(1 - y * z, mu); return (v, -y * dv) }
            let m = 1 - y * z
            return m > 0 ? (m, -y) : (0, 0)
        }
    }

    public func reveal(round t: Int, at x: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>) -> Double {
        let position = (t - 1) % n
        if position == 0 && shuffled {
            order.withUnsafeMutableBufferPointer { rng.shuffle($0) }
        }
        let r = order[position]
        let (value, slope) = scalarLoss(dot(row: r, x), targets[r])
        for j in 0..<d { gradient[j] = 0 }
        addRow(r, scale: slope, to: gradient)
        if previousRow >= 0 {
            // Σ_t² at the played point: ||∇f_t(x_t) - ∇f_{t-1}(x_t)||².
            let diff = scratch
            for j in 0..<d { diff[j] = gradient[j] }
            let (_, previousSlope) = scalarLoss(dot(row: previousRow, x), targets[previousRow])
            addRow(previousRow, scale: -previousSlope, to: diff)
            var s = 0.0
            for j in 0..<d { s += diff[j] * diff[j] }
            lastVariation2 = s
        } else {
            lastVariation2 = 0
        }
        if counts[r] == 0 { seenRows.append(r) }
        counts[r] += 1
        previousRow = r
        return value
    }

    /// Weighted offline objective Σ_rows count_r · l(<a_r, x>; y_r).
    func objective(_ x: UnsafePointer<Double>, _ g: UnsafeMutablePointer<Double>, mu: Double) -> Double {
        for j in 0..<d { g[j] = 0 }
        var value = 0.0
        for r in seenRows {
            let w = Double(counts[r])
            let (v, dv) = scalarLoss(dot(row: r, x), targets[r], mu: mu)
            value += w * v
            addRow(r, scale: w * dv, to: g)
        }
        return value
    }

    public func bestFixedLoss() -> (value: Double, gap: Double) {
        let rounds = counts.reduce(0, +)
        guard rounds > 0 else { return (0, 0) }
        let tolerance = 1e-9 * max(1, Double(rounds))
        var smoothness = 0.0
        for r in seenRows {
            var s = 0.0
            switch features {
            case .dense(let m): for j in 0..<d { let v = m.values[r * d + j]; s += v * v }
            case .sparse(let m): for k in m.rowStart[r]..<m.rowStart[r + 1] { s += m.values[k] * m.values[k] }
            }
            smoothness += Double(counts[r]) * s
        }
        switch loss {
        case .squared, .logistic:
            let L = loss == .squared ? smoothness : smoothness / 4
            return OfflineSolver.minimize(domain: domain, x: warmStart, smoothness: L, tolerance: tolerance) { x, g in
                objective(x, g, mu: 0)
            }
        case .hinge:
            // Smoothed hinge with shrinking width mu; certified gap = FW gap + rounds·mu/2.
            var gap = Double.infinity
            var mu = 1e-2
            for _ in 0..<3 {
                let r = OfflineSolver.minimize(domain: domain, x: warmStart, smoothness: smoothness / mu,
                                               tolerance: tolerance, maxIterations: 2000) { x, g in
                    objective(x, g, mu: mu)
                }
                gap = r.gap + Double(rounds) * mu / 2
                mu *= 0.01
            }
            let value = objective(warmStart, scratch, mu: 0)
            return (value, gap)
        }
    }

    public func bestFixedExpectedLoss() -> Double? { nil }
}
