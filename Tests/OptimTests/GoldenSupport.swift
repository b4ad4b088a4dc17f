import ExprunTestSupport
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

/// max |a - b| / (1 + |b|), the golden files' error measure.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
}
