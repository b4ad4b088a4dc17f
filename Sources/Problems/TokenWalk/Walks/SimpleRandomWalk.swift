import ExprunCore

/// The simple random walk (uniform neighbour). Its stationary law is μ_i = d_i / 2|E|, not the
/// uniform average the nodes minimise, so each gradient is scaled by w_i/μ_i = 2|E| / (N d_i)
/// (importance weights, specs-b section 10).
public enum SimpleRandomWalk {
    public static let entry = WalkEntry(
        ComponentDecl(.walk, "srw", doc: "simple random walk P_ij = 1/d_i, gradients importance-weighted to the uniform average",
                      params: stochasticApproximationParams),
        make: { p in WalkSettings(p, chain: .simple, alpha: 0) })
}
