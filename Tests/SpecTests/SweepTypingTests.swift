import ExprunTestSupport
import Testing
import ExprunCore
import ExprunConfig
import ExprunSpec

/// Sweep axes are typed when the sweep is parsed: a bad value is reported once, at the value,
/// however many cells contain it; a parameter no candidate declares is reported at the axis.
/// (Lines 1-15 of `base` are fixed, so the expected positions below are those of the sweep.)
@Suite struct SweepTypingTests {
    /// ConfigErrorTests' valid config with a second optimizer and an empty sweep.
    static let base = validConfig
        .replacingOccurrences(of: "  sgd: {kind: sgd, lr: 0.1, schedule: s1}",
                              with: "  sgd: {kind: sgd, lr: 0.1, schedule: s1}\n  adam: {kind: adam, lr: 0.01, schedule: s1}")
        .replacingOccurrences(of: "  optimizer.lr: [0.01, 0.1]", with: "")

    @Test func badValueReportedOnceAtTheValue() {
        // The bad value is in 2 optimizers x 3 l2 values = 6 cells; one diagnostic.
        let ds = problems(Self.base + """
          optimizer: [sgd, adam]
          optimizer.lr: [-0.01, 0.1]
          model.l2: [0.0, 0.1, 0.2]
        """)
        #expect(ds.count == 1, "\(ds.map(\.description))")
        expectProblem(ds, at: 17, 18, contains: "optimizer 'sgd': lr must be")
    }

    @Test func parameterNoCandidateDeclares() {
        let ds = problems(Self.base + """
          optimizer: [sgd, adam]
          optimizer.lrr: [0.1]
        """)
        #expect(ds.count == 1, "\(ds.map(\.description))")
        expectProblem(ds, at: 17, 3, contains: "no optimizer of this sweep (sgd, adam) has a parameter 'lrr'",
                      suggestion: "optimizer.lr")
    }

    @Test func parameterOneCandidateLacks() {
        // adam declares beta2, sgd does not: the cells that pair them are rejected at the value.
        let ds = problems(Self.base + """
          optimizer: [sgd, adam]
          optimizer.beta2: [0.99]
        """)
        expectProblem(ds, at: 17, 21, contains: "optimizer 'sgd' (kind sgd) has no parameter 'beta2'")
    }

    @Test func onlyTheSweptCandidatesCount() throws {
        // sgd is defined but not swept over here: adam alone takes beta2.
        let e = try build(Self.base + """
          optimizer: [adam]
          optimizer.beta2: [0.99, 0.999]
        """)
        #expect(e.runs.count == 4)
        #expect(e.runs.map { $0.parameters.first { $0.0 == "optimizer.beta2" }?.1 }
                == [.double(0.99), .double(0.99), .double(0.999), .double(0.999)])
    }

    @Test func valuesTakeTheDeclaredType() throws {
        // An integer written for a real parameter is a real; an integer-valued real for an
        // integer one is an integer; a run setting too.
        let e = try build(Self.base + """
          optimizer: [sgd]
          optimizer.lr: [1]
          run.steps: [20.0]
        """)
        #expect(e.runs[0].parameters.first { $0.0 == "optimizer.lr" }?.1 == .double(1))
        #expect(e.runs[0].run.steps == 20)
    }

    @Test func runValueReportedAtParse() {
        let ds = problems(Self.base + """
          optimizer: [sgd]
          run.batch_size: [0, 4]
        """)
        expectProblem(ds, at: 17, 20, contains: "run: batch_size must be >= 1, got 0")
    }

    @Test func crossParameterCheckAtTheAxisValue() {
        // sgd's own check (Nesterov needs momentum > 0) sees the swept value.
        let ds = problems(Self.base.replacingOccurrences(of: "sgd: {kind: sgd, lr: 0.1,", with: "sgd: {kind: sgd, lr: 0.1, momentum: 0.9,") + """
          optimizer: [sgd]
          optimizer.nesterov: [true]
          optimizer.momentum: [0.0]
        """)
        expectProblem(ds, at: 17, 24, contains: "Nesterov momentum requires momentum > 0")
    }

    @Test func axisOnARoleWithNothingDefined() {
        let text = Self.base.replacingOccurrences(of: "schedules:\n  s1: {kind: constant}\n", with: "")
            .replacingOccurrences(of: ", schedule: s1", with: "")
        let ds = problems(text + """
          schedule.warmup: [10]
        """)
        #expect(ds.contains { $0.message.contains("sweep axis 'schedule.warmup': no schedules are defined") }, "\(ds.map(\.description))")
    }

    @Test func nullTakesTheDefault() throws {
        // `optimizer.momentum: [~]` is the same as writing `momentum:` in the component, or
        // leaving it out: the default (0). A factory never meets a missing value.
        let e = try build(Self.base + """
          optimizer: [sgd]
          optimizer.momentum: [~, 0.5]
        """)
        #expect(e.runs.count == 4)
        #expect(e.runs[0].parameters.first { $0.0 == "optimizer.momentum" }?.1 == .double(0))
        let written = try build(Self.base.replacingOccurrences(of: "lr: 0.1, schedule", with: "lr: 0.1, momentum: ~, schedule") + "  optimizer: [sgd]\n")
        #expect(written.runs[0].parameters.first { $0.0 == "optimizer.momentum" }?.1 == .double(0))
        #expect(e.runs[2].parameters.first { $0.0 == "optimizer.momentum" }?.1 == .double(0.5))
    }
}
