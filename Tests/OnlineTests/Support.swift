import ExprunTestSupport
import ExprunCore
@testable import ExprunOnline
@testable import ProblemOnline

/// Params of a catalogue component as the Spec resolves them (ExprunTestSupport runs the
/// real validator: defaults, types, ranges, checks); a refused set stops the test run.
func params(_ family: Family, _ kind: String, _ given: [String: Value] = [:]) -> Params {
    do { return try resolve(family, kind, given) } catch { preconditionFailure("\(kind): \(error)") }
}

/// A hand-built online RunSpec, as the Grid would produce it.
func onlineSpec(env: Params, learner: Params, steps: Int, seed: Int = 0, metrics: [String] = ["regret"],
                log: LogPolicy = .points(20, logScale: true), stop: StopRule? = nil,
                threshold: Double = 1e12) -> RunSpec {
    let settings = RunSettings(steps: steps, batchSize: 1, sampling: .cyclic, log: log, views: [], suffixFraction: 0.5,
                               emaDecay: 0.99, metrics: metrics, timeLimit: nil, stop: stop,
                               divergenceThreshold: threshold)
    return RunSpec(runId: "test", seed: seed, parameters: [], swept: [],
                   problem: "online",
                   components: [RoleInstance(role: "environment", family: .environment,
                                             instance: ComponentInstance(name: "env", params: env)),
                                RoleInstance(role: "learner", family: .learner,
                                             instance: ComponentInstance(name: "learner", params: learner))],
                   run: settings, baseDirectory: "", dataDirectory: "")
}

/// Why this learner cannot play this environment, from the declarations' needs and provides
/// (the check the Spec makes), or nil when they fit.
func onlineIncompatibility(environment: Params, learner: Params) -> String? {
    let env = environmentCatalogue.first { $0.decl.kind == environment.kind }!.decl
    let l = learnerCatalogue.first { $0.decl.kind == learner.kind }!.decl
    let unmet = unmetNeeds(in: [CellComponent(role: "environment", name: "env", decl: env, params: environment),
                                CellComponent(role: "learner", name: "learner", decl: l, params: learner)])
    return unmet.isEmpty ? nil : unmet.map(\.message).joined(separator: "; ")
}

func series(_ record: RunRecord, _ name: String) -> [Double] { record.metrics.first { $0.name == name }!.values }
func attribute(_ record: RunRecord, _ name: String) -> Double { record.attributes.first { $0.0 == name }!.1.asDouble! }

/// Runs env x learner by hand for T rounds; returns the plays and the losses.
func play(_ env: any OnlineEnvironment, _ learner: any OnlineLearner, rounds T: Int) -> (plays: [[Double]], losses: [Double]) {
    let d = env.domain.dimension
    let g = UnsafeMutablePointer<Double>.allocate(capacity: d)
    defer { g.deallocate() }
    var plays: [[Double]] = [], losses: [Double] = []
    for t in 1...T {
        let x = learner.play(round: t)
        plays.append(Array(UnsafeBufferPointer(start: x, count: d)))
        losses.append(env.reveal(round: t, at: x, gradient: g))
        learner.update(round: t, gradient: g)
    }
    return (plays, losses)
}

func makeEnv(_ p: Params, seed: UInt64 = 0, horizon: Int = 1000, dataset: Dataset? = nil) throws -> any OnlineEnvironment {
    try environmentCatalogue.first { $0.decl.kind == p.kind }!.make(p, EnvironmentBuild(seed: seed, horizon: horizon, dataset: dataset))
}

func makeLearner(_ p: Params, _ env: any OnlineEnvironment, horizon: Int) throws -> any OnlineLearner {
    try learnerCatalogue.first { $0.decl.kind == p.kind }!.make(p, LearnerContext(domain: env.domain, constants: env.constants, horizon: horizon))
}

