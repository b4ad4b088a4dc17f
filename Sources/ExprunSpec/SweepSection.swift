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
            if !e.key.contains("."), Builder.isPerComponentGrid(e.value), let role = problem.role(e.key) {
                if let axis = perComponentAxis(e, role: role, used: &used) { axes.append(axis) }
                continue
            }
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

    /// Types every axis value by the parameter it sets, once, as the sweep is parsed (not when
    /// each cell resolves): a `role.param` value is converted for each component that can fill
    /// the role (the ones a role axis sweeps over, else every one defined), and a `run.key`
    /// value against the run section's declaration. A value no component can take is reported
    /// at the value, and a parameter no candidate declares at the axis.
    mutating func typeValues(_ axes: inout [Axis]) {
        var swept: [String: [String]] = [:]
        for axis in axes {
            for (k, path) in axis.paths.enumerated() where !path.contains(".") {
                swept[path] = axis.values.compactMap { $0[k].string }
            }
        }
        let runDecls = RunSection.declarations(metrics: problem.metrics.map(\.name))
        for a in axes.indices {
            axes[a].typed = axes[a].values.map { _ in axes[a].paths.map { _ in [:] } }
            for (k, path) in axes[a].paths.enumerated() {
                let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                if parts[0] == "run" {
                    guard let decl = runDecls.first(where: { $0.name == parts[1] }) else { continue }
                    for row in axes[a].values { _ = typed(row[k], decl, owner: "run") }
                    continue
                }
                guard let role = problem.role(parts[0]) else { continue }
                let candidates = (swept[role.name] ?? components[role.family]?.map(\.name) ?? []).compactMap { candidate(role, $0) }
                if components[role.family]?.isEmpty ?? true {
                    report(Diagnostic(axes[a].pathLocations[k], "sweep axis '\(path)': no \(role.family.section) are defined, so nothing takes '\(parts[1])'"))
                    continue
                }
                // In an axis that also sets the role (a zip, a per-component grid), a row's
                // value is for that row's component alone.
                if let roleColumn = axes[a].paths.firstIndex(of: role.name) {
                    for (i, row) in axes[a].values.enumerated() where !axes[a].isAbsent(i, k) {
                        guard let name = row[roleColumn].string,
                              let c = candidates.first(where: { $0.name == name }) ?? candidate(role, name) else { continue }
                        guard let param = c.decl.param(parts[1]) else {
                            report(noParameter(path, c.name, c.decl, at: row[k].location))
                            continue
                        }
                        if let t = typed(row[k], param, owner: "\(role.family.rawValue) '\(c.name)'") { axes[a].typed[i][k][c.name] = t }
                    }
                    continue
                }
                let declaring = candidates.filter { $0.decl.param(parts[1]) != nil }
                if declaring.isEmpty {
                    if !candidates.isEmpty {
                        let declared = Array(Set(candidates.flatMap { $0.decl.params.map(\.name) })).sorted()
                        report(Diagnostic(axes[a].pathLocations[k],
                                          "sweep axis '\(path)': no \(role.family.rawValue) of this sweep (\(candidates.map(\.name).joined(separator: ", "))) has a parameter '\(parts[1])'",
                                          suggestion: closestMatch(parts[1], in: declared).map { role.name + "." + $0 }))
                    }
                    continue
                }
                for (i, row) in axes[a].values.enumerated() {
                    for c in declaring {
                        // One message per bad value: the first component that rejects it.
                        guard let t = typed(row[k], c.decl.param(parts[1])!, owner: "\(role.family.rawValue) '\(c.name)'") else { break }
                        axes[a].typed[i][k][c.name] = t
                    }
                }
            }
        }
    }

    /// A component that can fill `role`, with its declaration (nil if its kind is unknown).
    func candidate(_ role: RoleDecl, _ name: String) -> (name: String, decl: ComponentDecl)? {
        components[role.family]?.first { $0.name == name }?.body["kind"]?.string
            .flatMap { decl(role.family, kind: $0) }.map { (name: name, decl: $0) }
    }

    /// A sweep value for a parameter its component does not have.
    func noParameter(_ path: String, _ name: String, _ decl: ComponentDecl, at location: SourceLocation) -> Diagnostic {
        let param = path.split(separator: ".", maxSplits: 1).last.map(String.init) ?? path
        return Diagnostic(location, "sweep axis '\(path)': \(decl.family.rawValue) '\(name)' (kind \(decl.kind)) has no parameter '\(param)'",
                          suggestion: closestMatch(param, in: decl.params.map(\.name)))
    }

    /// One value converted for a parameter (null unsets an optional parameter: its default).
    private mutating func typed(_ node: ConfigNode, _ decl: ParamDecl, owner: String) -> TypedSetting? {
        if case .null? = node.scalar, !decl.required { return decl.defaultValue.map(TypedSetting.set) ?? .unset }
        var local: [Diagnostic] = []
        let v = validator.value(node, for: decl, owner: owner, into: &local)
        report(local)
        return v.map(TypedSetting.set)
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
