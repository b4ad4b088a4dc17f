import ExprunCore

/// An undirected simple graph on nodes 0..<nodeCount, stored as sorted adjacency lists
/// (compressed rows): the neighbours of node i are `neighbors[offsets[i]..<offsets[i + 1]]`,
/// increasing, without self-loops or repeated edges. Immutable once built, shared by the runs.
public struct Graph: Sendable, Equatable {
    public let nodeCount: Int
    public let offsets: [Int]
    public let neighbors: [Int32]

    /// Builds the graph from an edge list (each undirected edge once, in either order).
    /// Throws on a self-loop, a repeated edge or a node out of range: every generator here
    /// produces simple graphs, so one of these is a bug, not an input to repair.
    public init(nodeCount: Int, edges: [(Int, Int)]) throws {
        var degree = [Int](repeating: 0, count: nodeCount)
        for (a, b) in edges {
            guard a >= 0, b >= 0, a < nodeCount, b < nodeCount else {
                throw ComponentError("graph edge (\(a), \(b)) outside nodes 0..<\(nodeCount)")
            }
            guard a != b else { throw ComponentError("graph edge (\(a), \(a)) is a self-loop") }
            degree[a] += 1; degree[b] += 1
        }
        var offsets = [Int](repeating: 0, count: nodeCount + 1)
        for i in 0..<nodeCount { offsets[i + 1] = offsets[i] + degree[i] }
        var fill = Array(offsets.dropLast())
        var neighbors = [Int32](repeating: 0, count: offsets[nodeCount])
        for (a, b) in edges {
            neighbors[fill[a]] = Int32(b); fill[a] += 1
            neighbors[fill[b]] = Int32(a); fill[b] += 1
        }
        for i in 0..<nodeCount {
            let row = offsets[i]..<offsets[i + 1]
            neighbors[row].sort()
            for k in row.dropFirst() where neighbors[k] == neighbors[k - 1] {
                throw ComponentError("graph edge (\(i), \(neighbors[k])) is repeated")
            }
        }
        self.nodeCount = nodeCount; self.offsets = offsets; self.neighbors = neighbors
    }

    public func degree(_ i: Int) -> Int { offsets[i + 1] - offsets[i] }
    public var edgeCount: Int { neighbors.count / 2 }
    public var maxDegree: Int { (0..<nodeCount).map(degree).max() ?? 0 }
    public var minDegree: Int { (0..<nodeCount).map(degree).min() ?? 0 }
    /// Each edge once, (i, j) with i < j, in increasing order.
    public var edges: [(Int, Int)] {
        var out: [(Int, Int)] = []
        out.reserveCapacity(edgeCount)
        for i in 0..<nodeCount {
            for k in offsets[i]..<offsets[i + 1] where Int(neighbors[k]) > i { out.append((i, Int(neighbors[k]))) }
        }
        return out
    }

    /// Whether every node is reachable from node 0 (breadth-first search).
    public var isConnected: Bool { componentSizeOfNodeZero == nodeCount }

    /// The number of nodes reachable from node 0.
    public var componentSizeOfNodeZero: Int {
        guard nodeCount > 0 else { return 0 }
        var seen = [Bool](repeating: false, count: nodeCount)
        var queue = [0]
        seen[0] = true
        var head = 0
        while head < queue.count {
            let i = queue[head]; head += 1
            for k in offsets[i]..<offsets[i + 1] {
                let j = Int(neighbors[k])
                if !seen[j] { seen[j] = true; queue.append(j) }
            }
        }
        return queue.count
    }
}

/// Size bounds of generated graphs, checked on the parameters before anything is allocated.
public enum GraphLimits {
    /// Nodes of any graph (the walk keeps O(nodes) state; the visit measure is logged per node).
    public static let maxNodes = 100_000
    /// Undirected edges of any graph (the expected count for a random one).
    public static let maxEdges = 5_000_000
}

/// The retry rule of the random graph kinds: sample k (k = 0, 1, ..., attempts - 1) draws from
/// the stream `attempt<k>` of (seed, purpose); the first sample that is a connected simple
/// graph is the graph (`sample` returns nil for an attempt that produced none). nil when all
/// attempts fail.
func firstConnectedSample(nodes n: Int, seed: UInt64, purpose: String, attempts: Int,
                          _ sample: (inout RNG) -> [(Int, Int)]?) throws -> Graph? {
    let root = RNG(seed: seed, purpose: purpose)
    for k in 0..<attempts {
        var rng = root.split("attempt\(k)")
        guard let edges = sample(&rng) else { continue }
        let graph = try Graph(nodeCount: n, edges: edges)
        if graph.isConnected { return graph }
    }
    return nil
}

/// The validation of a random graph kind: the sample itself (graphs are small next to a run),
/// its failure reported at `param`.
func sampleProblems(_ param: String, _ sample: () throws -> Graph) -> [ParamProblem] {
    do { _ = try sample() } catch { return [ParamProblem(param, "\(error)")] }
    return []
}

/// A graph kind's declaration and factory. Graphs take their own `seed` (not the run's), so
/// every seed of a sweep walks the same graph, as in the paper's experiments.
public struct GraphEntry: Sendable {
    public var decl: ComponentDecl
    public var make: @Sendable (Params) throws -> Graph
    public init(_ decl: ComponentDecl, make: @escaping @Sendable (Params) throws -> Graph) {
        self.decl = decl; self.make = make
    }
}

/// Every graph kind, in catalogue order.
public let graphCatalogue: [GraphEntry] = [
    RingGraph.entry, GridGraph.entry, RandomRegularGraph.entry, ErdosRenyiGraph.entry, KarateClubGraph.entry,
]

/// The graph of a component's parameters, built by its kind's factory.
public func makeGraph(_ params: Params) throws -> Graph {
    guard let entry = (graphCatalogue + AddedComponents.entries(GraphEntry.self)).first(where: { $0.decl.kind == params.kind }) else {
        throw ComponentError("unknown graph kind \(params.kind)")
    }
    return try entry.make(params)
}
