/// The unscrambled Sobol sequence in up to `SobolDirections.dimensions` dimensions, by Antonov
/// and Saleev's Gray-code construction with Joe & Kuo's direction numbers: point i is
/// exactly scipy.stats.qmc.Sobol(d, scramble=False).random(n)[i] (the first point is the
/// origin, as there). 32 bits: 2^32 points, far beyond any sweep's limits.max_runs.
public struct SobolSequence: Sendable {
    static let bits = 32
    /// directions[k][j]: V_(j+1) of dimension k, m_(j+1) shifted to the top of 32 bits.
    private let directions: [[UInt64]]
    private var state: [UInt64]
    private var index: UInt64 = 0

    public init?(dimensions d: Int) {
        guard d >= 1, d <= SobolDirections.dimensions else { return nil }
        var dirs: [[UInt64]] = []
        for k in 0..<d {
            var m = [UInt64](repeating: 1, count: Self.bits)
            if k > 0 {
                let row = SobolDirections.rows[k - 1]
                let p = UInt64(row.poly), s = UInt64.bitWidth - p.leadingZeroBitCount - 1
                for j in 0..<s { m[j] = UInt64(row.m[j]) }
                // Bratley & Fox's recurrence: m_j = m_(j-s) xor sum over k of 2^(k+1) a_(k+1) m_(j-k-1),
                // where a_s (bit 0 of the polynomial) is 1.
                for j in s..<Self.bits {
                    var v = m[j - s]
                    for i in 0..<s where (p >> UInt64(s - 1 - i)) & 1 == 1 { v ^= m[j - i - 1] << UInt64(i + 1) }
                    m[j] = v
                }
            }
            dirs.append((0..<Self.bits).map { j in m[j] << UInt64(Self.bits - 1 - j) })
        }
        directions = dirs
        state = [UInt64](repeating: 0, count: d)
    }

    /// The next point of [0, 1)^d.
    public mutating func next() -> [Double] {
        let point = state.map { Double($0) / 4294967296.0 }
        // Gray code: the next state flips the direction of the lowest zero bit of the index.
        let c = (~index).trailingZeroBitCount
        index += 1
        if c < Self.bits { for k in state.indices { state[k] ^= directions[k][c] } }
        return point
    }
}
