import ExprunCore
import ExprunConfig

/// How the `search:` section samples its space.
public enum SearchMethod: String, Sendable, CaseIterable {
    /// Independent draws from each parameter's law (xoshiro256** keyed by the search seed).
    case random
    /// The unscrambled Sobol sequence (Joe & Kuo's directions), mapped through each law.
    case sobol
}

/// The `search:` section: `{method: random | sobol, samples: N, seed: S, space: {...}}`.
/// The space maps sweep paths (`optimizer.lr`, `model.l2`, `run.batch_size`, or a role with
/// `{choice: [...]}`) to ranges (SearchRange), or nests them under a role's component names,
/// as per-method grids do (`optimizer: {sgd: {lr: [...]}, adam: {lr: ..., beta2: ...}}`): then
/// each component gets `samples` points of its own space (plus the space's plain paths).
///
/// The samples are one more axis of the grid, after the sweep's (seeds stay innermost): a
/// zip of the searched paths whose rows are the points, so they combine with the sweep's
/// other axes and seeds, are typed and checked as sweep values are, and a point's run id is
/// the id the same values would have in a grid.
extension Builder {
    static let searchKeys = ["method", "samples", "seed", "space"]

    /// The search section: its samples as one axis (nil for halving over the sweep's cells),
    /// and for halving its settings and the budget axis (`run.steps` at each rung's budget).
    struct SearchParse {
        var samples: Axis?
        var halving: (settings: HalvingSettings, budgetAxis: Axis)?
        /// The role whose components the space is nested under, if any.
        var nestedRole: String?
    }

    /// Whether a space entry nests a role's components (`optimizer: {sgd: {...}, ...}`), not a law.
    func nestsComponents(_ e: ConfigEntry) -> Bool {
        !e.key.contains(".") && problem.role(e.key) != nil && Builder.isPerComponentGrid(e.value)
            && !(e.value.entries?.count == 1 && SearchRange.laws.contains(e.value.entries![0].key))
    }

    mutating func parseSearch(_ node: ConfigNode, sweepAxes: [Axis]) -> SearchParse? {
        guard let entries = node.entries else {
            report(Diagnostic(node.location, "search must be a mapping {method: random|sobol|halving, samples: N, space: {...}}"))
            return nil
        }
        let methods = SearchMethod.allCases.map(\.rawValue) + HalvingSettings.methods
        guard let m = node["method"] else { report(Diagnostic(node.location, "search needs a method (\(methods.joined(separator: " | ")))")); return nil }
        guard let name = m.string, methods.contains(name) else {
            report(Diagnostic(m.location, "unknown search method '\(m.scalar?.text ?? m.kindName)' (\(methods.joined(separator: " | ")))",
                              suggestion: closestMatch(m.scalar?.text ?? "", in: methods)))
            return nil
        }
        let keys = Self.searchKeys + (name == "halving" ? HalvingSettings.keys : [])
        for e in entries where !keys.contains(e.key) {
            report(Diagnostic(e.keyLocation, "unknown search key '\(e.key)'" + (HalvingSettings.keys.contains(e.key) ? " (a halving key: method: halving)" : ""),
                              suggestion: closestMatch(e.key, in: keys)))
        }
        var result = SearchParse()
        result.nestedRole = node["space"]?.entries?.first(where: nestsComponents)?.key
        var method = SearchMethod(rawValue: name)
        if name == "halving" {
            guard let h = parseHalving(node) else { return nil }
            if sweepAxes.contains(where: { $0.paths.contains("run.steps") }) || node["space"]?["run.steps"] != nil {
                report(Diagnostic(h.budgetAxis.pathLocations[0], "search: halving sets run.steps to each rung's budget, so run.steps cannot be swept or searched too"))
                return nil
            }
            result.halving = h
            let kinds = HalvingSettings.candidateKinds
            if let c = node["candidates"] {
                guard let k = c.string, kinds.contains(k) else {
                    report(Diagnostic(c.location, "search.candidates is \(kinds.joined(separator: " | "))", suggestion: closestMatch(c.scalar?.text ?? "", in: kinds)))
                    return nil
                }
                method = SearchMethod(rawValue: k)
            } else {
                method = node["space"] == nil ? nil : .random
            }
            guard let method else {
                if let s = node["space"] { report(Diagnostic(s.location, "search.candidates is grid: the sweep's cells are the candidates, so there is no space")); return nil }
                if let s = node["samples"] { report(Diagnostic(s.location, "search.candidates is grid: the sweep's cells are the candidates, so there are no samples")); return nil }
                return result
            }
            guard let axis = parseSpace(node, method: method, sweepAxes: sweepAxes) else { return nil }
            result.samples = axis
            return result
        }
        guard let axis = parseSpace(node, method: method!, sweepAxes: sweepAxes) else { return nil }
        result.samples = axis
        return result
    }

    /// The samples of `space`: `samples` points drawn by `method`, as one axis.
    mutating func parseSpace(_ node: ConfigNode, method: SearchMethod, sweepAxes: [Axis]) -> Axis? {
        let m = node["method"]!
        guard let s = node["samples"] else { report(Diagnostic(node.location, "search needs samples (the number of points)")); return nil }
        guard case .int(let samples)? = s.scalar, samples >= 1 else {
            report(Diagnostic(s.location, "search.samples must be an integer >= 1, got \(s.scalar?.text ?? s.kindName)")); return nil
        }
        guard samples <= limits.maxRuns else {
            report(Diagnostic(s.location, "search.samples \(samples) is more than limits.max_runs = \(limits.maxRuns)")); return nil
        }
        var seed = 0
        if let sd = node["seed"] {
            guard case .int(let v)? = sd.scalar, v >= 0 else { report(Diagnostic(sd.location, "search.seed must be an integer >= 0")); return nil }
            seed = v
        }
        guard let spaceNode = node["space"] else { report(Diagnostic(node.location, "search needs a space (path: range, ...)")); return nil }
        guard let space = spaceNode.entries, !space.isEmpty else {
            report(Diagnostic(spaceNode.location, "search.space must map sweep paths (optimizer.lr, ...) to ranges")); return nil
        }
        var used = Set(sweepAxes.flatMap(\.paths))
        let before = problems.count
        // Plain paths, and at most one role nested by component names.
        var plain: [ConfigEntry] = [], nested: (entry: ConfigEntry, role: RoleDecl)?
        for e in space {
            guard checkAxisPath(e.key, e.keyLocation, used: &used) else { continue }
            if nestsComponents(e), let role = problem.role(e.key) {
                if let n = nested {
                    report(Diagnostic(e.keyLocation, "search.space nests components under one role only ('\(n.role.name)' already)"))
                    continue
                }
                nested = (e, role)
                continue
            }
            plain.append(e)
        }
        if let n = nested, let e = plain.first(where: { $0.key.hasPrefix(n.role.name + ".") }) {
            report(Diagnostic(e.keyLocation, "search.space '\(e.key)': \(n.role.name) is searched per component, so write \(e.key.dropFirst(n.role.name.count + 1)) under each of its components"))
        }
        guard problems.count == before else { return nil }

        // The components each `role.param` can reach: those the space or the sweep picks, else all defined.
        var picked: [String: [String]] = [:]
        for axis in sweepAxes { for (k, p) in axis.paths.enumerated() where !p.contains(".") { picked[p] = axis.values.compactMap { $0[k].string } } }
        for e in plain where !e.key.contains(".") { picked[e.key] = e.value["choice"]?.items?.compactMap(\.string) ?? [] }

        // One group of rows per component of the nested role (or one group for a flat space).
        var groups: [(component: String?, dims: [(path: String, range: SearchRange, location: SourceLocation)])] = []
        let plainRanges = plain.compactMap { e -> (path: String, range: SearchRange, location: SourceLocation)? in
            guard let r = rangeOf(e.value, path: e.key, at: e.keyLocation, picked: picked) else { return nil }
            return (e.key, r, e.value.location)
        }
        var paths = plain.map(\.key)
        if let n = nested {
            let (entry, role) = (n.entry, n.role)
            let defined = validator.names[role.family] ?? []
            for c in entry.value.entries ?? [] {
                guard defined.contains(c.key) else {
                    report(Diagnostic(c.keyLocation, "search.space '\(entry.key)': '\(c.key)' is not defined in \(role.family.section)",
                                      suggestion: closestMatch(c.key, in: defined)))
                    continue
                }
                var dims: [(path: String, range: SearchRange, location: SourceLocation)] = []
                for p in c.value.entries ?? [] {
                    let path = "\(role.name).\(p.key)"
                    guard !p.key.contains("."), let own = candidate(role, c.key) else {
                        report(Diagnostic(p.keyLocation, "search.space '\(entry.key)': \(c.key)'s space names parameters of \(c.key) (lr, ...), not paths"))
                        continue
                    }
                    guard let decl = own.decl.param(p.key) else { report(noParameter(path, c.key, own.decl, at: p.keyLocation)); continue }
                    guard let r = searchRange(p.value, path: "\(entry.key).\(c.key).\(p.key)", decls: [("\(role.family.rawValue) '\(c.key)'", decl)]) else { continue }
                    if !paths.contains(path) {
                        guard checkAxisPath(path, p.keyLocation, used: &used) else { continue }
                        paths.append(path)
                    }
                    dims.append((path, r, p.value.location))
                }
                if c.value.entries == nil, c.value.scalar != .null {
                    report(Diagnostic(c.value.location, "search.space '\(entry.key)': \(c.key) must map its parameters to ranges ({lr: [...]})"))
                }
                groups.append((c.key, dims + plainRanges))
            }
        } else {
            groups.append((nil, plainRanges))
        }
        guard problems.count == before else { return nil }
        guard groups.count * samples <= limits.maxRuns else {
            report(Diagnostic(s.location, "search gives \(groups.count) x \(samples) points, more than limits.max_runs = \(limits.maxRuns)")); return nil
        }

        // The points: row by row, each group's own stream (adding a method leaves the others' points as they were).
        let allPaths = (nested.map { [$0.role.name] } ?? []) + paths
        var rows: [[ConfigNode]] = [], absent: [[Bool]] = []
        for g in groups {
            let unset = ConfigNode.scalar(.null, spaceNode.location)
            let d = g.dims.count
            var sobol: SobolSequence? = nil
            if method == .sobol {
                guard let seq = SobolSequence(dimensions: max(d, 1)) else {
                    report(Diagnostic(m.location, "sobol supports up to \(SobolDirections.dimensions) searched parameters, this space has \(d)")); return nil
                }
                sobol = seq
            }
            var rng = RNG(seed: UInt64(seed), purpose: "search:" + (g.component ?? ""))
            for _ in 0..<samples {
                let u: [Double] = sobol != nil ? sobol!.next() : (0..<d).map { _ in rng.uniform() }
                var row = allPaths.map { _ in unset }, off = allPaths.map { _ in true }
                if let c = g.component, let n = nested {
                    row[0] = .scalar(.string(c), n.entry.value.entries!.first { $0.key == c }!.keyLocation); off[0] = false
                }
                for (k, dim) in g.dims.enumerated() {
                    let col = allPaths.firstIndex(of: dim.path)!
                    row[col] = dim.range.value(u[k], at: dim.location); off[col] = false
                }
                rows.append(row); absent.append(off)
            }
        }
        return Axis(paths: allPaths,
                    pathLocations: allPaths.map { p in space.first { $0.key == p }?.keyLocation ?? nested?.entry.keyLocation ?? spaceNode.location },
                    values: rows, absent: absent.contains { $0.contains(true) } ? absent : [])
    }

    /// The range of one plain path: a role's `{choice: [names]}`, a `run.key`'s, or a
    /// `role.param`'s checked against each component that can receive it.
    private mutating func rangeOf(_ node: ConfigNode, path: String, at location: SourceLocation, picked: [String: [String]]) -> SearchRange? {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 1 {
            let role = problem.role(path)!
            guard let options = node["choice"]?.items, node.entries?.count == 1 else {
                report(Diagnostic(node.location, "search.space '\(path)': a role is searched by {choice: [names]}, or nested by component ({name: {param: range}})"))
                return nil
            }
            let defined = validator.names[role.family] ?? []
            for o in options where !(o.string.map(defined.contains) ?? false) {
                report(Diagnostic(o.location, "search.space '\(path)': '\(o.scalar?.text ?? o.kindName)' is not defined in \(role.family.section)",
                                  suggestion: closestMatch(o.scalar?.text ?? "", in: defined)))
            }
            return searchRange(node, path: path, decls: [])
        }
        if parts[0] == "run" {
            guard let d = RunSection.declarations(metrics: problem.metrics.map(\.name)).first(where: { $0.name == parts[1] }) else { return nil }
            return searchRange(node, path: path, decls: [("run", d)])
        }
        let role = problem.role(parts[0])!
        let names = picked[role.name] ?? (components[role.family]?.map(\.name) ?? [])
        let declaring = names.compactMap { candidate(role, $0) }.compactMap { c in
            c.decl.param(parts[1]).map { (owner: "\(role.family.rawValue) '\(c.name)'", decl: $0) }
        }
        guard !declaring.isEmpty else {
            report(Diagnostic(location, "search.space '\(path)': no \(role.family.rawValue) this search reaches (\(names.joined(separator: ", "))) has a parameter '\(parts[1])'"))
            return nil
        }
        return searchRange(node, path: path, decls: declaring)
    }
}
