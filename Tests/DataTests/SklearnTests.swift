import ExprunCore
import Foundation
import Testing
@testable import ExprunData

/// Runs the export script into a temporary folder, then loads all four data sets.
@Suite struct SklearnTests {
    static let exportScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/export_sklearn_data.py").path

    /// Runs the script as `python3 scripts/export_sklearn_data.py DIR` would.
    static func export(to dir: String) throws -> String {
        try runPython("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                      [exportScript, dir])
    }

    static let dataDirectory: String = {
        let dir = try! temporaryDirectory()
        _ = try! export(to: dir)
        return dir
    }()
    let entry = SklearnDataset.entry

    /// From sklearn directly, one Python start for all four: sum |x|, x[0,0], x[-1,-1].
    static let reference: [String: [Double]] = {
        let out = try! runPython("""
            import numpy as np, sklearn.datasets as d
            for n in ['breast_cancer', 'digits', 'wine', 'diabetes']:
                b = getattr(d, 'load_' + n)()
                print(n, np.abs(b.data).sum(), b.data[0, 0], b.data[-1, -1])
            """)
        var table: [String: [Double]] = [:]
        for line in out.split(separator: "\n") {
            let fields = line.split(separator: " ")
            table[String(fields[0])] = fields.dropFirst().compactMap { Double($0) }
        }
        return table
    }()

    @Test(arguments: [("breast_cancer", 569, 30, Task.binary), ("digits", 1797, 64, .multiclass(classes: 10)),
                      ("wine", 178, 13, .multiclass(classes: 3)), ("diabetes", 442, 10, .regression)])
    func loadsWithKnownShape(name: String, rows: Int, dim: Int, task: Task) throws {
        let p = resolvedParams(entry, ["name": .string(name), "test_fraction": .double(0), "standardize": .bool(false)])
        let data = try entry.make(p, context(data: Self.dataDirectory))
        #expect(data.train.count == rows && data.dimension == dim && data.task == task)
        // The raw values equal sklearn's, bit for bit (the script writes round-trip text).
        let r = try #require(Self.reference[name])
        let m = dense(data.train.features)
        #expect(m[0, 0] == r[1] && m[rows - 1, dim - 1] == r[2])
        #expect(abs(m.values.reduce(0) { $0 + abs($1) } - r[0]) <= 1e-9 * r[0])
        if case .multiclass(let k) = task { #expect(Set(data.train.targets) == Set((0..<k).map(Double.init))) }
        if task == .binary { #expect(Set(data.train.targets) == [-1, 1]) }
    }

    @Test func defaultSplitAndStandardization() throws {
        let p = resolvedParams(entry, ["name": .string("wine"), "split_seed": .int(0)])
        let data = try entry.make(p, context(data: Self.dataDirectory))
        #expect(data.train.count == 133 && data.test?.count == 45)   // round(0.25 * 178) = 45 test rows
        let m = dense(data.train.features)
        for j in 0..<m.cols {
            let column = (0..<m.rows).map { m[$0, j] }
            let mean = column.reduce(0, +) / Double(m.rows)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m.rows)
            #expect(abs(mean) < 1e-12 && abs(variance - 1) < 1e-12)
        }
        // The split follows the run's seed unless split_seed is given.
        var unseeded = p; unseeded.values["split_seed"] = nil
        let a = try entry.make(unseeded, context(seed: 1, data: Self.dataDirectory))
        let b = try entry.make(unseeded, context(seed: 2, data: Self.dataDirectory))
        #expect(a.train.targets != b.train.targets)
    }

    @Test func missingExportIsReportedAtName() throws {
        let p = resolvedParams(entry, ["name": .string("digits")])
        let files = entry.inputFiles(p, context(data: "/nowhere"))
        #expect(files.count == 1 && files[0].param == "name" && files[0].path == "/nowhere/sklearn/digits.csv")
        #expect(componentErrorMessage { _ = try entry.make(p, context(data: "/nowhere")) }?
            .hasPrefix("/nowhere/sklearn/digits.csv: cannot read file") == true)
    }

    @Test func exportIsIdempotent() throws {
        let out = try Self.export(to: Self.dataDirectory)
        #expect(out.contains("already exported"))
    }
}
