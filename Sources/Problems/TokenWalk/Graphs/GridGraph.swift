import ExprunCore

/// The rows x cols grid graph (4-neighbour lattice), or the torus when `periodic`.
public enum GridGraph {
    public static let entry = GraphEntry(
        ComponentDecl(.graph, "grid", doc: "2-D lattice rows x cols, 4 neighbours; periodic: the torus",
                      params: [
                          .int("rows", 6, ValueRange(min: 1, max: Double(GraphLimits.maxNodes)), "rows of the lattice"),
                          .int("cols", 6, ValueRange(min: 1, max: Double(GraphLimits.maxNodes)), "columns of the lattice"),
                          .bool("periodic", false, "wrap both directions around (a torus; needs rows, cols >= 3)"),
                      ],
                      check: { p in
                          let rows = p.int("rows"), cols = p.int("cols")
                          if rows * cols > GraphLimits.maxNodes {
                              return [ParamProblem("cols", "rows x cols = \(rows * cols) nodes is above the limit of \(GraphLimits.maxNodes)")]
                          }
                          if rows * cols < 2 { return [ParamProblem("rows", "a grid needs at least 2 nodes")] }
                          // With 2 (or 1) rows the wrap-around edge repeats an edge (or is a self-loop).
                          if p.bool("periodic") && (rows < 3 || cols < 3) {
                              return [ParamProblem(rows < 3 ? "rows" : "cols", "a periodic grid needs rows >= 3 and cols >= 3")]
                          }
                          return []
                      }),
        make: { p in try grid(rows: p.int("rows"), cols: p.int("cols"), periodic: p.bool("periodic")) })

    /// Node (r, c) is r * cols + c.
    public static func grid(rows: Int, cols: Int, periodic: Bool) throws -> Graph {
        var edges: [(Int, Int)] = []
        for r in 0..<rows {
            for c in 0..<cols {
                let i = r * cols + c
                if c + 1 < cols { edges.append((i, i + 1)) } else if periodic { edges.append((i, r * cols)) }
                if r + 1 < rows { edges.append((i, i + cols)) } else if periodic { edges.append((i, c)) }
            }
        }
        return try Graph(nodeCount: rows * cols, edges: edges)
    }
}
