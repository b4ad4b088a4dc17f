import ExprunCore
import ExprunConfig
import ExprunSpec
import ExprunCatalogue
import Foundation

/// A Swift value as the located config node YAML would give (numbers, booleans, strings,
/// arrays, dictionaries), so tests hand parameters to the real validator. Numbers from JSON
/// (NSNumber) are read as the declared type says, when it is given.
public func configNode(_ x: Any, as type: ParamType? = nil,
                       at location: SourceLocation = SourceLocation(file: "<test>", line: 1, column: 1)) -> ConfigNode {
    // JSON numbers and booleans arrive as NSNumber (which bridges to Bool, Int and Double
    // alike): the declared type decides what they are.
    let swiftType = Swift.type(of: x)
    if swiftType != Bool.self && swiftType != Int.self && swiftType != Double.self, let n = x as? NSNumber {
        switch type {
        case .bool?: return .scalar(.bool(n.boolValue), location)
        case .int?: return .scalar(n.doubleValue == n.doubleValue.rounded() ? .int(n.intValue) : .double(n.doubleValue), location)
        default: return .scalar(.double(n.doubleValue), location)
        }
    }
    let element: ParamType? = type == .doubleList ? .double : (type == .intList ? .int : nil)
    switch x {
    case let b as Bool: return .scalar(.bool(b), location)
    case let i as Int: return type == .double ? .scalar(.double(Double(i)), location) : .scalar(.int(i), location)
    case let d as Double: return .scalar(.double(d), location)
    case let s as String: return .scalar(.string(s), location)
    case let v as Value: return configNode(plain(v), as: type, at: location)
    case let l as [Any]: return .list(l.map { configNode($0, as: element, at: location) }, location)
    case let m as [String: Any]:
        return .map(m.keys.sorted().map { ConfigEntry(key: $0, keyLocation: location, value: configNode(m[$0]!, at: location)) }, location)
    default: preconditionFailure("configNode: unsupported \(Swift.type(of: x))")
    }
}

func plain(_ v: Value) -> Any {
    switch v {
    case .int(let i): return i
    case .double(let d): return d
    case .bool(let b): return b
    case .string(let s): return s
    case .list(let l): return l.map(plain)
    }
}

/// The error of a refused parameter set: the validator's located messages.
public struct ResolutionError: Error, CustomStringConvertible {
    public var description: String
}

/// A component's Params exactly as the Spec builds them from `{kind: decl.kind, given...}`:
/// declared defaults filled, every given value type- and range-checked, the declaration's
/// check run. Throws the validator's messages.
public func resolve(_ decl: ComponentDecl, _ given: [String: Any] = [:]) throws -> Params {
    try resolve(decl.family, decl.kind, given)
}

public func resolve(_ family: Family, _ kind: String, _ given: [String: Any] = [:]) throws -> Params {
    let at = SourceLocation(file: "<test>", line: 1, column: 1)
    let decl = Catalogue.decl(family, kind: kind)
    let entries = given.keys.sorted().map {
        ConfigEntry(key: $0, keyLocation: at, value: configNode(given[$0]!, as: decl?.param($0)?.type, at: at))
    }
    do { return try ComponentParams.resolve(family, kind, entries) } catch {
        throw ResolutionError(description: error.description)
    }
}

/// The located messages the validator gives for `{kind, <yaml>}`, written as YAML text (the
/// body of the component's mapping, e.g. "transforms: [scale_by_adm]"), empty when accepted.
public func problems(_ family: Family, _ kind: String, yaml: String) throws -> [Diagnostic] {
    let tree = try ConfigLoader.parse(yaml, file: "c.yaml")
    do { _ = try ComponentParams.resolve(family, kind, tree.entries ?? []); return [] } catch { return error.items }
}

/// A JSON or Swift value as the `Value` a parameter of `type` holds (a reference library's
/// option compared with a declared default), or nil when it is not of that type.
public func value(_ x: Any, as type: ParamType) -> Value? {
    func read(_ node: ConfigNode, _ type: ParamType) -> Value? {
        switch (type, node) {
        case (.double, .scalar(.double(let d), _)): return .double(d)
        case (.double, .scalar(.int(let i), _)): return .double(Double(i))
        case (.int, .scalar(.int(let i), _)): return .int(i)
        case (.bool, .scalar(.bool(let b), _)): return .bool(b)
        case (.string, .scalar(.string(let s), _)), (.choice, .scalar(.string(let s), _)),
             (.reference, .scalar(.string(let s), _)), (.path, .scalar(.string(let s), _)): return .string(s)
        case (.doubleList, .list(let l, _)): return Value.list(l.compactMap { read($0, .double) })
        case (.intList, .list(let l, _)): return Value.list(l.compactMap { read($0, .int) })
        default: return nil
        }
    }
    return read(configNode(x, as: type), type)
}

/// Whether a model builds in this process from its defaults (and a data set): every model but
/// one whose required parameters name something outside (the `external` model's command, a
/// child process: ExternalOracleTests and tests/python/test_external_oracle.py test it).
public func buildsFromDefaults(_ decl: ComponentDecl) -> Bool {
    decl.params.allSatisfy { !$0.required || $0.type == .reference(.dataset) }
}
