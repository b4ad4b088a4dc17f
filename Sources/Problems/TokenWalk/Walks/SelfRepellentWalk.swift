import ExprunCore

/// The self-repellent random walk over a base chain (SA-SRRW): the token moves by K[x_n], which
/// repels it from nodes visited more than their target share, x_n being the SA visit measure.
/// α = 0 is the base chain itself (bit for bit the `mhrw` or `srw` run of the same seed).
public enum SelfRepellentWalk {
    public static let entry = WalkEntry(
        ComponentDecl(.walk, "srrw", doc: "self-repellent random walk K_ij[x] ∝ P_ij (x_j/μ_j)^-α over a base chain (Hu, Doshi, Eun 2024)",
                      params: [
                          .choice("base", BaseChainKind.allCases.map(\.rawValue), "mhrw", "the base chain P (and its target μ)"),
                          .double("alpha", 1, ValueRange(min: 0, max: 1000), "self-repellence α (0: the base chain)"),
                      ] + stochasticApproximationParams),
        make: { p in WalkSettings(p, chain: BaseChainKind(rawValue: p.string("base"))!, alpha: p.double("alpha")) })
}
