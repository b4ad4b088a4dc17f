import Foundation

/// The walk's empirical visit measure x_n in the open simplex, updated by the stochastic
/// approximation x_{n+1} = x_n + γ_{n+1} (e_{X_{n+1}} - x_n).
///
/// Kept as x = scale · y, so a step costs O(1), not O(nodes): the step multiplies `scale` by
/// 1 - γ and adds γ / scale to y at the visited node. y is folded back into x (scale 1) when
/// the scale nears the bottom of the double range. The self-repellent kernel needs only ratios
/// x_j / μ_j between neighbours, in which the scale cancels: it reads `logRatio`, log(y_j / μ_j),
/// kept up to date at the one node that changes per step.
public final class VisitMeasure {
    public let count: Int
    public private(set) var scale = 1.0
    let y: UnsafeMutableBufferPointer<Double>
    let logTarget: UnsafeMutableBufferPointer<Double>
    /// log(y_j / μ_j), so log(x_j / μ_j) = log(scale) + logRatio[j].
    let logRatio: UnsafeMutableBufferPointer<Double>

    /// x_0 = `initial` (positive entries summing to 1) against the target μ.
    public init(initial: [Double], target: [Double]) {
        count = initial.count
        y = .allocate(capacity: count); logTarget = .allocate(capacity: count); logRatio = .allocate(capacity: count)
        for j in 0..<count { logTarget[j] = log(target[j]) }
        reset(initial)
    }

    /// x = `initial` again (a run's start).
    public func reset(_ initial: [Double]) {
        precondition(initial.count == count)
        scale = 1
        for j in 0..<count { y[j] = initial[j]; logRatio[j] = log(initial[j]) - logTarget[j] }
    }
    deinit { y.deallocate(); logTarget.deallocate(); logRatio.deallocate() }

    /// x_j.
    @inline(__always) public func value(_ j: Int) -> Double { scale * y[j] }

    /// x <- (1 - γ) x + γ e_node, for γ in (0, 1).
    @inline(__always) public func visit(_ node: Int, gamma: Double) {
        scale *= 1 - gamma
        y[node] += gamma / scale
        logRatio[node] = log(y[node]) - logTarget[node]
        if scale < 1e-200 { fold() }
    }

    /// Moves the scale into y (O(nodes), about once every few hundred decades of shrinkage).
    func fold() {
        let ls = log(scale)
        for j in 0..<count { y[j] *= scale; logRatio[j] += ls }
        scale = 1
    }

    /// Total variation ½ Σ_j |x_j - μ_j| to the target.
    public func totalVariation(to target: [Double]) -> Double {
        var s = 0.0
        for j in 0..<count { s += abs(scale * y[j] - target[j]) }
        return s / 2
    }

    /// ||x - μ||².
    public func squaredDistance(to target: [Double]) -> Double {
        var s = 0.0
        for j in 0..<count { let d = scale * y[j] - target[j]; s += d * d }
        return s
    }

    /// x as an array.
    public var values: [Double] { (0..<count).map(value) }
}
