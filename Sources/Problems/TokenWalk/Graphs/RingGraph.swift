import ExprunCore

/// The cycle C_n: node i is joined to i ± 1 (mod n). The slowest-mixing connected
/// vertex-transitive graph: the base chain's spectral gap is Θ(1/n²).
public enum RingGraph {
    public static let entry = GraphEntry(
        ComponentDecl(.graph, "ring", doc: "cycle C_n: node i joined to i ± 1 (mod n)",
                      params: [.int("nodes", 34, ValueRange(min: 3, max: Double(GraphLimits.maxNodes)), "number of nodes n")]),
        make: { p in try ring(nodes: p.int("nodes")) })

    public static func ring(nodes n: Int) throws -> Graph {
        try Graph(nodeCount: n, edges: (0..<n).map { ($0, ($0 + 1) % n) })
    }
}
