import ExprunCore
import Foundation
@testable import ExprunData

/// Resolved parameters as the Spec would hand them over: declared defaults, then overrides.
func resolvedParams(_ entry: DatasetEntry, _ overrides: [String: Value] = [:]) -> Params {
    var values: [String: Value] = [:]
    for p in entry.decl.params { if let d = p.defaultValue { values[p.name] = d } }
    for (k, v) in overrides {
        precondition(entry.decl.param(k) != nil, "\(entry.decl.kind) has no parameter \(k)")
        values[k] = v
    }
    return Params(kind: entry.decl.kind, values: values)
}

func context(seed: UInt64 = 0, base: String = "", data: String = "") -> DatasetContext {
    DatasetContext(seed: seed, baseDirectory: base, dataDirectory: data)
}

func dense(_ features: FeatureMatrix) -> DenseMatrix {
    guard case .dense(let m) = features else { fatalError("expected dense features") }
    return m
}

/// A fresh temporary folder for one test.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "exprun-data-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func writeText(_ text: String, to path: String) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Writes doubles as raw little-endian float64 (numpy: np.fromfile(path)).
func writeDoubles(_ values: [Double], to path: String) throws {
    let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
    try data.write(to: URL(fileURLWithPath: path))
}

struct PythonFailure: Error, CustomStringConvertible { var description: String }

/// Runs a Python script (numpy, scipy, scikit-learn are installed) with arguments and
/// returns its standard output; a failing script fails the test with its stderr.
func runPython(_ script: String, _ arguments: [String] = []) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw PythonFailure(description: String(decoding: errors, as: UTF8.self))
    }
    return String(decoding: output, as: UTF8.self)
}

/// Numbers printed by a script, whitespace separated.
func numbers(_ text: String) -> [Double] {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
}

/// The message of a ComponentError thrown by `body`, or nil.
func componentErrorMessage(_ body: () throws -> Void) -> String? {
    do { try body() } catch let error as ComponentError { return error.description } catch { return "\(error)" }
    return nil
}
