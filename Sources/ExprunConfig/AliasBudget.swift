import Yams

/// Bounds YAML alias expansion before the tree is converted.
///
/// libyaml composes an alias as a reference to the anchored node, so a 1 KB file of nested
/// aliases ("billion laughs") is a small graph that expands to 10^9 nodes as a tree. Every later
/// stage walks the tree, so the expanded size is counted first, on the composed nodes, and the
/// walk stops as soon as the budget is spent: the cost is bounded by the budget, never by the
/// expansion.
public enum AliasBudget {
    /// Nodes a config may expand to (every scalar, list and mapping counts one). Real configs
    /// are a few hundred nodes; a written-out grid of 10^5 values still fits.
    public static let defaultMaxNodes = 1_000_000

    /// nil when the expanded tree has at most `maxNodes` nodes; otherwise the top-level key (and
    /// its location) under which the budget ran out.
    static func overflow(_ root: Yams.Node, maxNodes: Int = defaultMaxNodes) -> (key: String?, mark: Mark?)? {
        var remaining = maxNodes
        // Walks depth-first and returns false as soon as the budget is spent.
        func walk(_ node: Yams.Node) -> Bool {
            remaining -= 1
            if remaining < 0 { return false }
            switch node {
            case .scalar, .alias: return true
            case .sequence(let s):
                for item in s where !walk(item) { return false }
                return true
            case .mapping(let m):
                for (k, v) in m where !walk(k) || !walk(v) { return false }
                return true
            }
        }
        if case .mapping(let m) = root {
            remaining -= 1
            for (k, v) in m where !walk(k) || !walk(v) { return (k.string, k.mark) }
            return nil
        }
        return walk(root) ? nil : (nil, root.mark)
    }
}
