import Foundation
import ExprunCore
import ExprunConfig
import ExprunCatalogue
import ExprunOnline
import ExprunModels
import ExprunOptim

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
    public var online: Bool
    /// Default metric for summaries (`summary: {metric: ...}` or the first recorded metric).
    public var summaryMetric: String
}

/// Config tree -> Experiment: validates everything against the catalogue's declarations,
/// expands the sweep, resolves every reference, and reports all problems at once.
public enum ExperimentBuilder {
    /// The roles a sweep axis can start with.
    public static let roles = ["dataset", "model", "schedule", "optimizer", "environment", "learner", "run"]
    static let topLevelKeys = ["name", "description", "seeds", "run", "sweep", "summary", "limits", "slurm"] + Family.configSections.map(\.section)

    /// Loads a config file, applies `--set` overrides and builds the experiment.
    public static func load(path: String, overrides: [String] = [], dataDirectory: String) throws -> Experiment {
        let (tree, _) = try ConfigLoader.load(path: path)
        let overridden = try ConfigLoader.applyOverrides(tree, overrides, sweepRoles: Set(roles.filter { $0 != "run" }))
        return try build(tree: overridden, configPath: path, dataDirectory: dataDirectory)
    }

    public static func build(tree: ConfigNode, configPath: String, dataDirectory: String) throws -> Experiment {
        var b = Builder(tree: tree, configPath: configPath, dataDirectory: dataDirectory)
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
    var runCache: [String: (RunSettings, [(String, Value)])?] = [:]
    var limits = SweepLimits()
    var dataHashes = DataFileHashes()

    init(tree: ConfigNode, configPath: String, dataDirectory: String) {
        self.tree = tree; self.configPath = configPath; self.dataDirectory = dataDirectory
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

        let stochastic = components[.model] != nil || components[.optimizer] != nil
        let online = components[.environment] != nil || components[.learner] != nil
        if stochastic && online {
            report(Diagnostic(tree.location, "a config runs either stochastic problems (models + optimizers) or online games (environments + learners), not both"))
        }
        if !stochastic && !online {
            report(Diagnostic(tree.location, "nothing to run: define models and optimizers (stochastic) or environments and learners (online)"))
            return nil
        }
        // Every component is validated on its own once (errors in unused ones count too).
        for family in Family.allCases {
            for c in components[family] ?? [] { _ = params(family, c.name, overrides: []) }
        }
        limits = SweepLimits.parse(tree["limits"], problems: &problems)
        _ = SlurmSection.parse(tree["slurm"], problems: &problems)
        let seeds = SeedAxis.parse(tree["seeds"], limit: limits.maxRuns, problems: &problems)
        let axes = parseSweep(online: online)
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
            guard let resolved = resolve(combo, online: online) else { continue }
            for seed in seeds {
                var parameters: [(String, Value)] = [("seed", .int(seed))] + resolved.parameters
                let id = runId(parameters)
                parameters = parameters.filter { $0.0 != "seed" }
                if !ids.insert(id).inserted { continue }  // identical cells (e.g. a param swept to its default twice)
                let sweptValues = swept.map { path in (path, resolved.parameters.first { $0.0 == path }?.1 ?? .string("")) }
                runs.append(RunSpec(runId: id, seed: seed, parameters: parameters, swept: sweptValues,
                                    problem: resolved.problem, run: resolved.run,
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
                          resolvedConfig: tree.yamlText(), online: online, summaryMetric: summaryMetric)
    }

    /// run id: a hash of the canonical resolved parameters (seed included).
    func runId(_ parameters: [(String, Value)]) -> String {
        let text = "exprun-run/1\n" + parameters.map { "\($0.0)=\($0.1.canonical)" }.joined(separator: "\n")
        let a = stableHash64(text), b = stableHash64(text, basis: 0x84222325cbf29ce4)
        return String(format: "%016llx", a) + String(format: "%08llx", b >> 32)
    }

    // MARK: - sweep

    mutating func parseSweep(online: Bool) -> [Axis] {
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
                        guard checkAxisPath(z.key, z.keyLocation, online: online, used: &used) else { continue }
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
            guard checkAxisPath(e.key, e.keyLocation, online: online, used: &used) else { continue }
            guard let vals = SweepValues.expand(e.value, path: e.key, limit: limits.maxRuns, problems: &problems) else { continue }
            if !e.key.contains(".") {
                // A selection axis: values are names of components of that family.
                let family = Family(rawValue: e.key)!
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

    mutating func checkAxisPath(_ path: String, _ loc: SourceLocation, online: Bool, used: inout Set<String>) -> Bool {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let allowed = online ? ["environment", "learner", "dataset", "run"] : ["model", "optimizer", "dataset", "schedule", "run"]
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
        var problem: Problem
        var run: RunSettings
    }

    /// Picks the component of a role: the axis value, else the only one defined.
    mutating func select(_ family: Family, combo: [(String, ConfigNode)]) -> String? {
        if let v = combo.first(where: { $0.0 == family.rawValue })?.1.string { return v }
        let defined = components[family] ?? []
        if defined.count == 1 { return defined[0].name }
        if defined.isEmpty {
            report(Diagnostic(tree.location, "no \(family.section) are defined; a run needs one"))
        } else {
            let loc = tree.entry(family.section)?.keyLocation ?? tree.location
            report(Diagnostic(loc, "several \(family.section) are defined (\(defined.map(\.name).joined(separator: ", "))): sweep over them with `sweep: {\(family.rawValue): [...]}` or keep one"))
        }
        return nil
    }

    func overrides(_ role: String, _ combo: [(String, ConfigNode)]) -> [(String, ConfigNode)] {
        combo.compactMap { path, node in
            let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
            return parts.count == 2 && parts[0] == role ? (parts[1], node) : nil
        }
    }

    mutating func instance(_ family: Family, _ name: String, _ combo: [(String, ConfigNode)],
                           into parameters: inout [(String, Value)]) -> ComponentInstance? {
        guard let p = params(family, name, overrides: overrides(family.rawValue, combo)) else { return nil }
        parameters.append((family.rawValue, .string(name)))
        parameters.append((family.rawValue + ".kind", .string(p.kind)))
        for key in p.values.keys.sorted() { parameters.append((family.rawValue + "." + key, p.values[key]!)) }
        if family == .dataset { parameters += dataFileHashParameters(p) }
        return ComponentInstance(name: name, params: p)
    }

    mutating func resolve(_ combo: [(String, ConfigNode)], online: Bool) -> Resolved? {
        var parameters: [(String, Value)] = []
        let runOverrides = overrides("run", combo)
        var runNode = tree["run"]
        for (k, v) in runOverrides { runNode = (runNode ?? .map([], v.location)).setting([k], to: v) }
        let runKey = runOverrides.map { "\($0.0)=\($0.1.flowText())" }.joined(separator: ";")
        if runCache[runKey] == nil {
            let before = problems.count
            var local: [Diagnostic] = []
            let r = RunSection.parse(runNode, online: online, validator: validator, problems: &local)
            report(local)
            if let (settings, _) = r { report(limits.logPointProblems(settings, runNode: runNode, combo: runOverrides)) }
            runCache[runKey] = problems.count == before ? r : nil
        }
        guard let (run, runParams) = runCache[runKey] ?? nil else { return nil }

        if online {
            guard let envName = select(.environment, combo: combo), let learnerName = select(.learner, combo: combo),
                  let env = instance(.environment, envName, combo, into: &parameters),
                  let learner = instance(.learner, learnerName, combo, into: &parameters) else { return nil }
            var dataset: ComponentInstance?
            let dsName = combo.first { $0.0 == "dataset" }?.1.string ?? env.params["dataset"]?.asString
            if let dsName {
                guard let ds = instance(.dataset, dsName, combo, into: &parameters) else { return nil }
                dataset = ds
            }
            if let why = onlineIncompatibility(environment: env.params, learner: learner.params) {
                let loc = components[.learner]?.first { $0.name == learnerName }?.loc ?? tree.location
                report(Diagnostic(loc, "learner '\(learnerName)' cannot play environment '\(envName)': \(why)"))
                return nil
            }
            return Resolved(parameters: parameters + runParams,
                            problem: .online(environment: env, learner: learner, dataset: dataset), run: run)
        }

        guard let modelName = select(.model, combo: combo), let optName = select(.optimizer, combo: combo) else { return nil }
        // A `schedule` selection axis sets the optimizer's schedule parameter.
        var combo = combo
        if let s = combo.first(where: { $0.0 == "schedule" })?.1 { combo.append(("optimizer.schedule", s)) }
        if let d = combo.first(where: { $0.0 == "dataset" })?.1 { combo.append(("model.dataset", d)) }
        guard let model = instance(.model, modelName, combo, into: &parameters),
              let optimizer = instance(.optimizer, optName, combo, into: &parameters) else { return nil }
        guard let dsName = model.params["dataset"]?.asString,
              let dataset = instance(.dataset, dsName, combo, into: &parameters) else { return nil }
        var schedule: ComponentInstance
        if let sName = optimizer.params["schedule"]?.asString {
            guard let s = instance(.schedule, sName, combo, into: &parameters) else { return nil }
            schedule = s
        } else {
            let p = Params(kind: "constant", values: [:])
            schedule = ComponentInstance(name: "constant", params: p)
            parameters.append(("schedule", .string("constant")))
            parameters.append(("schedule.kind", .string("constant")))
        }
        // Schedules named by this one (a sequential schedule's parts), transitively.
        var pending = schedule.params.values.values.flatMap { v -> [String] in
            if case .list(let l) = v { return l.compactMap(\.asString).filter { validator.names[.schedule]?.contains($0) ?? false } }
            return []
        }
        let isSequential = Catalogue.decl(.schedule, kind: schedule.params.kind)?.params.contains { if case .referenceList = $0.type { return true } else { return false } } ?? false
        while isSequential, let next = pending.popLast() {
            if schedule.related[next] != nil { continue }
            guard let p = params(.schedule, next, overrides: []) else { return nil }
            schedule.related[next] = p
            for key in p.values.keys.sorted() { parameters.append(("schedule.parts.\(next).\(key)", p.values[key]!)) }
            parameters.append(("schedule.parts.\(next).kind", .string(p.kind)))
            for v in p.values.values { if case .list(let l) = v { pending += l.compactMap(\.asString) } }
            if schedule.related.count > 64 { report(Diagnostic(tree.location, "schedules refer to each other in a cycle")); return nil }
        }
        // A target-space optimizer (SSO) needs a model with a target space.
        if targetSpaceOptimizerKinds.contains(optimizer.params.kind), !targetModelKinds.contains(model.params.kind) {
            let loc = components[.optimizer]?.first { $0.name == optName }?.loc ?? tree.location
            report(Diagnostic(loc, "optimizer '\(optName)' (\(optimizer.params.kind)) needs a model with a target space "
                              + "(\(targetModelKinds.sorted().joined(separator: ", "))); model '\(modelName)' is "
                              + "\(model.params.kind)"))
            return nil
        }
        return Resolved(parameters: parameters + runParams,
                        problem: .stochastic(dataset: dataset, model: model, optimizer: optimizer, schedule: schedule),
                        run: run)
    }
}
