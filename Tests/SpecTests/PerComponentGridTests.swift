import ExprunTestSupport
import Testing
import ExprunCore
import ExprunConfig
import ExprunSpec
import Foundation

/// A role axis written as each component's own grid is the union of those grids, with the
/// cells (and run ids) of the equivalent zip. Lines 1-15 of `base` are fixed.
@Suite struct PerComponentGridTests {
    static let base = SweepTypingTests.base

    func value(_ run: RunSpec, _ path: String) -> Value? { run.parameters.first { $0.0 == path }?.1 }

    @Test func unionOfEachComponentsGrid() throws {
        let e = try build(Self.base + """
          optimizer:
            sgd: {lr: [0.1, 1.0]}
            adam: {lr: [0.001], beta2: [0.99, 0.999]}
        """)
        #expect(e.swept == ["optimizer", "optimizer.lr", "optimizer.beta2"])
        #expect(e.runs.count == 8)   // (2 + 1 x 2) cells x 2 seeds
        let cells = stride(from: 0, to: 8, by: 2).map { e.runs[$0] }
        #expect(cells.map { value($0, "optimizer") } == [.string("sgd"), .string("sgd"), .string("adam"), .string("adam")])
        #expect(cells.map { value($0, "optimizer.lr") } == [.double(0.1), .double(1.0), .double(0.001), .double(0.001)])
        // sgd has no beta2: its rows set nothing there; adam's own grid gives both values.
        #expect(cells.map { value($0, "optimizer.beta2") } == [nil, nil, .double(0.99), .double(0.999)])
    }

    @Test func sameRunsAsTheZip() throws {
        let grid = try build(Self.base + """
          model.l2: [0.0, 0.1]
          optimizer:
            sgd: {lr: [0.1, 1.0]}
            adam: {lr: {logspace: [-3, -2, 2]}}
        """)
        let zip = try build(Self.base + """
          model.l2: [0.0, 0.1]
          zip:
            optimizer: [sgd, sgd, adam, adam]
            optimizer.lr: [0.1, 1.0, 0.001, 0.01]
        """)
        #expect(grid.runs.count == 16)
        #expect(grid.runs.map(\.runId) == zip.runs.map(\.runId))
        #expect(grid.swept == zip.swept)
    }

    @Test func emptyGridIsTheComponentAsDefined() throws {
        let e = try build(Self.base + """
          optimizer:
            sgd:
            adam: {}
        """)
        #expect(e.runs.count == 4)
        #expect(e.runs.map { value($0, "optimizer.lr") } == [.double(0.1), .double(0.1), .double(0.01), .double(0.01)])
    }

    @Test func errorsAreAtTheirNode() {
        let ds = problems(Self.base + """
          optimizer:
            sgdd: {lr: [0.1]}
            sgd: {beta2: [0.9]}
            adam: {lr: [-1.0, 0.1]}
        """)
        expectProblem(ds, at: 17, 5, contains: "sweep axis 'optimizer': 'sgdd' is not defined in optimizers", suggestion: "sgd")
        expectProblem(ds, at: 18, 19, contains: "optimizer 'sgd' (kind sgd) has no parameter 'beta2'")
        expectProblem(ds, at: 19, 17, contains: "optimizer 'adam': lr must be")
        #expect(ds.count == 3, "\(ds.map(\.description))")
    }

    @Test func aPathGivenTwiceIsAnError() {
        let ds = problems(Self.base + """
          optimizer.lr: [0.1]
          optimizer:
            sgd: {lr: [0.1]}
        """)
        #expect(ds.contains { $0.message.contains("sweep axis 'optimizer.lr' is given twice") }, "\(ds.map(\.description))")
    }

    @Test func selectionsSeeOnlyTheRowsThatSetAPath() throws {
        // `optimizer.beta2: 0.99` selects adam's row; sgd's rows do not set beta2.
        let text = Self.base.replacingOccurrences(of: "sweep:\n", with: "selections:\n  low: {optimizer.beta2: 0.99}\nsweep:\n")
        _ = try build(text + """
          optimizer:
            sgd: {lr: [0.1]}
            adam: {beta2: [0.99, 0.999]}
        """)
        let ds = problems(text + """
          optimizer:
            sgd: {lr: [0.1]}
            adam: {beta2: [0.9]}
        """)
        #expect(ds.contains { $0.message.contains("optimizer.beta2 0.99 is not a value of the sweep axis (0.9)") }, "\(ds.map(\.description))")
    }

    /// configs/optimizers_mlp.yaml, once a 55-entry zip, is a per-component grid with the same
    /// 464 runs: the hash (FNV-1a + SplitMix, `stableHash64`, computed in Python from the zip
    /// form's `--dry-run` at f1493aa) pins the sorted run ids.
    @Test func optimizersMLPKeepsItsRunIds() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
        let e = try ExperimentBuilder.load(path: root + "/configs/optimizers_mlp.yaml", dataDirectory: root + "/data")
        #expect(e.runs.count == 464)
        #expect(stableHash64(e.runs.map(\.runId).sorted().joined()) == 0xda99_2756_a4fc_13e7)
    }
}
