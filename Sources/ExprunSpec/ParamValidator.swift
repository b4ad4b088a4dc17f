import Foundation
import ExprunCore
import ExprunConfig

/// Converts located config nodes into typed `Value`s according to a `ParamDecl`, collecting
/// every problem with its location instead of stopping at the first.
struct ParamValidator {
    /// The config file's folder, to resolve and check `path` parameters.
    var baseDirectory: String
    /// Names defined per family, to check references.
    var names: [Family: [String]]

    /// Converts one value. `owner` reads like "optimizer 'sgd'" in messages.
    func value(_ node: ConfigNode, for decl: ParamDecl, owner: String, into problems: inout [Diagnostic]) -> Value? {
        let before = problems.count
        let v = convert(node, decl.type, decl: decl, owner: owner, problems: &problems)
        return problems.count == before ? v : nil
    }

    private func convert(_ node: ConfigNode, _ type: ParamType, decl: ParamDecl, owner: String,
                         problems: inout [Diagnostic]) -> Value? {
        func wrong(_ expected: String) -> Value? {
            let got: String
            if let s = node.scalar { got = s.typeName + " '" + s.text + "'" } else { got = node.kindName }
            problems.append(Diagnostic(node.location, "\(owner): \(decl.name) must be \(expected), got \(got)"))
            return nil
        }
        func checkRange(_ x: Double) -> Bool {
            if decl.range.contains(x) { return true }
            let shown = x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
            problems.append(Diagnostic(node.location, "\(owner): \(decl.name) must be \(decl.range.text), got \(shown)"))
            return false
        }
        switch type {
        case .double:
            switch node.scalar {
            case .int(let i)?: return checkRange(Double(i)) ? .double(Double(i)) : nil
            case .double(let d)?:
                if !d.isFinite { return wrong("a finite number") }
                return checkRange(d) ? .double(d) : nil
            default: return wrong("a number")
            }
        case .int:
            switch node.scalar {
            case .int(let i)?: return checkRange(Double(i)) ? .int(i) : nil
            case .double(let d)? where d.isFinite && d == d.rounded() && abs(d) < 9e15:
                return checkRange(d) ? .int(Int(d)) : nil
            default: return wrong("an integer")
            }
        case .bool:
            if case .bool(let b)? = node.scalar { return .bool(b) }
            return wrong("true or false")
        case .string:
            if case .string(let s)? = node.scalar { return .string(s) }
            if let s = node.scalar, s != .null { return .string(s.text) }
            return wrong("a string")
        case .choice(let options):
            guard case .string(let s)? = node.scalar else { return wrong("one of " + options.joined(separator: ", ")) }
            if options.contains(s) { return .string(s) }
            problems.append(Diagnostic(node.location,
                                       "\(owner): \(decl.name) must be one of \(options.joined(separator: ", ")), got '\(s)'",
                                       suggestion: closestMatch(s, in: options)))
            return nil
        case .reference(let family):
            guard case .string(let s)? = node.scalar else { return wrong("the name of a \(family.rawValue)") }
            let defined = names[family] ?? []
            if defined.contains(s) { return .string(s) }
            problems.append(Diagnostic(node.location,
                                       "\(owner): \(decl.name) '\(s)' is not defined in \(family.section)"
                                        + (defined.isEmpty ? " (there are none)" : ""),
                                       suggestion: closestMatch(s, in: defined)))
            return nil
        case .referenceList(let family):
            guard let items = node.items else { return wrong("a list of \(family.rawValue) names") }
            var out: [Value] = []
            for item in items {
                guard let v = convert(item, .reference(family), decl: decl, owner: owner, problems: &problems) else { return nil }
                out.append(v)
            }
            return .list(out)
        case .doubleList, .intList:
            let element: ParamType = type == .doubleList ? .double : .int
            let items: [ConfigNode]
            if let l = node.items { items = l } else if node.scalar != nil && node.scalar != .null { items = [node] } else {
                return wrong(type.name)
            }
            var out: [Value] = []
            for item in items {
                guard let v = convert(item, element, decl: decl, owner: owner, problems: &problems) else { return nil }
                out.append(v)
            }
            return .list(out)
        case .stringList:
            let items: [ConfigNode]
            if let l = node.items { items = l } else if case .string? = node.scalar { items = [node] } else {
                return wrong("a list of strings")
            }
            var out: [Value] = []
            for item in items {
                guard case .string(let s)? = item.scalar else {
                    problems.append(Diagnostic(item.location, "\(owner): every entry of \(decl.name) must be a string, got \(item.scalar?.text ?? item.kindName)"))
                    return nil
                }
                out.append(.string(s))
            }
            return .list(out)
        case .path:
            guard case .string(let s)? = node.scalar, !s.isEmpty else { return wrong("a file path") }
            let full = s.hasPrefix("/") ? s : (baseDirectory.isEmpty ? s : baseDirectory + "/" + s)
            if let problem = unreadable(full) {
                problems.append(Diagnostic(node.location, "\(owner): \(decl.name) '\(s)': \(problem)"))
                return nil
            }
            return .string(s)
        }
    }
}

/// Why a data file cannot be used, or nil when it can be read.
func unreadable(_ path: String) -> String? {
    var isDir: ObjCBool = false
    if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) { return "no such file (\(path))" }
    if isDir.boolValue { return "is a folder, not a file (\(path))" }
    if !FileManager.default.isReadableFile(atPath: path) { return "file is not readable (\(path))" }
    return nil
}
