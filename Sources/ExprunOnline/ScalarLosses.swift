import Foundation

// Scalar pieces shared by the environments, in numerically stable forms.

/// log(1 + e^u) without overflow.
@inline(__always) func softplus(_ u: Double) -> Double {
    u > 0 ? u + Foundation.log1p(Foundation.exp(-u)) : Foundation.log1p(Foundation.exp(u))
}

/// 1 / (1 + e^{-u}) without overflow.
@inline(__always) func sigmoid(_ u: Double) -> Double {
    if u >= 0 { return 1 / (1 + Foundation.exp(-u)) }
    let e = Foundation.exp(u)
    return e / (1 + e)
}

/// Huber smoothing of |r| with width mu: r²/(2mu) for |r| <= mu, |r| - mu/2 beyond.
/// It lies within mu/2 below |r|, which is what turns a smoothed optimum into a certified
/// bound for the non-smooth comparator. Returns (value, derivative).
@inline(__always) func huberAbs(_ r: Double, _ mu: Double) -> (Double, Double) {
    let a = abs(r)
    if a <= mu { return (r * r / (2 * mu), r / mu) }
    return (a - mu / 2, r > 0 ? 1 : -1)
}

/// Smoothed hinge max(0, m) with width mu (the Huber of the ramp): within mu/2 below it.
@inline(__always) func smoothHinge(_ m: Double, _ mu: Double) -> (Double, Double) {
    if m <= 0 { return (0, 0) }
    if m <= mu { return (m * m / (2 * mu), m / mu) }
    return (m - mu / 2, 1)
}
