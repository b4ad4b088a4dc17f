import ExprunCore

/// The random directions of SPSA, never stored: z is regenerated from its seed, coordinate by
/// coordinate in parameter order (MeZO's trick: a perturbation costs no copy of the parameters).
public enum Direction: String, CaseIterable, Sendable {
    /// z_i ~ N(0, 1) (Box-Muller from the seeded stream).
    case gaussian
    /// z_i = ±1 with probability ½ (one bit of the stream each).
    case rademacher

    /// The seed of a perturbation: (run seed, step or round, machine id, sample), mixed so
    /// that any change of one of them gives an unrelated stream. MeZO is machine 0.
    public static func seed(_ base: UInt64, round: Int, machine: Int, sample: Int) -> UInt64 {
        var h = splitMix64Mix(base ^ 0x5eed_0f_5b5a)
        h = splitMix64Mix(h ^ UInt64(bitPattern: Int64(round)))
        h = splitMix64Mix(h ^ (UInt64(bitPattern: Int64(machine)) &* 0x9e37_79b9_7f4a_7c15))
        return splitMix64Mix(h ^ (UInt64(bitPattern: Int64(sample)) &* 0xc2b2_ae3d_27d4_eb4f))
    }

    /// x += scale * z(seed), z regenerated.
    @inline(__always)
    public func add(_ scale: Double, seed: UInt64, to x: UnsafeMutablePointer<Double>, _ n: Int) {
        var rng = RNG(seed: seed, purpose: "spsa")
        switch self {
        case .gaussian:
            for i in 0..<n { x[i] += scale * rng.normal() }
        case .rademacher:
            var bits: UInt64 = 0
            for i in 0..<n {
                if i & 63 == 0 { bits = rng.next() }
                x[i] += (bits & 1 == 1) ? scale : -scale
                bits >>= 1
            }
        }
    }

    /// The two-point estimate along z(seed) at x, perturbed in place: x + εz, x - εz, then x
    /// restored (from `backup` when given, else by adding εz back, which can leave rounding
    /// drift of order ulp(x)). Returns (L(x+εz) - L(x-εz)) / (2ε); two function evaluations.
    @inline(__always)
    public func projectedGradient(_ x: UnsafeMutableBufferPointer<Double>, eps: Double, seed: UInt64,
                                  backup: UnsafeMutablePointer<Double>?, batch: Int,
                                  loss: (UnsafeMutableBufferPointer<Double>, Int) -> Double) -> Double {
        let n = x.count, p = x.baseAddress!
        if let b = backup { for i in 0..<n { b[i] = p[i] } }
        add(eps, seed: seed, to: p, n)
        let plus = loss(x, batch)
        add(-2 * eps, seed: seed, to: p, n)
        let minus = loss(x, batch)
        if let b = backup { for i in 0..<n { p[i] = b[i] } } else { add(eps, seed: seed, to: p, n) }
        return (plus - minus) / (2 * eps)
    }
}
