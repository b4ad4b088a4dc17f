import Foundation

/// A python3 run that failed: its exit status and standard error.
public struct PythonFailure: Error, CustomStringConvertible {
    public var status: Int32
    public var stderr: String
    public var description: String { status == 0 ? stderr : "python3 exited with status \(status):\n\(stderr)" }
}

/// Runs `python3 script.py args...` and returns its standard output. A non-zero exit status
/// throws (so the calling test fails with python's error) instead of handing back whatever
/// was printed before the failure.
public func python(_ script: String, _ arguments: [String] = [], environment: [String: String] = [:]) throws -> String {
    // Output goes to files, not pipes: reading a pipe with FileHandle can trap on EINTR in
    // swift-corelibs-foundation while other tests run concurrently.
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("exprun-python-\(UUID().uuidString)")
    let outFile = base.appendingPathExtension("out"), errFile = base.appendingPathExtension("err")
    // The script goes through a file too: a matrix literal can exceed the argument size limit.
    let source = base.appendingPathExtension("py")
    try script.write(to: source, atomically: true, encoding: .utf8)
    _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outFile)
        try? FileManager.default.removeItem(at: errFile)
        try? FileManager.default.removeItem(at: source)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", source.path] + arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    process.standardOutput = try FileHandle(forWritingTo: outFile)
    process.standardError = try FileHandle(forWritingTo: errFile)
    try process.run()
    process.waitUntilExit()
    let out = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
    guard process.terminationStatus == 0 else {
        throw PythonFailure(status: process.terminationStatus, stderr: (try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
    }
    return out
}

/// The numbers a script prints (separated by whitespace); anything else printed throws.
public func pythonNumbers(_ script: String, _ arguments: [String] = []) throws -> [Double] {
    let tokens = try python(script, arguments).split(whereSeparator: \.isWhitespace)
    let numbers = tokens.compactMap { Double($0) }
    guard numbers.count == tokens.count else {
        throw PythonFailure(status: 0, stderr: "python printed something that is not a number: \(tokens.prefix(8))")
    }
    return numbers
}
