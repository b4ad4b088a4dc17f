import Foundation
import ExprunCore

/// How long each agent of an event-driven simulation takes for one unit of work (a federated
/// client's local run): a mean per agent from a speed profile, and a distribution of each
/// draw around that mean. Declared once (`params`), so every component that simulates agents
/// (the federated `clients`) takes the same keys, and the schema and `exprun list` show them.
///
/// Profiles (agent i of M, the mean time τ_i):
/// - `linear` (the paper's scenario "F-X", Fraboni et al.'s `get_tau_i`):
///   τ_i = mean_time · (1 − i/(M−1) · fast_percent/100): agent 0 is the slowest, agent M−1 is
///   fast_percent % faster; fast_percent 0 gives equal speeds.
/// - `groups`: the first round(slow_fraction · M) agents take mean_time, the others
///   mean_time / speedup (a fixed fast and slow group).
///
/// Draws (the k-th unit of work of agent i), all with mean τ_i:
/// - `constant`: τ_i (the official code's deterministic times);
/// - `exponential`: Exp(mean τ_i) (the paper's random-time option);
/// - `lognormal`: exp(N(ln τ_i − σ²/2, σ²)) (heavy right tail, every moment finite);
/// - `pareto`: x_m · U^(−1/a) with x_m = τ_i (a−1)/a (heavy tail: variance infinite for a <= 2).
public struct ComputeTimes: Sendable, Equatable {
    public enum Profile: String, CaseIterable, Sendable { case linear, groups }
    public enum Draw: String, CaseIterable, Sendable { case constant, exponential, lognormal, pareto }

    /// The mean time of each agent.
    public let means: [Double]
    public let draw: Draw
    public let sigma: Double
    public let shape: Double

    /// The declared parameters (a component that simulates agents lists them among its own).
    public static let params: [ParamDecl] = [
        .double("mean_time", 1.0, .positive, "mean simulated time of one local run of the slowest client"),
        .choice("speed_profile", Profile.allCases.map(\.rawValue), "linear",
                "client mean times: linear (client i of M: mean_time·(1 − i/(M−1)·fast_percent/100), the paper's F-X scenario) or groups (slow_fraction of the clients slow, the rest speedup times faster)"),
        .double("fast_percent", 0, ValueRange(min: 0, max: 100, maxOpen: true),
                "linear profile: the fastest client is this % faster than the slowest (0: equal speeds; the paper's F-90 is 90)"),
        .double("slow_fraction", 0.5, .unit, "groups profile: fraction of clients (the first ones) in the slow group"),
        .double("speedup", 10, .atLeastOne, "groups profile: the fast group's mean time is mean_time / speedup"),
        .choice("time_distribution", Draw.allCases.map(\.rawValue), "constant",
                "each local run's time around the client's mean: constant, exponential, lognormal (heavy tail) or pareto (heavy tail)"),
        .double("lognormal_sigma", 1.0, .positive, "lognormal draws: σ of the log of the time"),
        .double("pareto_shape", 2.5, ValueRange(min: 1, minOpen: true), "pareto draws: tail index a > 1 (infinite variance for a <= 2)"),
    ]

    public init(means: [Double], draw: Draw = .constant, sigma: Double = 1, shape: Double = 2.5) {
        self.means = means; self.draw = draw; self.sigma = sigma; self.shape = shape
    }

    /// The times of `agents` agents from validated parameters (`params` among a component's).
    public init(_ p: Params, agents: Int) {
        let mean = p.double("mean_time")
        var means = [Double](repeating: mean, count: agents)
        switch Profile(rawValue: p.string("speed_profile"))! {
        case .linear:
            let x = p.double("fast_percent") / 100
            if agents > 1 { for i in 0..<agents { means[i] = mean * (1 - Double(i) / Double(agents - 1) * x) } }
        case .groups:
            let slow = Int((p.double("slow_fraction") * Double(agents)).rounded())
            for i in slow..<agents where i >= 0 { means[i] = mean / p.double("speedup") }
        }
        self.init(means: means, draw: Draw(rawValue: p.string("time_distribution"))!,
                  sigma: p.double("lognormal_sigma"), shape: p.double("pareto_shape"))
    }

    /// One unit of work of `agent`, drawn from `rng` (one uniform or one normal per draw; the
    /// constant draw takes none, so it never shifts other streams).
    @inlinable
    public func sample(agent: Int, rng: inout RNG) -> Double {
        let tau = means[agent]
        switch draw {
        case .constant:
            return tau
        case .exponential:
            return -tau * Foundation.log1p(-rng.uniform())
        case .lognormal:
            return Foundation.exp(Foundation.log(tau) - 0.5 * sigma * sigma + sigma * rng.normal())
        case .pareto:
            let xm = tau * (shape - 1) / shape
            return xm * Foundation.pow(1 - rng.uniform(), -1 / shape)
        }
    }
}

/// The log times of a simulated clock over [0, horizon]: `{points: n}` gives n times, evenly
/// spaced (or, with `scale: log`, 0 then n−1 times spaced geometrically over the last three
/// decades, horizon·10⁻³ to horizon); `{every: k}` gives 0, k, 2k, ... and the horizon.
/// The Spec bounds their count (`limits.max_log_points`).
public func logTimesOf(_ policy: LogPolicy, horizon: Double) -> [Double] {
    switch policy {
    case .every(let k):
        let stride = Double(max(1, k))
        var out: [Double] = []
        var i = 0.0
        while i * stride < horizon { out.append(i * stride); i += 1 }
        out.append(horizon)
        return out
    case .points(let n, let logScale):
        let n = max(2, n)
        var out: [Double] = [0]
        out.reserveCapacity(n)
        for i in 1..<n {
            if i == n - 1 { out.append(horizon); continue }
            if logScale {
                let decades: Double = -3 * Double(n - 1 - i) / Double(n - 2)
                out.append(horizon * Foundation.pow(10.0, decades))
            } else {
                out.append(horizon * Double(i) / Double(n - 1))
            }
        }
        return out
    }
}
