import Foundation
import ExprunCore
import ExprunConfig
import ExprunCatalogue

/// A validated experiment: every run of the grid, fully resolved, in grid order.
public struct Experiment: Sendable {
    public var name: String
    public var description: String
    /// Runs in grid order (axes in the order written, seeds innermost).
    public var runs: [RunSpec]
    /// Dotted paths of the swept parameters (the /index columns besides run_id, status, seed).
    public var swept: [String]
    /// Columns of /index after run_id and status: "seed" then the swept paths.
    public var indexColumns: [String] { ["seed"] + swept }
    /// The config as it runs (after --set overrides), as YAML text.
    public var resolvedConfig: String
    /// The registered problem kind every run of the config belongs to.
    public var problem: String
    /// Default metric for summaries (`summary: {metric: ...}` or the first recorded metric).
    public var summaryMetric: String
}

/// Config tree -> Experiment: validates everything against the catalogue's declarations,
/// expands the sweep, resolves every reference, and reports all problems at once.
public enum ExperimentBuilder {
    /// The roles a sweep axis can start with: every problem kind's roles, and `run`.
    public static let roles: [String] = {
        var out: [String] = []
        for p in Catalogue.problems { for r in p.decl.roles where !out.contains(r.name) { out.append(r.name) } }
        return out + ["run"]
    }()
    static let topLevelKeys = ["name", "description", "seeds", "run", "sweep", "summary", "limits", "slurm"] + Family.configSections.map(\.section)

    /// Loads a config file, applies `--set` overrides and builds the experiment.
    public static func load(path: String, overrides: [String] = [], dataDirectory: String) throws -> Experiment {
        let (tree, _) = try ConfigLoader.load(path: path)
        let overridden = try ConfigLoader.applyOverrides(tree, overrides, sweepRoles: Set(roles.filter { $0 != "run" }))
        return try build(tree: overridden, configPath: path, dataDirectory: dataDirectory)
    }

    /// - Parameter problems: the problem kinds a config may be of (the catalogue's; tests pass
    ///   their own).
    public static func build(tree: ConfigNode, configPath: String, dataDirectory: String,
                             problems: [ProblemDecl] = Catalogue.problems.map(\.decl)) throws -> Experiment {
        var b = Builder(tree: tree, configPath: configPath, dataDirectory: dataDirectory, kinds: problems)
        let experiment = b.build()
        if !b.problems.isEmpty { throw DiagnosticList(b.sortedProblems) }
        return experiment!
    }
}

/// One pass of validation and expansion, accumulating problems.
struct Builder {
    let tree: ConfigNode
    let configPath: String
    let dataDirectory: String
    let baseDirectory: String
    var problems: [Diagnostic] = []
    private var seen = Set<Diagnostic>()

    /// Named components per family, in file order: name -> (name location, body).
    var components: [Family: [(name: String, loc: SourceLocation, body: ConfigNode)]] = [:]
    var validator: ParamValidator
    var paramCache: [String: Params?] = [:]
    /// The problem kind of the config (set once the sections are read).
    var problem = ProblemDecl("", doc: "", roles: [], metrics: [], defaultMetrics: [], views: false)
    var runCache: [String: (RunSettings, [(String, Value)])?] = [:]
    var limits = SweepLimits()
    var dataHashes = DataFileHashes()

    /// The problem kinds the config may be of.
    let kinds: [ProblemDecl]

    init(tree: ConfigNode, configPath: String, dataDirectory: String, kinds: [ProblemDecl]) {
        self.tree = tree; self.configPath = configPath; self.dataDirectory = dataDirectory; self.kinds = kinds
        let dir = (configPath as NSString).deletingLastPathComponent
        baseDirectory = dir
        validator = ParamValidator(baseDirectory: dir, names: [:])
    }

    var sortedProblems: [Diagnostic] {
        problems.enumerated().sorted { a, b in
            let la = a.element.location, lb = b.element.location
            if la?.file != lb?.file { return a.offset < b.offset }
            if la?.line != lb?.line { return (la?.line ?? 0) < (lb?.line ?? 0) }
            if la?.column != lb?.column { return (la?.column ?? 0) < (lb?.column ?? 0) }
            return a.offset < b.offset
        }.map(\.element)
    }

    mutating func report(_ d: Diagnostic) { if seen.insert(d).inserted { problems.append(d) } }
    mutating func report(_ ds: [Diagnostic]) { ds.forEach { report($0) } }

    mutating func build() -> Experiment? {
        guard let top = tree.entries else {
            report(Diagnostic(tree.location, "the config must be a mapping (name:, run:, datasets:, ... sweep:)"))
            return nil
        }
        for e in top where !ExperimentBuilder.topLevelKeys.contains(e.key) {
            report(Diagnostic(e.keyLocation, "unknown top-level key '\(e.key)'",
                              suggestion: closestMatch(e.key, in: ExperimentBuilder.topLevelKeys)))
        }
        // Components, by family.
        for family in Family.configSections {
            guard let section = tree.entry(family.section) else { continue }
            guard let entries = section.value.entries else {
                report(Diagnostic(section.value.location, "\(family.section) must map names to components ({kind: ..., ...})"))
                continue
            }
            for e in entries {
                if e.value.entries == nil {
                    report(Diagnostic(e.value.location, "\(family.rawValue) '\(e.key)' must be a mapping with a `kind`"))
                    continue
                }
                components[family, default: []].append((e.key, e.keyLocation, e.value))
            }
        }
        var names: [Family: [String]] = [:]
        for (f, list) in components { names[f] = list.map(\.name) }
        validator.names = names

        // The problem kind: the one whose root roles' families the config defines.
        func described(_ p: ProblemDecl) -> String {
            "\(p.name) (\(p.rootFamilies.map(\.section).joined(separator: " + ")))"
        }
        let matching = kinds.filter { p in p.rootFamilies.contains { components[$0] != nil } }
        if matching.count > 1 {
            report(Diagnostic(tree.location, "a config runs one problem kind, but this one defines components of "
                              + matching.map(described).joined(separator: " and ")))
        }
        guard let problem = matching.first else {
            report(Diagnostic(tree.location, "nothing to run: define the components of a problem kind: "
                              + kinds.map(described).joined(separator: ", or ")))
            return nil
        }
        self.problem = problem
        // Every component is validated on its own once (errors in unused ones count too).
        for family in Family.allCases {
            for c in components[family] ?? [] { _ = params(family, c.name, overrides: []) }
        }
        limits = SweepLimits.parse(tree["limits"], problems: &problems)
        _ = SlurmSection.parse(tree["slurm"], problems: &problems)
        let seeds = SeedAxis.parse(tree["seeds"], limit: limits.maxRuns, problems: &problems)
        let axes = parseSweep()
        // The grid's size is known from the axis lengths: checked before it is expanded.
        if limits.gridSize(axes.map(\.values.count) + [max(seeds.count, 1)]) == nil {
            let sizes = axes.map { String($0.values.count) } + ["\(seeds.count) seeds"]
            report(Diagnostic(tree.entry("sweep")?.keyLocation ?? tree.location,
                              "the sweep expands to more than limits.max_runs = \(limits.maxRuns) runs (\(sizes.joined(separator: " x "))); "
                              + "raise `limits: {max_runs: n}` if you mean it"))
            return nil
        }
        let name = tree["name"]?.string ?? ((configPath as NSString).lastPathComponent as NSString).deletingPathExtension
        if let n = tree["name"], n.string == nil || n.string!.isEmpty || n.string!.contains("/") {
            report(Diagnostic(n.location, "name must be a plain word (it names the output folder runs/<name>)"))
        }
        // Expand the product of the axes, then seeds innermost.
        var runs: [RunSpec] = []
        var combos: [[(String, ConfigNode)]] = [[]]
        for axis in axes {
            var next: [[(String, ConfigNode)]] = []
            for c in combos {
                for row in axis.values { next.append(c + Array(zip(axis.paths, row))) }
            }
            combos = next
        }
        let swept = axes.flatMap(\.paths)
        var ids = Set<String>()
        for combo in combos {
            guard let resolved = resolve(combo) else { continue }
            for seed in seeds {
                var parameters: [(String, Value)] = [("seed", .int(seed))] + resolved.parameters
                let id = runId(parameters)
                parameters = parameters.filter { $0.0 != "seed" }
                if !ids.insert(id).inserted { continue }  // identical cells (e.g. a param swept to its default twice)
                let sweptValues = swept.map { path in (path, resolved.parameters.first { $0.0 == path }?.1 ?? .string("")) }
                runs.append(RunSpec(runId: id, seed: seed, parameters: parameters, swept: sweptValues,
                                    problem: problem.name, components: resolved.components, run: resolved.run,
                                    baseDirectory: baseDirectory, dataDirectory: dataDirectory))
            }
        }
        guard problems.isEmpty else { return nil }
        if runs.isEmpty { report(Diagnostic(tree.location, "the sweep expands to no runs (empty sweep)")); return nil }
        var summaryMetric = runs[0].run.metrics.first ?? "train_loss"
        if let s = tree["summary"] {
            if let m = s["metric"]?.string {
                if runs[0].run.metrics.contains(m) { summaryMetric = m }
                else { report(Diagnostic(s["metric"]!.location, "summary.metric '\(m)' is not in run.metrics",
                                         suggestion: closestMatch(m, in: runs[0].run.metrics))) }
            }
            for e in s.entries ?? [] where e.key != "metric" {
                report(Diagnostic(e.keyLocation, "unknown summary key '\(e.key)'", suggestion: closestMatch(e.key, in: ["metric"])))
            }
        }
        guard problems.isEmpty else { return nil }
        return Experiment(name: name, description: tree["description"]?.string ?? "", runs: runs, swept: swept,
                          resolvedConfig: tree.yamlText(), problem: problem.name, summaryMetric: summaryMetric)
    }

    /// run id: a hash of the canonical resolved parameters (seed included).
    func runId(_ parameters: [(String, Value)]) -> String {
        let text = "exprun-run/1\n" + parameters.map { "\($0.0)=\($0.1.canonical)" }.joined(separator: "\n")
        let a = stableHash64(text), b = stableHash64(text, basis: 0x84222325cbf29ce4)
        return String(format: "%016llx", a) + String(format: "%08llx", b >> 32)
    }

    // MARK: - sweep

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

    // MARK: - components

    /// Validated params of a named component with sweep overrides applied (cached).
    mutating func params(_ family: Family, _ name: String, overrides: [(String, ConfigNode)]) -> Params? {
        let key = "\(family.rawValue)/\(name)/" + overrides.map { "\($0.0)=\($0.1.flowText())@\($0.1.location)" }.joined(separator: ";")
        if let cached = paramCache[key] { return cached }
        let result = validateComponent(family, name, overrides: overrides)
        paramCache[key] = result
        return result
    }

    private mutating func validateComponent(_ family: Family, _ name: String, overrides: [(String, ConfigNode)]) -> Params? {
        guard let comp = components[family]?.first(where: { $0.name == name }) else { return nil }
        let owner = "\(family.rawValue) '\(name)'"
        let before = problems.count
        guard let kindNode = comp.body["kind"] else {
            report(Diagnostic(comp.loc, "\(owner) needs a `kind` (one of: \(Catalogue.decls(family).map(\.kind).joined(separator: ", ")))"))
            return nil
        }
        let kinds = Catalogue.decls(family).map(\.kind)
        guard let kind = kindNode.string, let decl = Catalogue.decl(family, kind: kind) else {
            let k = kindNode.scalar?.text ?? kindNode.kindName
            report(Diagnostic(kindNode.location, "unknown \(family.rawValue) kind '\(k)'", suggestion: closestMatch(k, in: kinds)))
            return nil
        }
        var given: [String: ConfigNode] = [:]
        var givenKeyLoc: [String: SourceLocation] = [:]
        for e in comp.body.entries! where e.key != "kind" {
            guard decl.param(e.key) != nil else {
                report(Diagnostic(e.keyLocation, "unknown parameter '\(e.key)' for \(family.rawValue) kind '\(kind)'",
                                  suggestion: closestMatch(e.key, in: decl.params.map(\.name))))
                continue
            }
            given[e.key] = e.value
            givenKeyLoc[e.key] = e.keyLocation
        }
        for (p, node) in overrides {
            guard decl.param(p) != nil else {
                report(Diagnostic(node.location, "sweep axis '\(family.rawValue).\(p)': \(owner) (kind \(kind)) has no parameter '\(p)'",
                                  suggestion: closestMatch(p, in: decl.params.map(\.name))))
                continue
            }
            given[p] = node
        }
        var values: [String: Value] = [:]
        for p in decl.params {
            if let node = given[p.name] {
                if case .null? = node.scalar, !p.required { continue }
                if let v = validator.value(node, for: p, owner: owner, into: &problems) { values[p.name] = v }
            } else if let d = p.defaultValue {
                values[p.name] = d
            } else if p.required {
                report(Diagnostic(comp.loc, "\(owner): missing required parameter '\(p.name)' (\(p.type.name): \(p.doc))"))
            }
        }
        guard problems.count == before else { return nil }
        let params = Params(kind: kind, values: values)
        for issue in decl.check?(params) ?? [] {
            report(Diagnostic(given[issue.param]?.location ?? givenKeyLoc[issue.param] ?? comp.loc, "\(owner): \(issue.message)"))
        }
        if family == .dataset, let entry = Catalogue.dataset(kind) {
            let ctx = DatasetContext(seed: 0, baseDirectory: baseDirectory, dataDirectory: dataDirectory)
            for file in entry.inputFiles(params, ctx) {
                if let why = unreadable(file.path) {
                    let hint = file.path.hasPrefix(dataDirectory) ? "; run `make data` to export the bundled data sets" : ""
                    report(Diagnostic(given[file.param]?.location ?? comp.loc, "\(owner): cannot read \(file.param) data: \(why)\(hint)"))
                }
            }
        }
        return problems.count == before ? params : nil
    }

    /// `dataset.<param>.content_hash` for each file a data set reads: part of the run id.
    mutating func dataFileHashParameters(_ p: Params) -> [(String, Value)] {
        guard let entry = Catalogue.dataset(p.kind) else { return [] }
        let ctx = DatasetContext(seed: 0, baseDirectory: baseDirectory, dataDirectory: dataDirectory)
        return entry.inputFiles(p, ctx).compactMap { file in
            dataHashes.hash(file.path).map { ("dataset.\(file.param).content_hash", .string($0)) }
        }
    }

    // MARK: - one grid cell

    struct Resolved {
        var parameters: [(String, Value)]
        var components: [RoleInstance]
        var run: RunSettings
    }

    /// Picks the component of a root role: the axis value, else the only one defined.
    mutating func select(_ role: RoleDecl, combo: [(String, ConfigNode)]) -> String? {
        let family = role.family
        if let v = combo.first(where: { $0.0 == role.name })?.1.string { return v }
        let defined = components[family] ?? []
        if defined.count == 1 { return defined[0].name }
        if defined.isEmpty {
            report(Diagnostic(tree.location, "no \(family.section) are defined; a run needs one"))
        } else {
            let loc = tree.entry(family.section)?.keyLocation ?? tree.location
            report(Diagnostic(loc, "several \(family.section) are defined (\(defined.map(\.name).joined(separator: ", "))): sweep over them with `sweep: {\(role.name): [...]}` or keep one"))
        }
        return nil
    }

    /// Sweep overrides of a role's parameters: its `role.param` axes, then the selection
    /// axes of the roles it names through a reference (`schedule` sets `optimizer.schedule`).
    func overrides(_ role: String, _ combo: [(String, ConfigNode)]) -> [(String, ConfigNode)] {
        var out: [(String, ConfigNode)] = combo.compactMap { path, node in
            let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
            return parts.count == 2 && parts[0] == role ? (parts[1], node) : nil
        }
        for r in problem.roles {
            guard let via = r.via, via.role == role, let node = combo.first(where: { $0.0 == r.name })?.1 else { continue }
            out.append((via.param, node))
        }
        return out
    }

    mutating func instance(_ role: String, _ family: Family, _ name: String, _ combo: [(String, ConfigNode)],
                           into parameters: inout [(String, Value)]) -> ComponentInstance? {
        guard let p = params(family, name, overrides: overrides(role, combo)) else { return nil }
        parameters.append((role, .string(name)))
        parameters.append((role + ".kind", .string(p.kind)))
        for key in p.values.keys.sorted() { parameters.append((role + "." + key, p.values[key]!)) }
        if family == .dataset { parameters += dataFileHashParameters(p) }
        return ComponentInstance(name: name, params: p)
    }

    /// Components a component names through list references (a sequential schedule's
    /// parts), transitively, recorded as `<role>.parts.<name>.<param>`.
    mutating func relate(_ instance: inout ComponentInstance, role: String, family: Family,
                         into parameters: inout [(String, Value)]) -> Bool {
        let decl = Catalogue.decl(family, kind: instance.params.kind)
        let listFamilies = decl?.params.compactMap { p -> Family? in
            if case .referenceList(let f) = p.type { return f } else { return nil }
        } ?? []
        guard let partFamily = listFamilies.first else { return true }
        let names = validator.names[partFamily] ?? []
        var pending = instance.params.values.values.flatMap { v -> [String] in
            if case .list(let l) = v { return l.compactMap(\.asString).filter { names.contains($0) } }
            return []
        }
        while let next = pending.popLast() {
            if instance.related[next] != nil { continue }
            guard let p = params(partFamily, next, overrides: []) else { return false }
            instance.related[next] = p
            for key in p.values.keys.sorted() { parameters.append(("\(role).parts.\(next).\(key)", p.values[key]!)) }
            parameters.append(("\(role).parts.\(next).kind", .string(p.kind)))
            for v in p.values.values { if case .list(let l) = v { pending += l.compactMap(\.asString) } }
            if instance.related.count > 64 {
                report(Diagnostic(tree.location, "\(partFamily.section) refer to each other in a cycle"))
                return false
            }
        }
        return true
    }

    /// Resolves one cell from the problem kind's roles: root roles are selected, the others
    /// follow the reference edges; then the needs of every component are checked against
    /// what the others provide.
    mutating func resolve(_ combo: [(String, ConfigNode)]) -> Resolved? {
        var parameters: [(String, Value)] = []
        let runOverrides = overrides("run", combo)
        var runNode = tree["run"]
        for (k, v) in runOverrides { runNode = (runNode ?? .map([], v.location)).setting([k], to: v) }
        let runKey = runOverrides.map { "\($0.0)=\($0.1.flowText())" }.joined(separator: ";")
        if runCache[runKey] == nil {
            let before = problems.count
            var local: [Diagnostic] = []
            let r = RunSection.parse(runNode, problem: problem, validator: validator, problems: &local)
            report(local)
            if let (settings, _) = r { report(limits.logPointProblems(settings, runNode: runNode, combo: runOverrides)) }
            runCache[runKey] = problems.count == before ? r : nil
        }
        guard let (run, runParams) = runCache[runKey] ?? nil else { return nil }

        // Root roles first (their selection can fail on its own), then the referenced ones.
        var names: [String: String] = [:]
        for role in problem.roles where role.via == nil {
            guard let name = select(role, combo: combo) else { return nil }
            names[role.name] = name
        }
        var resolved: [RoleInstance] = []
        for role in problem.roles {
            var instance: ComponentInstance
            if let name = names[role.name] {
                guard let i = self.instance(role.name, role.family, name, combo, into: &parameters) else { return nil }
                instance = i
            } else if let via = role.via {
                guard resolved.contains(where: { $0.role == via.role }) else { return nil }
                let owner = resolved.first { $0.role == via.role }!.instance
                if let name = owner.params[via.param]?.asString {
                    guard let i = self.instance(role.name, role.family, name, combo, into: &parameters) else { return nil }
                    instance = i
                } else if let kind = role.fallbackKind {
                    instance = ComponentInstance(name: kind, params: Params(kind: kind, values: [:]))
                    parameters.append((role.name, .string(kind)))
                    parameters.append((role.name + ".kind", .string(kind)))
                } else {
                    continue
                }
            } else {
                continue
            }
            guard relate(&instance, role: role.name, family: role.family, into: &parameters) else { return nil }
            resolved.append(RoleInstance(role: role.name, family: role.family, instance: instance))
        }
        // Capabilities: every need of a component is provided by another of the cell.
        let cell = resolved.compactMap { r -> CellComponent? in
            Catalogue.decl(r.family, kind: r.instance.params.kind).map {
                CellComponent(role: r.role, name: r.instance.name, decl: $0, params: r.instance.params)
            }
        }
        let unmet = unmetNeeds(in: cell, alsoProvided: problem.provides)
        for u in unmet {
            let family = problem.role(u.component.role)?.family
            let loc = family.flatMap { f in components[f]?.first { $0.name == u.component.name }?.loc } ?? tree.location
            report(Diagnostic(loc, u.message))
        }
        guard unmet.isEmpty else { return nil }
        return Resolved(parameters: parameters + runParams, components: resolved, run: run)
    }
}
