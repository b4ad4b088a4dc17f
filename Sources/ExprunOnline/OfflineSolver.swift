import Foundation

/// Offline minimisation of a smooth convex function over a `Domain`, for the best fixed point
/// in hindsight when no closed form exists.
///
/// Accelerated projected gradient (FISTA, Beck & Teboulle 2009) with backtracking on the
/// smoothness constant and function-value restart (O'Donoghue & Candès 2015). Optimality is
/// certified by the Frank-Wolfe gap max_{s in X} <∇F(x), x - s> >= F(x) - F*, so the returned
/// `gap` is a proven bound, not an iteration count.
public enum OfflineSolver {
    /// Minimises `objective` (value returned, gradient written) from the warm start `x`
    /// (updated in place to the best point found). Stops when the certified gap is at most
    /// `tolerance` or after `maxIterations`.
    public static func minimize(domain: Domain, x: UnsafeMutablePointer<Double>, smoothness: Double,
                                tolerance: Double, maxIterations: Int = 20000,
                                objective: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Double)
        -> (value: Double, gap: Double)
    {
        let d = domain.dimension
        let buf = UnsafeMutablePointer<Double>.allocate(capacity: 6 * d)
        defer { buf.deallocate() }
        let y = buf, gy = buf + d, xNew = buf + 2 * d, gx = buf + 3 * d, s = buf + 4 * d, xPrev = buf + 5 * d
        domain.projectEuclidean(x)
        var fx = objective(x, gx)
        func certificate(_ g: UnsafePointer<Double>, _ at: UnsafePointer<Double>) -> Double {
            var inner = 0.0
            for i in 0..<d { inner += g[i] * at[i] }
            return max(0, inner - domain.linearMinimizer(g, into: s))
        }
        var gap = certificate(gx, x)
        if gap <= tolerance || !fx.isFinite { return (fx, gap) }
        var L = max(smoothness, 1e-12) * 1e-2
        var theta = 1.0
        for i in 0..<d { y[i] = x[i]; xPrev[i] = x[i] }
        var iteration = 0
        while iteration < maxIterations {
            iteration += 1
            let fy = objective(y, gy)
            // Backtracking: accept L when F(x+) <= F(y) + <∇F(y), x+ - y> + L/2 ||x+ - y||².
            var fNew = 0.0
            while true {
                for i in 0..<d { xNew[i] = y[i] - gy[i] / L }
                domain.projectEuclidean(xNew)
                fNew = objective(xNew, gx)
                var lin = 0.0, sq = 0.0
                for i in 0..<d { let dv = xNew[i] - y[i]; lin += gy[i] * dv; sq += dv * dv }
                if fNew <= fy + lin + 0.5 * L * sq + 1e-12 * abs(fy) || L > 1e30 { break }
                L *= 2
            }
            if fNew > fx {
                // Restart the momentum: the accelerated sequence overshot.
                theta = 1
                for i in 0..<d { y[i] = x[i] }
                continue
            }
            let thetaNext = (1 + (1 + 4 * theta * theta).squareRoot()) / 2
            let beta = (theta - 1) / thetaNext
            for i in 0..<d {
                xPrev[i] = x[i]
                x[i] = xNew[i]
                y[i] = xNew[i] + beta * (xNew[i] - xPrev[i])
            }
            theta = thetaNext
            fx = fNew
            // gx holds ∇F(x) from the accepted trial point.
            gap = certificate(gx, x)
            if gap <= tolerance { break }
            L *= 0.95   // let the step grow back after conservative backtracks
        }
        return (fx, gap)
    }
}
