import ExprunTestSupport
import Testing
import Foundation
import ExprunCore
import ExprunConfig
import ExprunSpec

/// A minimal valid stochastic config; each error test breaks one thing in it.
let validConfig = """
name: t
seeds: 2
run:
  steps: 100
  batch_size: 4
datasets:
  d1: {kind: synthetic_regression, n: 50, dim: 3}
models:
  m1: {kind: least_squares, dataset: d1, l2: 0.1}
schedules:
  s1: {kind: constant}
optimizers:
  sgd: {kind: sgd, lr: 0.1, schedule: s1}
sweep:
  optimizer.lr: [0.01, 0.1]
"""

func build(_ text: String, file: String = "t.yaml", overrides: [String] = [], components: [ComponentDecl] = []) throws -> Experiment {
    let tree = try ConfigLoader.parse(text, file: file)
    let over = try ConfigLoader.applyOverrides(tree, overrides, sweepRoles: ["dataset", "model", "schedule", "optimizer", "environment", "learner"])
    return try ExperimentBuilder.build(tree: over, configPath: file, dataDirectory: "/nonexistent-data", components: components)
}

/// The diagnostics of a config that must be rejected (fails the test if it is accepted).
func problems(_ text: String, overrides: [String] = [], components: [ComponentDecl] = []) -> [Diagnostic] {
    do {
        _ = try build(text, overrides: overrides, components: components)
        Issue.record("config was accepted but should have been rejected")
        return []
    } catch let list as DiagnosticList {
        return list.items
    } catch {
        Issue.record("unexpected error \(error)")
        return []
    }
}

func expectProblem(_ ds: [Diagnostic], at line: Int, _ column: Int, contains text: String, suggestion: String? = nil,
                   sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let hit = ds.first { $0.location?.line == line && $0.location?.column == column && $0.description.contains(text) }
    #expect(hit != nil, "no diagnostic at \(line):\(column) containing '\(text)' in:\n\(ds.map(\.description).joined(separator: "\n"))",
            sourceLocation: sourceLocation)
    if let suggestion, let hit { #expect(hit.suggestion == suggestion, sourceLocation: sourceLocation) }
}

func replacing(_ old: String, _ new: String) -> String {
    precondition(validConfig.contains(old))
    return validConfig.replacingOccurrences(of: old, with: new)
}

@Test func validConfigExpands() throws {
    let e = try build(validConfig)
    #expect(e.runs.count == 4)                       // 2 step sizes x 2 seeds
    #expect(e.swept == ["optimizer.lr"])
    #expect(Set(e.runs.map(\.runId)).count == 4)
    #expect(e.runs.map(\.seed) == [0, 1, 0, 1])        // seeds innermost
    // Ids are stable: building twice gives the same ids.
    #expect(try build(validConfig).runs.map(\.runId) == e.runs.map(\.runId))
}

@Test func yamlSyntaxError() {
    let ds = problems(replacing("  steps: 100", "  steps: [100"))
    #expect(ds.count == 1)
    #expect(ds[0].description.hasPrefix("t.yaml:"))
    #expect(ds[0].message.contains("YAML syntax error"))
}

@Test func unknownKind() {
    let ds = problems(replacing("kind: sgd,", "kind: sgdd,"))
    expectProblem(ds, at: 13, 15, contains: "unknown optimizer kind 'sgdd'", suggestion: "sgd")
}

@Test func unknownKey() {
    let ds = problems(replacing("lr: 0.1, schedule", "lr: 0.1, momentm: 0.9, schedule"))
    expectProblem(ds, at: 13, 29, contains: "unknown parameter 'momentm'", suggestion: "momentum")
}

@Test func wrongType() {
    let ds = problems(replacing("lr: 0.1, schedule", "lr: fast, schedule"))
    expectProblem(ds, at: 13, 24, contains: "lr must be a number, got string 'fast'")
}

@Test func negativeLearningRate() {
    let ds = problems(replacing("optimizer.lr: [0.01, 0.1]", "optimizer.lr: [-0.01, 0.1]"))
    expectProblem(ds, at: 15, 18, contains: "lr must be")
}

@Test func batchSizeZero() {
    let ds = problems(replacing("batch_size: 4", "batch_size: 0"))
    expectProblem(ds, at: 5, 15, contains: "batch_size must be >= 1, got 0")
}

@Test func seedCountZero() {
    let ds = problems(replacing("seeds: 2", "seeds: 0"))
    expectProblem(ds, at: 2, 8, contains: "seeds must be >= 1")
}

@Test func danglingReference() {
    let ds = problems(replacing("dataset: d1", "dataset: d2"))
    expectProblem(ds, at: 9, 38, contains: "dataset 'd2' is not defined in datasets", suggestion: "d1")
}

@Test func emptySweep() {
    let ds = problems(replacing("optimizer.lr: [0.01, 0.1]", "optimizer.lr: []"))
    expectProblem(ds, at: 15, 17, contains: "has no values (empty sweep)")
    let ds2 = problems(replacing("optimizer.lr: [0.01, 0.1]", "optimizer.lr: {logspace: [-3, 0, 0]}"))
    expectProblem(ds2, at: 15, 28, contains: "empty sweep")
}

@Test func missingDataFile() {
    let ds = problems(replacing("d1: {kind: synthetic_regression, n: 50, dim: 3}", "d1: {kind: libsvm, path: no/such.svm}"))
    expectProblem(ds, at: 7, 28, contains: "no such file")
}

@Test func duplicateName() {
    let ds = problems(replacing("  s1: {kind: constant}", "  s1: {kind: constant}\n  s1: {kind: constant}"))
    #expect(ds.count == 1)
    #expect(ds.first?.message.contains("duplicate name 's1'") == true)
    #expect(ds.first?.location?.line == 11)   // libyaml points at the first of the two
}

@Test func everyProblemAtOnce() {
    var text = replacing("kind: sgd,", "kind: sgdd,")
    text = text.replacingOccurrences(of: "batch_size: 4", with: "batch_size: 0")
    text = text.replacingOccurrences(of: "dataset: d1", with: "dataset: d2")
    let ds = problems(text)
    #expect(ds.count == 3)
    // Sorted by position in the file.
    #expect(ds.map { $0.location!.line } == [5, 9, 13])
}

@Test func unknownSweepAxis() {
    let ds = problems(replacing("optimizer.lr: [0.01, 0.1]", "optimiser.lr: [0.01, 0.1]"))
    expectProblem(ds, at: 15, 3, contains: "unknown sweep axis 'optimiser.lr'", suggestion: "optimizer.lr")
}

@Test func sweepHelpers() throws {
    let e = try build(replacing("optimizer.lr: [0.01, 0.1]", "optimizer.lr: {logspace: [-3, 0, 4]}\n  run.batch_size: {range: [1, 4]}"))
    let lrs = Set(e.runs.compactMap { r in r.swept.first { $0.0 == "optimizer.lr" }?.1.asDouble })
    #expect(lrs == [0.001, 0.01, 0.1, 1.0])
    #expect(e.runs.count == 4 * 3 * 2)
    let lin = try build(replacing("optimizer.lr: [0.01, 0.1]", "optimizer.lr: {linspace: [0.1, 0.5, 5]}"))
    #expect(Set(lin.runs.compactMap { $0.swept[0].1.asDouble }) == [0.1, 0.2, 0.3, 0.4, 0.5])
}

@Test func zippedAxesPairValues() throws {
    let e = try build(replacing("optimizer.lr: [0.01, 0.1]", "zip: {optimizer.lr: [0.01, 0.1, 1.0], model.l2: [0.1, 0.2, 0.3]}"))
    #expect(e.runs.count == 3 * 2)
    for r in e.runs {
        let lr = r.swept.first { $0.0 == "optimizer.lr" }!.1.asDouble!
        let l2 = r.swept.first { $0.0 == "model.l2" }!.1.asDouble!
        #expect([0.01: 0.1, 0.1: 0.2, 1.0: 0.3][lr] == l2)
    }
    let ds = problems(replacing("optimizer.lr: [0.01, 0.1]", "zip: {optimizer.lr: [0.01, 0.1], model.l2: [0.1]}"))
    #expect(ds.first?.message.contains("zipped axes pair values") == true)
}

@Test func setOverrides() throws {
    // A scalar fixes an axis; a list makes one; plain paths set the tree.
    let e = try build(validConfig, overrides: ["optimizer.lr=0.05", "seeds=3", "run.steps=7"])
    #expect(e.runs.count == 3)
    #expect(e.runs.allSatisfy { $0.run.steps == 7 })
    let f = try build(validConfig, overrides: ["model.l2=[0.1, 1.0]"])
    #expect(f.runs.count == 2 * 2 * 2)
    #expect(f.swept == ["optimizer.lr", "model.l2"])
    let ds = problems(validConfig, overrides: ["optimizer.lr=-1"])
    #expect(ds.first?.location?.file == "--set #1")
    #expect(ds.first?.location?.column == 14)
}

@Test func anchorsAndAliases() throws {
    let text = validConfig.replacingOccurrences(of: "  sgd: {kind: sgd, lr: 0.1, schedule: s1}",
        with: "  sgd: &base {kind: sgd, lr: 0.1, schedule: s1}\n  heavy: {<<: *base, momentum: 0.9}") + "\n  optimizer: [sgd, heavy]\n"
    let e = try build(text)
    #expect(e.runs.count == 2 * 2 * 2)
    let heavy = e.runs.first { $0.parameters.contains { $0.0 == "optimizer" && $0.1 == .string("heavy") } }!
    #expect(heavy.parameters.contains { $0.0 == "optimizer.momentum" && $0.1 == .double(0.9) })
    #expect(heavy.parameters.contains { $0.0 == "optimizer.schedule" && $0.1 == .string("s1") })
}

@Test func yaml11Scalars() throws {
    let e = try build(replacing("steps: 100", "steps: 1_000"))
    #expect(e.runs[0].run.steps == 1000)
    let ds = problems(replacing("lr: 0.1, schedule", "lr: yes, schedule"))
    expectProblem(ds, at: 13, 24, contains: "got boolean 'true'")
}
