import ExprunCore
import Foundation

/// The Erdos-Renyi graph G(n, p), conditioned on being connected, from the graph's own seed.
///
/// Each sample draws the edges by geometric skipping (Batagelj & Brandes 2005, networkx's
/// `fast_gnp_random_graph`): O(n + m), not O(n²). Retry rule: sample k uses the stream
/// `attempt<k>` of the seed, k = 0, 1, ...; the first connected sample is the graph, and
/// `attempts` disconnected samples are a validation error located at `p` (connectivity needs p
/// above about ln(n)/n).
public enum ErdosRenyiGraph {
    public static let entry = GraphEntry(
        ComponentDecl(.graph, "erdos_renyi", doc: "G(n, p) conditioned on connectivity (first connected of seeded samples)",
                      params: [
                          .int("nodes", 50, ValueRange(min: 2, max: Double(GraphLimits.maxNodes)), "number of nodes n"),
                          .double("p", 0.1, ValueRange(min: 0, max: 1, minOpen: true), "probability of each edge"),
                          .int("seed", 1, .nonNegative, "seed of the graph (the same graph for every run seed)"),
                          .int("attempts", 100, ValueRange(min: 1, max: 10_000), "samples tried before giving up (connected)"),
                      ],
                      check: { p in
                          let n = Double(p.int("nodes")), expected = p.double("p") * n * (n - 1) / 2
                          if expected > Double(GraphLimits.maxEdges) {
                              return [ParamProblem("p", "about \(Int(expected)) edges expected, above the limit of \(GraphLimits.maxEdges)")]
                          }
                          return sampleProblems("p") { try sample(p) }
                      }),
        make: { p in try sample(p) })

    static func sample(_ p: Params) throws -> Graph {
        try sample(nodes: p.int("nodes"), p: p.double("p"), seed: UInt64(p.int("seed")), attempts: p.int("attempts"))
    }

    public static func sample(nodes n: Int, p: Double, seed: UInt64, attempts: Int) throws -> Graph {
        if let g = try firstConnectedSample(nodes: n, seed: seed, purpose: "graph:erdos_renyi", attempts: attempts,
                                            { edges(n: n, p: p, rng: &$0) }) { return g }
        throw ComponentError("G(\(n), \(p)) was disconnected in all \(attempts) samples; raise p above ln(n)/n = "
                             + "\(log(Double(n)) / Double(n)) (or attempts)")
    }

    /// The pairs (v, w), w < v, each kept with probability p, by skipping geometric gaps.
    static func edges(n: Int, p: Double, rng: inout RNG) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        if p >= 1 {
            for v in 1..<n { for w in 0..<v { out.append((w, v)) } }
            return out
        }
        let lp = log1p(-p)
        var v = 1, w = -1
        while v < n {
            // 1 - uniform() lies in (0, 1]: the log is finite. A gap past every remaining pair ends
            // the sample (and keeps a tiny p from overflowing Int).
            let gap = log(1 - rng.uniform()) / lp
            if gap >= Double(n) * Double(n) { break }
            w += 1 + Int(gap)
            while w >= v && v < n { w -= v; v += 1 }
            if v < n { out.append((w, v)) }
        }
        return out
    }
}
