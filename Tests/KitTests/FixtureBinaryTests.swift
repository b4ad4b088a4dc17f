import Foundation
import Testing
import ExprunCore
import ExprunStore

/// A binary built with ExprunKit (Tests/KitFixture: the built-in catalogue plus the optimizer
/// `fixture_scaled_sgd`, the transform `fixture_scale`, the schedule `fixture_halved`), run as a
/// researcher runs theirs: the added kind is listed, in the
/// schema, validated with locations, run, and stored; a clash stops it at start-up.
@Suite struct FixtureBinaryTests {
    /// The fixture binary, beside this test bundle in the build folder.
    static let binary: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if dir.lastPathComponent == "MacOS" { for _ in 0..<3 { dir.deleteLastPathComponent() } }   // an .xctest bundle on macOS
        return dir.appendingPathComponent("KitFixture").path
    }()

    static func run(_ args: [String], clash: Bool = false, in dir: String? = nil) throws -> (code: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["EXPRUN_FIXTURE_CLASH"] = clash ? "1" : nil
        p.environment = env
        if let dir { p.currentDirectoryURL = URL(fileURLWithPath: dir) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "exprun-kit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static let config = """
        name: kit_fixture
        seeds: 1
        run: {steps: 30, log: {every: 10}, metrics: [train_loss, fixture_steps]}
        datasets:
          reg: {kind: synthetic_regression, n: 50, dim: 3, noise: 0.1}
        models:
          ls: {kind: least_squares, dataset: reg}
        optimizers:
          mine: {kind: fixture_scaled_sgd, lr: 0.05, scale: 2.0}
          base: {kind: sgd, lr: 0.1}
          chained: {kind: chain, lr: 0.2, transforms: [{fixture_scale: {factor: 0.5}}]}
          scheduled: {kind: sgd, lr: 0.2, schedule: parts}
        schedules:
          parts: {kind: sequential, schedules: [half, half_again], milestones: [15]}
          half: {kind: fixture_halved}
          half_again: {kind: fixture_halved}
        sweep:
          optimizer: [mine, base, chained, scheduled]

        """

    @Test func theAddedKindIsListedWithItsParameters() throws {
        let names = try Self.run(["list", "optimizers", "--names"])
        #expect(names.code == 0)
        #expect(names.out.split(separator: "\n").contains("fixture_scaled_sgd"))
        #expect(names.out.split(separator: "\n").contains("sgd"))
        let one = try Self.run(["list", "fixture_scaled_sgd"])
        #expect(one.code == 0)
        #expect(one.out.contains("fixture: SGD with the step scaled by a declared factor"))
        #expect(one.out.contains("scale"))
        // Its counter is a metric of the kinds its family runs in.
        let metrics = try Self.run(["list", "metrics"])
        #expect(metrics.out.contains("fixture_steps"))
    }

    @Test func theSchemaHasTheAddedKindAndItsParameters() throws {
        let schema = try Self.run(["schema"])
        #expect(schema.code == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(schema.out.utf8)) as? [String: Any])
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)
        #expect(text.contains("\"fixture_scaled_sgd\""))
        #expect(text.contains("factor on the step"))
    }

    @Test func aBadValueOfAnAddedParameterIsReportedAtItsLocation() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.config.replacingOccurrences(of: "scale: 2.0", with: "scale: 20.0")
            .write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let r = try Self.run(["validate", dir + "/c.yaml"])
        #expect(r.code == 2)
        // optimizers.mine.scale is on line 9, its value at column 53.
        #expect(r.err.contains("c.yaml:9:53"), "\(r.err)")
        #expect(r.err.contains("scale"))
    }

    @Test func theAddedOptimizerRunsAndIsStored() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.config.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let r = try Self.run(["c.yaml", "--jobs", "1", "--quiet"], in: dir)
        #expect(r.code == 0, "\(r.err)")
        let file = try ResultsFile(path: dir + "/runs/kit_fixture/results.h5")
        #expect(file.rootAttributes.first { $0.0 == "added_components" }?.1 == .string("optimizer fixture_scaled_sgd, transform fixture_scale, schedule fixture_halved"))
        let mine = try #require(file.runIds.first { file.attribute($0, "optimizer.kind") == .string("fixture_scaled_sgd") })
        let base = try #require(file.runIds.first { file.attribute($0, "optimizer.kind") == .string("sgd")
            && file.attribute($0, "optimizer.lr") == .double(0.1) })
        #expect(file.attribute(mine, "optimizer.scale") == .double(2))
        #expect(file.status(mine) == "completed")
        // Its counter is recorded at log points (steps 0, 10, 20, 30), NaN for the built-in method.
        #expect(file.series(mine, metric: "fixture_steps") == [0, 10, 20, 30])
        #expect(file.series(base, metric: "fixture_steps")?.allSatisfy(\.isNaN) == true)
        // Each is the step of SGD with lr 0.1, on the same data and minibatches: scale 2 at lr 0.05,
        // the added transform halving a chain's lr 0.2, the added schedule halving lr 0.2 (as both
        // parts of a sequential schedule).
        let b = try #require(file.series(base, metric: "train_loss"))
        #expect(b.count == 4 && b[3] < b[0])
        for other in ["fixture_scaled_sgd", "chain"] {
            let id = try #require(file.runIds.first { file.attribute($0, "optimizer.kind") == .string(other) })
            let a = try #require(file.series(id, metric: "train_loss"))
            #expect(a.count == 4 && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) }, "\(other)")
        }
        let scheduled = try #require(file.runIds.first { file.attribute($0, "optimizer.lr") == .double(0.2)
            && file.attribute($0, "optimizer.kind") == .string("sgd") })
        let s = try #require(file.series(scheduled, metric: "train_loss"))
        #expect(zip(s, b).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) })
    }

    @Test func aClashWithABuiltInKindStopsTheBinaryNamingBoth() throws {
        let r = try Self.run(["list"], clash: true)
        #expect(r.code == 2)
        #expect(r.out.isEmpty)
        #expect(r.err.contains("the added optimizer 'sgd' (fixture: SGD with the step scaled by a declared factor) clashes with the built-in optimizer 'sgd' (Stochastic gradient descent"))
    }
}
