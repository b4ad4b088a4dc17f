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
    /// Successive halving's candidates and rungs (`search: {method: halving}`): `runs` then
    /// holds every candidate at every rung, of which the sweep runs the survivors' only.
    public var halving: HalvingPlan? = nil
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
    static let topLevelKeys = ["name", "description", "seeds", "run", "sweep", "search", "selections", "summary", "limits", "slurm"]
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
        var axes = parseSweep()
        // `search: null` (or `--set search=null`) is no search: the sweep alone.
        let search = tree["search"].flatMap { $0.scalar == .null ? nil : parseSearch($0, sweepAxes: axes) }
        if let s = search?.samples { axes.append(s) }
        if let h = search?.halving { axes.append(h.budgetAxis) }
        typeValues(&axes)
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
        guard var runs = expand(axes, seeds: seeds, selections: selections) else { return nil }
        var swept = axes.flatMap(\.paths)
        guard problems.isEmpty else { return nil }
        if runs.isEmpty { report(Diagnostic(tree.location, "the sweep expands to no runs (empty sweep)")); return nil }
        var halving: HalvingPlan? = nil
        if let h = search?.halving {
            // A space nested under a role's components halves each component's candidates apart.
            halving = halvingPlan(h.settings, runs: &runs, swept: &swept, bracketRole: search?.nestedRole)
        }
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
                          resolvedConfig: tree.yamlText(), problem: problem.name, summaryMetric: summaryMetric, halving: halving)
    }

    /// The runs of the grid in grid order (the product of the axes, seeds innermost), each
    /// cell resolved once, with the run graph's upstream runs and the ids made from them;
    /// identical runs (a parameter swept to its default twice) are kept once. The runs of a
    /// cell share one RunCell: per run there is its id, seed and upstream runs, no more.
    mutating func expand(_ axes: [Axis], seeds: [Int], selections: [String: Selection]) -> [RunSpec]? {
        var gridRuns: [GridRun] = [], cells: [Resolved] = []
        for positions in Grid.cells(axes) {
            guard let resolved = resolve(Grid.combo(axes, positions)) else { continue }
            cells.append(resolved)
            for seed in seeds {
                gridRuns.append(GridRun(positions: positions, seed: seed, cell: cells.count - 1, inputs: resolved.inputs))
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
        let (ids, upstreamIds) = RunGraph.ids(gridRuns, cellTexts: cells.map { RunGraph.canonicalText($0.parameters) },
                                              upstream: upstream, order: order)
        let swept = axes.flatMap(\.paths)
        // One run per cell whose shared part every seed of the cell copies (a reference).
        let first = cells.map { cell in
            RunSpec(runId: "", seed: 0, parameters: cell.parameters,
                    swept: swept.map { path in (path, cell.parameters.first { $0.0 == path }?.1 ?? .string("")) },
                    problem: problem.name, components: cell.components, run: cell.run,
                    baseDirectory: baseDirectory, dataDirectory: dataDirectory)
        }
        var seen = Set<String>(), runs: [RunSpec] = []
        runs.reserveCapacity(gridRuns.count)
        for (i, r) in gridRuns.enumerated() where seen.insert(ids[i]).inserted {
            var run = first[r.cell]
            run.runId = ids[i]; run.seed = r.seed; run.upstream = upstreamIds[i]
            runs.append(run)
        }
        return runs
    }
}
