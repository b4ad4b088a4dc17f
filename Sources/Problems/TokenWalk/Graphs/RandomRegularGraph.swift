import ExprunCore

/// A uniformly random d-regular graph on n nodes, connected, from the graph's own seed.
///
/// Sampling is networkx's `random_regular_graph` procedure (Steger & Wormald 1999): shuffle
/// the n·d stubs, pair them in order, keep the pairs that make a new simple edge, and pair the
/// leftover stubs again; an attempt that reaches leftovers no pair of which can be joined
/// restarts. A disconnected sample also restarts (retry rule: attempt k uses the stream
/// `attempt<k>` of the seed, k = 0, 1, ...; the first connected simple sample is the graph, and
/// `attempts` failures are a validation error located at `degree`).
public enum RandomRegularGraph {
    public static let entry = GraphEntry(
        ComponentDecl(.graph, "random_regular", doc: "uniform random d-regular graph (Steger-Wormald pairing), connected, own seed",
                      params: [
                          .int("nodes", 50, ValueRange(min: 3, max: Double(GraphLimits.maxNodes)), "number of nodes n"),
                          .int("degree", 4, ValueRange(min: 2, max: 1000), "degree d of every node (n·d even, d < n)"),
                          .int("seed", 1, .nonNegative, "seed of the graph (the same graph for every run seed)"),
                          .int("attempts", 100, ValueRange(min: 1, max: 10_000), "samples tried before giving up (simple and connected)"),
                      ],
                      check: { p in
                          let n = p.int("nodes"), d = p.int("degree")
                          if d >= n { return [ParamProblem("degree", "degree \(d) must be below nodes \(n)")] }
                          if (n * d) % 2 != 0 { return [ParamProblem("degree", "nodes x degree = \(n * d) must be even")] }
                          if n * d / 2 > GraphLimits.maxEdges {
                              return [ParamProblem("degree", "\(n * d / 2) edges is above the limit of \(GraphLimits.maxEdges)")]
                          }
                          return sampleProblems("degree") { try sample(p) }
                      }),
        make: { p in try sample(p) })

    static func sample(_ p: Params) throws -> Graph {
        try sample(nodes: p.int("nodes"), degree: p.int("degree"), seed: UInt64(p.int("seed")), attempts: p.int("attempts"))
    }

    public static func sample(nodes n: Int, degree d: Int, seed: UInt64, attempts: Int) throws -> Graph {
        if let g = try firstConnectedSample(nodes: n, seed: seed, purpose: "graph:random_regular", attempts: attempts,
                                            { pairing(n: n, d: d, rng: &$0) }) { return g }
        throw ComponentError("no simple connected \(d)-regular graph on \(n) nodes in \(attempts) attempts "
                             + "(raise attempts, or change the seed)")
    }

    /// One attempt: the edges, or nil when the leftover stubs cannot be paired.
    static func pairing(n: Int, d: Int, rng: inout RNG) -> [(Int, Int)]? {
        var edges: [(Int, Int)] = []
        var present = Set<Int>()
        var stubs = [Int](repeating: 0, count: n * d)
        for i in 0..<(n * d) { stubs[i] = i / d }
        while !stubs.isEmpty {
            stubs.withUnsafeMutableBufferPointer { rng.shuffle($0) }
            var leftover: [Int] = []
            var k = 0
            while k + 1 < stubs.count {
                let a = min(stubs[k], stubs[k + 1]), b = max(stubs[k], stubs[k + 1])
                if a != b && present.insert(a * n + b).inserted { edges.append((a, b)) } else { leftover += [a, b] }
                k += 2
            }
            if leftover.isEmpty { break }
            // Some pair of distinct leftover nodes not yet joined must exist, or the attempt is stuck.
            let nodes = Array(Set(leftover)).sorted()
            var suitable = false
            search: for x in 0..<nodes.count {
                for y in (x + 1)..<max(x + 1, nodes.count) where !present.contains(nodes[x] * n + nodes[y]) {
                    suitable = true; break search
                }
            }
            if !suitable { return nil }
            stubs = leftover
        }
        return edges
    }
}
