import ExprunCore
import ExprunConfig

/// A per-component grid, a role axis written as a mapping from component names to their own
/// axes: `optimizer: {sgd: {lr: [0.1, 1.0]}, adam: {lr: [1.0e-3, 1.0e-2], beta2: [0.99, 0.999]}}`
/// is the union of each component's own grid (the product of its axes, the first outermost),
/// in the order written. It is one axis of the grid whose paths are the role and every
/// parameter named (in order of first mention); a parameter a component's grid does not name
/// is absent from its rows, so that component keeps its own value. An empty grid (`sgd: {}`
/// or `sgd:`) is the component as defined.
///
/// The cells are exactly those of a zip of the same pairs, so the run ids are the same.
extension Builder {
    /// A role axis written as a mapping that is not one of the value helpers (`logspace`...).
    static func isPerComponentGrid(_ node: ConfigNode) -> Bool {
        guard case .map(let entries, _) = node else { return false }
        return !(entries.count == 1 && SweepValues.helpers.contains(entries[0].key))
    }

    mutating func perComponentAxis(_ e: ConfigEntry, role: RoleDecl, used: inout Set<String>) -> Axis? {
        let defined = validator.names[role.family] ?? []
        var params: [String] = [], paramLocations: [SourceLocation] = []
        var rows: [(component: ConfigNode, settings: [String: ConfigNode])] = []
        let before = problems.count
        for c in e.value.entries ?? [] {
            guard defined.contains(c.key) else {
                report(Diagnostic(c.keyLocation, "sweep axis '\(e.key)': '\(c.key)' is not defined in \(role.family.section)",
                                  suggestion: closestMatch(c.key, in: defined)))
                continue
            }
            let component = ConfigNode.scalar(.string(c.key), c.keyLocation)
            if case .null? = c.value.scalar { rows.append((component, [:])); continue }
            guard let grid = c.value.entries else {
                report(Diagnostic(c.value.location, "sweep axis '\(e.key)': \(c.key) must map its parameters to values ({lr: [...]}), or be empty"))
                continue
            }
            var cells: [[String: ConfigNode]] = [[:]]
            for p in grid {
                guard !p.key.contains("."), !p.key.isEmpty else {
                    report(Diagnostic(p.keyLocation, "sweep axis '\(e.key)': \(c.key)'s grid names parameters of \(c.key) (lr, ...), not paths"))
                    continue
                }
                guard let values = SweepValues.expand(p.value, path: "\(e.key).\(c.key).\(p.key)", limit: limits.maxRuns,
                                                      problems: &problems) else { continue }
                guard cells.count * values.count <= limits.maxRuns else {
                    report(Diagnostic(p.keyLocation, "sweep axis '\(e.key)': \(c.key)'s grid has more than limits.max_runs = \(limits.maxRuns) cells"))
                    return nil
                }
                cells = cells.flatMap { cell in values.map { v in cell.merging([p.key: v]) { _, b in b } } }
                if !params.contains(p.key) { params.append(p.key); paramLocations.append(p.keyLocation) }
            }
            rows += cells.map { (component, $0) }
            guard rows.count <= limits.maxRuns else {
                report(Diagnostic(c.keyLocation, "sweep axis '\(e.key)' has more than limits.max_runs = \(limits.maxRuns) cells"))
                return nil
            }
        }
        // Rows with problems were left out (and reported); the rest still get their values typed.
        guard !rows.isEmpty else {
            if problems.count > before { return nil }
            report(Diagnostic(e.value.location, "sweep axis '\(e.key)' has no values (empty sweep)"))
            return nil
        }
        let paths = [e.key] + params.map { "\(e.key).\($0)" }
        let locations = [e.keyLocation] + paramLocations
        for (path, loc) in zip(paths.dropFirst(), locations.dropFirst()) {
            guard checkAxisPath(path, loc, used: &used) else { return nil }
        }
        let unset = ConfigNode.scalar(.null, e.keyLocation)
        return Axis(paths: paths, pathLocations: locations,
                    values: rows.map { row in [row.component] + params.map { row.settings[$0] ?? unset } },
                    absent: rows.map { row in [false] + params.map { row.settings[$0] == nil } })
    }
}
