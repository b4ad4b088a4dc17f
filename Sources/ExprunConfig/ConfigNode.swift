/// A typed YAML scalar (YAML 1.1 resolution, as Yams does it: `yes`/`on` are booleans,
/// `1_000` is 1000, quoted text is always a string).
public enum Scalar: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        }
    }
    /// The text as written, for messages.
    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        }
    }
}

/// The config tree with the location of every node, so every later stage can point at the
/// exact `file:line:col` of what it rejects.
public indirect enum ConfigNode: Sendable {
    case scalar(Scalar, SourceLocation)
    case list([ConfigNode], SourceLocation)
    case map([ConfigEntry], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .scalar(_, let l), .list(_, let l), .map(_, let l): return l
        }
    }
    public var entries: [ConfigEntry]? { if case .map(let e, _) = self { return e } else { return nil } }
    public var items: [ConfigNode]? { if case .list(let i, _) = self { return i } else { return nil } }
    public var scalar: Scalar? { if case .scalar(let s, _) = self { return s } else { return nil } }
    public var string: String? { if case .scalar(.string(let s), _) = self { return s } else { return nil } }

    /// The value at a key of a mapping.
    public subscript(key: String) -> ConfigNode? { entries?.first { $0.key == key }?.value }
    public func entry(_ key: String) -> ConfigEntry? { entries?.first { $0.key == key } }

    public var kindName: String {
        switch self {
        case .scalar(let s, _): return s.typeName
        case .list: return "list"
        case .map: return "mapping"
        }
    }
}

/// A key of a mapping with its own location (errors about a key point at the key).
public struct ConfigEntry: Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: ConfigNode
    public init(key: String, keyLocation: SourceLocation, value: ConfigNode) {
        self.key = key; self.keyLocation = keyLocation; self.value = value
    }
}

extension ConfigNode {
    /// Returns a copy with `value` set at the dotted `path` (creating mappings as needed).
    public func setting(_ path: [String], to value: ConfigNode) -> ConfigNode {
        guard let head = path.first else { return value }
        var entries = self.entries ?? []
        if let i = entries.firstIndex(where: { $0.key == head }) {
            entries[i].value = entries[i].value.setting(Array(path.dropFirst()), to: value)
        } else {
            let child = ConfigNode.map([], value.location).setting(Array(path.dropFirst()), to: value)
            entries.append(ConfigEntry(key: head, keyLocation: value.location, value: child))
        }
        return .map(entries, location)
    }

    /// Block-style YAML text of the tree (the resolved config stored with results); lists and
    /// anything nested inside a list are written in flow style.
    public func yamlText() -> String {
        guard case .map(let entries, _) = self else { return flowText() + "\n" }
        var out = ""
        ConfigNode.emitBlock(entries, indent: 0, into: &out)
        return out
    }

    static func emitBlock(_ entries: [ConfigEntry], indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        for e in entries {
            if case .map(let sub, _) = e.value, !sub.isEmpty {
                out += pad + yamlKey(e.key) + ":\n"
                emitBlock(sub, indent: indent + 1, into: &out)
            } else {
                out += pad + yamlKey(e.key) + ": " + e.value.flowText() + "\n"
            }
        }
    }

    /// Flow-style YAML (`{a: 1, b: [2, 3]}`).
    public func flowText() -> String {
        switch self {
        case .scalar(let s, _): return ConfigNode.yamlScalar(s)
        case .list(let items, _): return "[" + items.map { $0.flowText() }.joined(separator: ", ") + "]"
        case .map(let entries, _):
            return "{" + entries.map { ConfigNode.yamlKey($0.key) + ": " + $0.value.flowText() }.joined(separator: ", ") + "}"
        }
    }

    static func yamlKey(_ k: String) -> String {
        k.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" } ? k : "\"\(k)\""
    }
    static func yamlScalar(_ s: Scalar) -> String {
        switch s {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return ".nan" }
            if d.isInfinite { return d > 0 ? ".inf" : "-.inf" }
            let t = String(d)
            return t.contains(".") || t.contains("e") ? t : t + ".0"
        case .string(let str):
            let plain = !str.isEmpty && str.allSatisfy { $0.isLetter || $0.isNumber || "_-./".contains($0) }
                && Double(str) == nil && !["yes", "no", "on", "off", "true", "false", "null", "y", "n"].contains(str.lowercased())
            if plain { return str }
            return "\"" + str.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
    }
}
