import ExprunConfig
import ExprunCore
import ExprunSpec
import Testing

// The run graph's config errors, each located at the node to change, through the real Spec
// (stochastic kind, catalogue components) plus one test-only schedule with a `selection`
// parameter (no shipped component has one yet).

private let fromUpstream = ComponentDecl(
    .schedule, "from_upstream", doc: "test only: a schedule that reads upstream runs",
    params: [ParamDecl("from", .selection, required: true, doc: "the upstream runs")])

/// Lines 1-12 fixed; the test appends `schedules:` entries, `selections:` and `sweep:`.
private func graphConfig(_ rest: String) -> String {
    """
    name: g
    seeds: 2
    run: {steps: 10}
    datasets:
      d1: {kind: synthetic_regression, n: 50, dim: 3}
    models:
      m1: {kind: least_squares, dataset: d1, l2: 0.1}
    optimizers:
      sgd: {kind: sgd, lr: 0.1}
    schedules:
      flat: {kind: constant}

    """ + rest
}

private func problems(_ rest: String) -> [Diagnostic] {
    problems(graphConfig(rest), components: [fromUpstream])
}

/// "line:column" of a diagnostic.
func lineColumn(_ d: Diagnostic?) -> String { d?.location.map { "\($0.line):\($0.column)" } ?? "none" }

@Suite struct RunGraphTests {
    @Test func aRunInItsOwnSelectionIsACycleAtTheParameterNamingIt() {
        let p = problems("""
              second: {kind: from_upstream, from: first_pass}
            selections:
              first_pass: {optimizer.lr: 0.1}
            sweep:
              optimizer.lr: [0.1, 0.3]
              schedule: [flat, second]
            """)
        #expect(p.count == 1)
        #expect(lineColumn(p.first) == "12:39")
        #expect(p.first?.message.contains("in a cycle") == true)
        #expect(p.first?.message.contains("optimizer.lr 0.1, schedule second, seed 0 takes input from selection 'first_pass', which holds that run itself") == true)
    }

    @Test func twoRunsTakingInputFromEachOtherAreACycle() {
        let p = problems("""
              a: {kind: from_upstream, from: of_b}
              b: {kind: from_upstream, from: of_a}
            selections:
              of_a: {schedule: a}
              of_b: {schedule: b}
            sweep:
              schedule: [a, b]
            """)
        #expect(p.count == 1)
        #expect(lineColumn(p.first) == "12:34")
        #expect(p.first?.message.contains("schedule a, seed 0 takes input from selection 'of_b', which holds the run with schedule b, seed 0") == true)
        #expect(p.first?.message.contains("schedule b, seed 0 takes input from selection 'of_a', which holds the run with schedule a, seed 0") == true)
    }

    @Test func anUndefinedSelectionIsADanglingReference() {
        let p = problems("""
              second: {kind: from_upstream, from: frist_pass}
            selections:
              first_pass: {schedule: flat}
            sweep:
              schedule: [flat, second]
            """)
        #expect(p.count == 1)
        #expect(lineColumn(p.first) == "12:39")
        #expect(p.first?.message.contains("from 'frist_pass' is not defined in selections") == true)
        #expect(p.first?.suggestion == "first_pass")
    }

    @Test func aSelectionWithNoRunForADownstreamRunIsAnError() {
        // Only seed 0 is selected, and the seed must be the same: seed 1 has no upstream run.
        let p = problems("""
              second: {kind: from_upstream, from: first_pass}
            selections:
              first_pass: {schedule: flat, seed: 0, same: [seed]}
            sweep:
              schedule: [flat, second]
            """)
        #expect(p.count == 1)
        #expect(lineColumn(p.first) == "12:39")
        #expect(p.first?.message.contains("selection 'first_pass' has no run for the run with schedule second, seed 1") == true)
    }

    @Test func aSelectionNamesAxesAndValuesOfTheSweep() {
        let p = problems("""
              second: {kind: from_upstream, from: first_pass}
            selections:
              first_pass: {schedul: flat}
              other: {schedule: flta, same: [optimizer]}
            sweep:
              schedule: [flat, second]
            """)
        #expect(p.map(lineColumn) == ["14:16", "15:21", "15:34"])
        #expect(p[0].suggestion == "schedule")
        #expect(p[1].message.contains("flta is not a value of the sweep axis (flat, second)") && p[1].suggestion == "flat")
        #expect(p[2].message.contains("same: 'optimizer' is not a sweep axis or seed"))
    }

    @Test func withoutSameASelectionPairsRunsOnEveryOtherAxisAndTheSeed() throws {
        let tree = try ConfigLoader.parse(graphConfig("""
              second: {kind: from_upstream, from: first_pass}
              pooled: {kind: from_upstream, from: all_flat}
            selections:
              first_pass: {schedule: flat}
              all_flat: {schedule: flat, same: []}
            sweep:
              optimizer.lr: {logspace: [-3, -1, 3]}
              schedule: [flat, second, pooled]
            """), file: "g.yaml")
        let e = try ExperimentBuilder.build(tree: tree, configPath: "g.yaml", dataDirectory: "", components: [fromUpstream])
        #expect(e.runs.count == 18)
        func lr(_ r: RunSpec) -> Double { r.component("optimizer")!.params["lr"]!.asDouble! }
        let flat = e.runs.filter { $0.component("schedule")!.name == "flat" }
        for r in e.runs where r.component("schedule")!.name == "second" {
            let up = try #require(r.upstream["first_pass"])
            #expect(up.count == 1)
            let u = try #require(flat.first { $0.runId == up[0] })
            #expect(lr(u) == lr(r) && u.seed == r.seed)
        }
        // `same: []`: every flat run, in grid order.
        for r in e.runs where r.component("schedule")!.name == "pooled" {
            #expect(r.upstream["all_flat"] == flat.map(\.runId))
            #expect(r.inputs == flat.map(\.runId))
        }
    }
}
