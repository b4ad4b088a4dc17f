import Foundation

/// 64-bit FNV-1a over UTF-8 bytes. Swift's `Hasher` is seeded per process, so anything that
/// must be stable across processes (run ids, RNG stream keys) hashes with this instead.
public func stableHash64(_ text: String, basis: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
    var h = basis
    for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    // Final avalanche (SplitMix64's mixer) so that short keys differing in one byte spread.
    return splitMix64Mix(h)
}

@inline(__always) public func splitMix64Mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9e37_79b9_7f4a_7c15
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
}

/// Deterministic, splittable random stream: xoshiro256** seeded from (seed, purpose).
///
/// Streams are keyed by purpose ("data:<dataset key>", "batches", "env", ...) so that two
/// methods run with the same seed draw the same data and the same minibatches (common random
/// numbers), whatever else each of them draws.
public struct RNG: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    @usableFromInline var spareNormal: Double = 0
    @usableFromInline var hasSpare = false

    public init(seed: UInt64, purpose: String) {
        var x = stableHash64(purpose) ^ splitMix64Mix(seed &+ 0x632b_e59b_d9b4_e019)
        func next() -> UInt64 { x = x &+ 0x9e37_79b9_7f4a_7c15; return splitMix64Mix(x) }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// A child stream, independent of this one, for a sub-purpose.
    public func split(_ purpose: String) -> RNG {
        RNG(seed: s0 ^ s2, purpose: purpose)
    }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }
    @inlinable @inline(__always) func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable @inline(__always)
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<n, unbiased (Lemire's multiply-and-reject).
    @inlinable @inline(__always)
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Standard normal by the Box-Muller transform (both values used).
    @inlinable
    public mutating func normal() -> Double {
        if hasSpare { hasSpare = false; return spareNormal }
        var u1 = uniform()
        while u1 == 0 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2.0 * Foundation.log(u1)).squareRoot()
        let theta = 2.0 * Double.pi * u2
        spareNormal = r * Foundation.sin(theta)
        hasSpare = true
        return r * Foundation.cos(theta)
    }

    /// Fisher-Yates shuffle of a buffer in place.
    @inlinable
    public mutating func shuffle(_ a: UnsafeMutableBufferPointer<Int>) {
        var i = a.count - 1
        while i > 0 {
            let j = below(i + 1)
            a.swapAt(i, j)
            i -= 1
        }
    }
}
