import ExprunCore

/// The Metropolis-Hastings random walk towards the uniform target (the paper's base chain):
/// the token carries θ and takes an SGD step on the loss of every node it lands on.
public enum MetropolisHastingsWalk {
    public static let entry = WalkEntry(
        ComponentDecl(.walk, "mhrw", doc: "Metropolis-Hastings random walk, uniform target: P_ij = min(1/d_i, 1/d_j)",
                      params: stochasticApproximationParams),
        make: { p in WalkSettings(p, chain: .metropolisHastings, alpha: 0) })
}
