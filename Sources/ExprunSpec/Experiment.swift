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
    static let topLevelKeys = ["name", "description", "seeds", "run", "sweep", "selections", "summary", "limits", "slurm"]
        + Family.configSections.map(\.section)

    /// Loads a config file, applies `--set` overrides and builds the experiment.
    public static func load(path: String, overrides: [String] = [], dataDirectory: String) throws -> Experiment {
        let (tree, _) = try ConfigLoader.load(path: path)
        let overridden = try ConfigLoader.applyOverrides(tree, overrides, sweepRoles: Set(roles.filter { $0 != "run" }))
        return try build(tree: overridden, configPath: path, dataDirectory: dataDirectory)
    }

    /// - Parameters:
    ///   - problems: the problem kinds a config may be of (the catalogue's; tests pass their own).
    ///   - components: declarations of components besides the catalogue's (test-only kinds;
    ///     the runner then needs a factory that builds them).
    public static func build(tree: ConfigNode, configPath: String, dataDirectory: String,
                             problems: [ProblemDecl] = Catalogue.problems.map(\.decl),
                             components: [ComponentDecl] = []) throws -> Experiment {
        var b = Builder(tree: tree, configPath: configPath, dataDirectory: dataDirectory, kinds: problems,
                        extraDecls: components)
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
    /// Component declarations besides the catalogue's (tests).
    let extraDecls: [ComponentDecl]

    init(tree: ConfigNode, configPath: String, dataDirectory: String, kinds: [ProblemDecl], extraDecls: [ComponentDecl] = []) {
        self.tree = tree; self.configPath = configPath; self.dataDirectory = dataDirectory; self.kinds = kinds
        self.extraDecls = extraDecls
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

    /// The declarations of a family: the catalogue's, then any a test added.
    func decls(_ family: Family) -> [ComponentDecl] { Catalogue.decls(family) + extraDecls.filter { $0.family == family } }
    func decl(_ family: Family, kind: String) -> ComponentDecl? {
        Catalogue.decl(family, kind: kind) ?? extraDecls.first { $0.family == family && $0.kind == kind }
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
        validator.selections = tree["selections"]?.entries?.map(\.key) ?? []

        // The problem kind: the one whose root roles' families the config defines. A kind
        // whose roles cover every family the config defines, and one of whose roots is
        // defined, is the config's kind when it is the only such one: the federated kind
        // reaches models and optimizers (the stochastic kind's roots) from its clients, so a
        // config with `clients:` is federated although it defines models too.
        func described(_ p: ProblemDecl) -> String {
            "\(p.name) (\(p.rootFamilies.map(\.section).joined(separator: " + ")))"
        }
        let defined = Set(components.keys)
        let covering = kinds.filter { p in defined.isSubset(of: p.roleFamilies) && p.rootFamilies.contains { defined.contains($0) } }
        let matching = covering.count == 1 ? covering
            : kinds.filter { p in p.rootFamilies.contains { components[$0] != nil } }
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
        let selections = Selection.parseAll(tree["selections"], axes: axes, seeds: seeds, problems: &problems)
        guard let runs = expand(axes, seeds: seeds, selections: selections) else { return nil }
        let swept = axes.flatMap(\.paths)
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

    /// The runs of the grid in grid order (the product of the axes, seeds innermost), each
    /// cell resolved once, with the run graph's upstream runs and the ids made from them;
    /// identical runs (a parameter swept to its default twice) are kept once.
    mutating func expand(_ axes: [Axis], seeds: [Int], selections: [String: Selection]) -> [RunSpec]? {
        var gridRuns: [GridRun] = [], cells: [Resolved] = [], cellOf: [Int] = []
        for positions in Grid.cells(axes) {
            guard let resolved = resolve(Grid.combo(axes, positions)) else { continue }
            cells.append(resolved)
            for seed in seeds {
                gridRuns.append(GridRun(positions: positions, seed: seed, parameters: [("seed", .int(seed))] + resolved.parameters,
                                        inputs: resolved.inputs))
                cellOf.append(cells.count - 1)
            }
        }
        guard problems.isEmpty else { return nil }
        var upstream: [[String: [Int]]] = Array(repeating: [:], count: gridRuns.count)
        var order = Array(gridRuns.indices)
        if gridRuns.contains(where: { !$0.inputs.isEmpty }) {
            guard let u = RunGraph.upstream(of: gridRuns, selections: selections, axes: axes, problems: &problems),
                  let o = RunGraph.order(u) else { return nil }
            (upstream, order) = (u, o)
        }
        let (ids, upstreamIds) = RunGraph.ids(gridRuns, upstream: upstream, order: order)
        let swept = axes.flatMap(\.paths)
        var seen = Set<String>(), runs: [RunSpec] = []
        for (i, r) in gridRuns.enumerated() where seen.insert(ids[i]).inserted {
            let cell = cells[cellOf[i]]
            let sweptValues = swept.map { path in (path, cell.parameters.first { $0.0 == path }?.1 ?? .string("")) }
            runs.append(RunSpec(runId: ids[i], seed: r.seed, parameters: cell.parameters, swept: sweptValues,
                                problem: problem.name, components: cell.components, run: cell.run,
                                baseDirectory: baseDirectory, dataDirectory: dataDirectory, upstream: upstreamIds[i]))
        }
        return runs
    }

    // MARK: - one grid cell

    struct Resolved {
        var parameters: [(String, Value)]
        var components: [RoleInstance]
        var run: RunSettings
        /// The selections the cell's components take input from, where each is named.
        var inputs: [(selection: String, location: SourceLocation)]
    }

    /// Picks the component of a root role: the axis value, else the only one defined.
    mutating func select(_ role: RoleDecl, combo: [AxisSetting]) -> String? {
        let family = role.family
        if let v = combo.first(where: { $0.path == role.name })?.node.string { return v }
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
    /// axes of the roles it names through a reference (`schedule` sets `optimizer.schedule`
    /// to the swept name, for whichever component fills the role).
    func overrides(_ role: String, _ combo: [AxisSetting]) -> [(param: String, setting: AxisSetting)] {
        var out: [(param: String, setting: AxisSetting)] = combo.compactMap { s in
            let parts = s.path.split(separator: ".", maxSplits: 1).map(String.init)
            return parts.count == 2 && parts[0] == role ? (parts[1], s) : nil
        }
        for r in problem.roles {
            guard let via = r.via, via.role == role, var s = combo.first(where: { $0.path == r.name }),
                  let name = s.node.string else { continue }
            s.typed = [:]
            for c in components[problem.role(role)?.family ?? r.family] ?? [] { s.typed[c.name] = .set(.string(name)) }
            out.append((via.param, s))
        }
        return out
    }

    mutating func instance(_ role: String, _ family: Family, _ name: String, _ combo: [AxisSetting],
                           into parameters: inout [(String, Value)]) -> ComponentInstance? {
        guard let p = params(family, name, overrides: overrides(role, combo)) else { return nil }
        parameters.append((role, .string(name)))
        parameters.append((role + ".kind", .string(p.kind)))
        for key in p.values.keys.sorted() { parameters.append((role + "." + key, p.values[key]!)) }
        if family == .dataset { parameters += dataFileHashParameters(p) }
        return ComponentInstance(name: name, params: p)
    }

    /// Components a component names as its parts, transitively: through list references (a
    /// sequential schedule's parts) or a single reference to its own family (the schedule a
    /// batch-size rule scales), recorded as `<role>.parts.<name>.<param>`.
    mutating func relate(_ instance: inout ComponentInstance, role: String, family: Family,
                         into parameters: inout [(String, Value)]) -> Bool {
        /// The part family of a parameter, or nil when it names no part.
        func partFamilyOf(_ p: ParamDecl) -> Family? {
            switch p.type {
            case .referenceList(let f): return f
            case .reference(let f) where f == family: return f
            default: return nil
            }
        }
        /// The parts `p` names: list values (as before) and its own-family single references.
        func parts(_ p: Params) -> [String] {
            let single = decl(family, kind: p.kind)?.params.compactMap { d -> String? in
                guard case .reference(let f) = d.type, f == family else { return nil }
                return p[d.name]?.asString
            } ?? []
            return p.values.values.flatMap { v -> [String] in
                if case .list(let l) = v { return l.compactMap(\.asString) }
                return []
            } + single
        }
        guard let partFamily = decl(family, kind: instance.params.kind)?.params.compactMap(partFamilyOf).first else { return true }
        let names = validator.names[partFamily] ?? []
        var pending = parts(instance.params).filter { names.contains($0) }
        while let next = pending.popLast() {
            if instance.related[next] != nil { continue }
            guard let p = params(partFamily, next, overrides: []) else { return false }
            instance.related[next] = p
            for key in p.values.keys.sorted() { parameters.append(("\(role).parts.\(next).\(key)", p.values[key]!)) }
            parameters.append(("\(role).parts.\(next).kind", .string(p.kind)))
            pending += parts(p).filter { names.contains($0) }
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
    mutating func resolve(_ combo: [AxisSetting]) -> Resolved? {
        var parameters: [(String, Value)] = []
        let runOverrides = overrides("run", combo).map { ($0.param, $0.setting.node) }
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
            decl(r.family, kind: r.instance.params.kind).map {
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
        guard checkMetricNeeds(run, cell: cell) else { return nil }
        var inputs: [(selection: String, location: SourceLocation)] = []
        for r in resolved {
            inputs += selectionInputs(r.family, r.instance.name, r.instance.params,
                                      overrides: overrides(r.role, combo).map { ($0.param, $0.setting.node) })
            for (part, p) in r.instance.related.sorted(by: { $0.key < $1.key }) {
                inputs += selectionInputs(r.family, part, p, overrides: [])
            }
        }
        return Resolved(parameters: parameters + runParams, components: resolved, run: run, inputs: inputs)
    }

    /// Every requested metric's needs (curvature metrics need Hessian-vector products) are
    /// provided by a component of the cell; otherwise one error at the metric in run.metrics.
    mutating func checkMetricNeeds(_ run: RunSettings, cell: [CellComponent]) -> Bool {
        var provided = problem.provides
        for c in cell { provided.formUnion(c.decl.provides(c.params)) }
        var ok = true
        for name in run.metrics {
            guard let needs = problem.metric(name)?.needs, let need = needs.first(where: { !provided.contains($0) }) else { continue }
            ok = false
            let node = tree["run"]?["metrics"]?.items?.first { $0.string == name } ?? tree["run"]?["metrics"]
            let models = cell.filter { $0.decl.family == .model }
                .map { "model '\($0.name)' (\($0.params.kind)) provides " + $0.decl.provides($0.params).map(\.name).sorted().joined(separator: ", ") }
            report(Diagnostic(node?.location ?? tree.location,
                              "metric \(name) needs \(need.doc)" + (models.isEmpty ? "" : "; " + models.joined(separator: "; "))))
        }
        return ok
    }
}
