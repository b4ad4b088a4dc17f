import ExprunCore
import ExprunOptim
import Foundation
import Testing

/// Locates /work/shared/golden: env EXPRUN_GOLDEN, else walk up from this file to a folder
/// that has `shared/golden` beside it (the repo sits next to `shared/`).
func goldenFolder(_ file: String = #filePath) -> URL? {
    if let env = ProcessInfo.processInfo.environment["EXPRUN_GOLDEN"], !env.isEmpty {
        return URL(fileURLWithPath: env)
    }
    var dir = URL(fileURLWithPath: file).deletingLastPathComponent()
    while dir.path != "/" {
        let candidate = dir.appendingPathComponent("shared/golden")
        if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("index.json").path) {
            return candidate
        }
        dir = dir.deletingLastPathComponent()
    }
    return nil
}

struct GoldenCase {
    var file: String
    var kind: String
    var className: String
    var json: [String: Any]
}

/// Every case of index.json of the given kind ("schedule" or "optimizer").
func goldenCases(kind: String) throws -> [GoldenCase] {
    let folder = try #require(goldenFolder(), "golden folder not found (set EXPRUN_GOLDEN)")
    let index = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("index.json")))
    let cases = try #require((index as? [String: Any])?["cases"] as? [[String: Any]])
    return try cases.filter { ($0["kind"] as? String) == kind }.map { c in
        let file = try #require(c["file"] as? String)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(file)))
        return GoldenCase(file: file, kind: kind, className: try #require(c["class"] as? String),
                          json: try #require(json as? [String: Any]))
    }
}

func number(_ x: Any) -> Double? { (x as? NSNumber)?.doubleValue ?? (x as? Double) }
func numbers(_ x: Any?) -> [Double]? { (x as? [Any])?.compactMap(number) }

struct MappingError: Error, CustomStringConvertible { var description: String }

/// Converts a JSON value to a `Value` of the declared type.
func value(_ x: Any, as type: ParamType) throws -> Value {
    switch type {
    case .double: if let d = number(x) { return .double(d) }
    case .int: if let d = number(x), d == d.rounded() { return .int(Int(d)) }
    case .bool: if let b = x as? Bool { return .bool(b) }
    case .string, .choice, .reference: if let s = x as? String { return .string(s) }
    case .intList: if let l = numbers(x) { return .list(l.map { .int(Int($0)) }) }
    case .doubleList: if let l = numbers(x) { return .list(l.map { .double($0) }) }
    case .referenceList: if let l = x as? [String] { return .list(l.map { .string($0) }) }
    case .stringList:   // as the Spec reads it: a list of strings, or one string as a list of one
        if let l = x as? [String] { return .list(l.map { .string($0) }) }
        if let s = x as? String { return .list([.string(s)]) }
    case .path: if let s = x as? String { return .string(s) }
    }
    throw MappingError(description: "cannot read \(x) as \(type.name)")
}

/// What the Spec does: given values checked against the declaration (known name, type,
/// range), defaults filled in, missing required ones reported, and the cross-check run.
func resolve(_ decl: ComponentDecl, _ given: [String: Any]) throws -> Params {
    var values: [String: Value] = [:]
    for (name, raw) in given {
        guard let param = decl.param(name) else {
            throw MappingError(description: "\(decl.kind) has no parameter '\(name)'")
        }
        let v = try value(raw, as: param.type)
        let checked: [Double] = v.asList?.compactMap(\.asDouble) ?? (v.asDouble.map { [$0] } ?? [])
        for d in checked where !param.range.contains(d) {
            throw MappingError(description: "\(decl.kind).\(name) = \(d) outside \(param.range.text)")
        }
        values[name] = v
    }
    for param in decl.params where values[param.name] == nil {
        if let d = param.defaultValue { values[param.name] = d } else if param.required {
            throw MappingError(description: "\(decl.kind).\(param.name) is required")
        }
    }
    let params = Params(kind: decl.kind, values: values)
    if let problems = decl.check?(params), let first = problems.first {
        throw MappingError(description: "\(decl.kind).\(first.param): \(first.message)")
    }
    return params
}

/// max |a - b| / (1 + |b|), the golden files' error measure.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
}
