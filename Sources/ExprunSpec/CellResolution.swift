import Foundation
import ExprunCore
import ExprunConfig
import ExprunCatalogue

/// One grid cell resolved from the problem kind's roles: root roles selected by their axes,
/// the others reached through reference parameters, the typed sweep values applied, then the
/// capabilities of the components checked against each other.
extension Builder {
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
