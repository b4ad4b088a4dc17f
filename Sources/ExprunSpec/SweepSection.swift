import ExprunCore
import ExprunConfig

/// The `sweep:` section: axes (a role, `role.param` or `run.key`, or a `zip` of several),
/// each checked against the problem kind's roles and expanded to its values.
extension Builder {
    mutating func parseSweep() -> [Axis] {
        guard let sweep = tree["sweep"] else { return [] }
        guard let entries = sweep.entries else {
            report(Diagnostic(sweep.location, "sweep must map axes (model, optimizer.lr, ...) to values"))
            return []
        }
        var axes: [Axis] = []
        var used = Set<String>()
        for e in entries {
            if e.key == "zip" {
                let groups = e.value.items ?? [e.value]
                for g in groups {
                    guard let ge = g.entries, !ge.isEmpty else {
                        report(Diagnostic(g.location, "zip must map two or more axes to lists of equal length"))
                        continue
                    }
                    var paths: [String] = [], locs: [SourceLocation] = [], cols: [[ConfigNode]] = []
                    for z in ge {
                        guard checkAxisPath(z.key, z.keyLocation, used: &used) else { continue }
                        guard let vals = SweepValues.expand(z.value, path: z.key, limit: limits.maxRuns, problems: &problems) else { continue }
                        paths.append(z.key); locs.append(z.keyLocation); cols.append(vals)
                    }
                    guard !cols.isEmpty else { continue }
                    let n = cols[0].count
                    if let bad = cols.firstIndex(where: { $0.count != n }) {
                        report(Diagnostic(locs[bad], "zip axis '\(paths[bad])' has \(cols[bad].count) values but '\(paths[0])' has \(n): zipped axes pair values by position"))
                        continue
                    }
                    axes.append(Axis(paths: paths, pathLocations: locs, values: (0..<n).map { i in cols.map { $0[i] } }))
                }
                continue
            }
            guard checkAxisPath(e.key, e.keyLocation, used: &used) else { continue }
            guard let vals = SweepValues.expand(e.value, path: e.key, limit: limits.maxRuns, problems: &problems) else { continue }
            if !e.key.contains(".") {
                // A selection axis: values are names of components of that family.
                let family = problem.role(e.key)!.family
                let defined = validator.names[family] ?? []
                for v in vals {
                    guard let s = v.string, defined.contains(s) else {
                        let s = v.scalar?.text ?? v.kindName
                        report(Diagnostic(v.location, "sweep axis '\(e.key)': '\(s)' is not defined in \(family.section)",
                                          suggestion: closestMatch(s, in: defined)))
                        continue
                    }
                }
            }
            axes.append(Axis(paths: [e.key], pathLocations: [e.keyLocation], values: vals.map { [$0] }))
        }
        return axes
    }

    mutating func checkAxisPath(_ path: String, _ loc: SourceLocation, used: inout Set<String>) -> Bool {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let allowed = problem.roles.map(\.name) + ["run"]
        if path == "seed" || path == "seeds" {
            report(Diagnostic(loc, "seeds are their own axis: set `seeds:` at the top level, not in sweep"))
            return false
        }
        guard let role = parts.first, allowed.contains(role), parts.count <= 2, !parts.contains(where: \.isEmpty) else {
            report(Diagnostic(loc, "unknown sweep axis '\(path)': axes are a role (\(allowed.filter { $0 != "run" }.joined(separator: ", "))) or role.parameter",
                              suggestion: closestMatch(parts.first ?? path, in: allowed).map { parts.count > 1 ? ([$0] + parts.dropFirst()).joined(separator: ".") : $0 }))
            return false
        }
        if role == "run" {
            if parts.count != 2 || !RunSection.keys.contains(parts[1]) {
                report(Diagnostic(loc, "unknown sweep axis '\(path)'",
                                  suggestion: parts.count == 2 ? closestMatch(parts[1], in: RunSection.keys).map { "run." + $0 } : nil))
                return false
            }
        }
        if !used.insert(path).inserted {
            report(Diagnostic(loc, "sweep axis '\(path)' is given twice (duplicate name)"))
            return false
        }
        return true
    }
}
