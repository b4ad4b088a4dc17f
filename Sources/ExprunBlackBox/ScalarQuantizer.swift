import Foundation

/// How one-byte SPSA encodes a projected-gradient scalar for the wire.
///
/// `int8` (the default; the paper says one byte per scalar, its `app.py` sends Python floats,
/// so the rule is ours, as the spec proposes): q = clamp(round(g / c), -127, 127), decoded c·q,
/// so |decode(q) - g| <= c/2 whenever |g| <= 127c. The scale c of round r is `scale_factor`
/// times the RMS of round r-1's decoded scalars (every replica received them, so every replica
/// computes the same c and nothing more is sent); round 0, or a round after one whose scalars
/// all decoded to 0, uses `scale_init`.
/// `float`: the scalar itself (8 bytes, no error): the ablation that must equal MeZO.
/// `sign`: one bit, decoded c·sign(g) (1/8 byte per scalar on the wire).
public enum ScalarQuantizer: String, CaseIterable, Sendable {
    case int8, float, sign

    /// Bits on the wire per scalar.
    public var bits: Int {
        switch self {
        case .int8: return 8
        case .float: return 64
        case .sign: return 1
        }
    }
    /// The decoded value of g at scale c (what every machine applies).
    @inline(__always)
    public func roundTrip(_ g: Double, scale c: Double) -> Double {
        switch self {
        case .float: return g
        case .int8:
            guard g.isFinite else { return g }
            return c * min(127, max(-127, (g / c).rounded(.toNearestOrEven)))
        case .sign: return g > 0 ? c : (g < 0 ? -c : 0)
        }
    }
}
