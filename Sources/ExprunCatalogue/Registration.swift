import ExprunCore
import ExprunOnline
import ExprunOptim
import ProblemFederated
import ProblemTokenWalk

/// A component a researcher's own binary adds to the catalogue: the same entry a built-in
/// component of that family has (its `ComponentDecl` and factory), or a whole problem kind.
/// Passed to `ExprunKit.main(extra:)`; from then on it is parsed, validated, listed, put in
/// the schema and run exactly as the built-in ones are.
public enum ExtraComponent: Sendable {
    case dataset(DatasetEntry)
    case model(ModelEntry)
    case schedule(ScheduleEntry)
    case optimizer(OptimizerEntry)
    /// A gradient transform, usable in a `chain` optimizer's `transforms`.
    case transform(TransformEntry)
    case environment(EnvironmentEntry)
    case learner(LearnerEntry)
    case graph(GraphEntry)
    case walk(WalkEntry)
    case clients(ClientsEntry)
    case server(ServerEntry)
    /// A problem kind: its roles, metrics and run (see `ProblemEntry`).
    case problem(ProblemEntry)

    /// The entry itself, as `AddedComponents` stores it.
    var entry: any Sendable {
        switch self {
        case .dataset(let e): return e
        case .model(let e): return e
        case .schedule(let e): return e
        case .optimizer(let e): return e
        case .transform(let e): return e
        case .environment(let e): return e
        case .learner(let e): return e
        case .graph(let e): return e
        case .walk(let e): return e
        case .clients(let e): return e
        case .server(let e): return e
        case .problem(let e): return e
        }
    }

    /// "family kind", or "problem name".
    var name: String {
        if let (family, decl) = component { return family.rawValue + " " + decl.kind }
        if case .problem(let p) = self { return "problem " + p.decl.name }
        return ""
    }

    /// The component's declaration and the family its case puts it in (nil for a problem kind).
    var component: (family: Family, decl: ComponentDecl)? {
        switch self {
        case .dataset(let e): return (.dataset, e.decl)
        case .model(let e): return (.model, e.decl)
        case .schedule(let e): return (.schedule, e.decl)
        case .optimizer(let e): return (.optimizer, e.decl)
        case .transform(let e): return (.transform, e.decl)
        case .environment(let e): return (.environment, e.decl)
        case .learner(let e): return (.learner, e.decl)
        case .graph(let e): return (.graph, e.decl)
        case .walk(let e): return (.walk, e.decl)
        case .clients(let e): return (.client, e.decl)
        case .server(let e): return (.server, e.decl)
        case .problem: return nil
        }
    }
}

public extension Catalogue {
    /// Adds components to the catalogue; call it once, at start-up, before anything reads
    /// the catalogue (`ExprunKit.main(extra:)` does). Throws, naming both components, when an
    /// added kind has the name of a built-in one of its family or of another added one, when
    /// a problem kind's name is taken, when a component is declared in another family than
    /// the one it is added to, or when a method's counter has the name of a metric of a kind.
    static func register(_ extra: [ExtraComponent]) throws {
        AddedComponents.install(extra.map(\.entry), names: extra.map(\.name))
        let problems = registrationProblems(extra, catalogue: decls)
        if !problems.isEmpty { throw ComponentError(problems.joined(separator: "\n")) }
    }

    /// Every problem of the added components, checked against `catalogue`: the declarations
    /// of a family, built-in then added (the catalogue built with them).
    internal static func registrationProblems(_ extra: [ExtraComponent],
                                              catalogue: (Family) -> [ComponentDecl]) -> [String] {
        var out: [String] = []
        var seen: [String: Int] = [:]   // "family/kind" -> occurrences among the added ones
        for component in extra {
            guard let (family, decl) = component.component else { continue }
            if decl.family != family {
                out.append("the added \(family.rawValue) '\(decl.kind)' is declared as a \(decl.family.rawValue) "
                           + "(ComponentDecl(.\(decl.family.rawValue), ...)); declare it with .\(family.rawValue)")
                continue
            }
            let key = family.rawValue + "/" + decl.kind
            seen[key, default: 0] += 1
            guard seen[key] == 1 else { continue }
            let sameKind = catalogue(family).filter { $0.kind == decl.kind }
            let added = extra.filter { $0.component?.family == family && $0.component?.decl.kind == decl.kind }.count
            if sameKind.count > added, let builtIn = sameKind.first {
                out.append("the added \(family.rawValue) '\(decl.kind)' (\(decl.doc)) clashes with the built-in "
                           + "\(family.rawValue) '\(builtIn.kind)' (\(builtIn.doc)): rename the added one")
            }
            if added > 1 {
                let docs = extra.compactMap { $0.component }.filter { $0.family == family && $0.decl.kind == decl.kind }
                    .map { "'\($0.decl.kind)' (\($0.decl.doc))" }
                out.append("\(added) added \(family.rawValue)s have the same kind: " + docs.joined(separator: " and "))
            }
        }
        let addedProblems = extra.compactMap { c -> ProblemEntry? in if case .problem(let p) = c { return p }; return nil }
        var seenProblems: Set<String> = []
        for p in addedProblems where seenProblems.insert(p.decl.name).inserted {
            if let builtIn = BuiltIn.problems.first(where: { $0.decl.name == p.decl.name }) {
                out.append("the added problem kind '\(p.decl.name)' (\(p.decl.doc)) clashes with the built-in "
                           + "problem kind '\(builtIn.decl.name)' (\(builtIn.decl.doc)): rename the added one")
            } else if addedProblems.filter({ $0.decl.name == p.decl.name }).count > 1 {
                out.append("added problem kinds have the same name '\(p.decl.name)'")
            }
        }
        // A counter named like one of a kind's own metrics would be hidden by it.
        for component in extra {
            guard let (family, decl) = component.component else { continue }
            for counter in decl.counters {
                for p in BuiltIn.problems + addedProblems where p.decl.roleFamilies.contains(family) {
                    if let metric = p.decl.metric(counter.name) {
                        out.append("the counter '\(counter.name)' of the added \(family.rawValue) '\(decl.kind)' has the "
                                   + "name of the \(p.decl.name) kind's metric '\(metric.name)' (\(metric.doc)): rename the counter")
                    }
                }
            }
        }
        return out
    }
}
