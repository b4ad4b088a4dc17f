import Foundation
import ExprunCore
import ExprunLoop
import ExprunOnline

/// Runs one online game (environment x learner) for `spec.run.steps` rounds and returns its
/// record (runId and attributes are completed by the runner). `dataset` is the built data set
/// when the environment replays one.
///
/// Each round: the learner plays x_t, the environment reveals f_t(x_t) and ∇f_t(x_t), the
/// learner updates. Cumulative loss, σ², Σ² and the comparator's sufficient statistics are kept
/// incrementally; metrics are evaluated only at the log points of `spec.run.log`.
public func runOnline(_ spec: RunSpec, dataset: Dataset?, control: RunControl) throws -> RunRecord {
    let envInstance = try spec.required("environment"), learnerInstance = try spec.required("learner")
    let envParams = envInstance.params, learnerParams = learnerInstance.params
    guard let envEntry = (environmentCatalogue + AddedComponents.entries(EnvironmentEntry.self)).first(where: { $0.decl.kind == envParams.kind }) else {
        throw ComponentError("unknown environment kind \(envParams.kind)")
    }
    guard let learnerEntry = (learnerCatalogue + AddedComponents.entries(LearnerEntry.self)).first(where: { $0.decl.kind == learnerParams.kind }) else {
        throw ComponentError("unknown learner kind \(learnerParams.kind)")
    }
    let cell = [CellComponent(role: "environment", name: envInstance.name, decl: envEntry.decl, params: envParams),
                CellComponent(role: "learner", name: learnerInstance.name, decl: learnerEntry.decl, params: learnerParams)]
    if let unmet = unmetNeeds(in: cell).first { throw ComponentError(unmet.message) }
    let T = spec.run.steps
    guard T >= 1 else { throw ComponentError("online runs need steps >= 1") }
    // Each metric's evaluator, looked up once in the declarations.
    let plan = try MetricPlan<OnlineKernel>(names: spec.run.metrics, stop: spec.run.stop, views: [], kind: "online",
                                            metrics: onlineMetricDefinitions)
    let start = RunControl.now()
    let env = try envEntry.make(envParams, EnvironmentBuild(seed: UInt64(spec.seed), horizon: T, dataset: dataset))
    if spec.run.metrics.contains("expected_regret") && env.bestFixedExpectedLoss() == nil {
        throw ComponentError("expected_regret needs expected losses in closed form (environment sea with loss: squared)")
    }
    let learner = try learnerEntry.make(learnerParams, LearnerContext(domain: env.domain, constants: env.constants, horizon: T))
    let stronglyConvexBound = learnerEntry.decl.needs(learnerParams).contains(.stronglyConvex)
    let kernel = OnlineKernel(OnlineGame(env: env, learner: learner, dimension: env.domain.dimension,
                                         stronglyConvexBound: stronglyConvexBound))
    let outcome = try RunLoop.run(kernel, plan: plan, settings: LoopSettings(spec.run), conventions: .rounds,
                                  control: control)
    let game = kernel.game
    let wall = RunControl.now() - start
    let rounds = outcome.stepsTaken
    var attributes: [(String, Value)] = [
        ("sigma2_total", .double(game.sigma2)),
        ("variation2_total", .double(game.variation2)),
        ("sigma2_max", .double(game.sigma2Max)),
        ("variation2_max", .double(game.variation2Max)),
        ("variance_exact", .bool(env.exactVariance)),
        ("G", .double(env.constants.G)), ("L", .double(env.constants.L)),
        ("lambda", .double(env.constants.lambda)), ("alpha", .double(env.constants.alpha)),
        ("D", .double(env.constants.D)),
        ("rounds", .int(rounds)),
        ("rounds_per_second", .double(Double(rounds) / max(wall, 1e-9))),
    ]
    if outcome.status != .diverged {
        let best = env.bestFixedLoss()
        attributes.append(("best_fixed_loss", .double(best.value)))
        attributes.append(("comparator_gap", .double(best.gap)))
        attributes.append(("regret_final", .double(game.cumulativeLoss - best.value)))
    }
    return RunRecord(runId: spec.runId, status: outcome.status, message: outcome.message,
                     divergedStep: outcome.divergedStep, stoppedStep: outcome.stoppedStep, wallSeconds: wall,
                     attributes: attributes, steps: outcome.steps, metrics: outcome.metrics, views: [])
}

extension LoopConventions {
    /// Online rounds: round t + 1 is played and scored in the oracle of step t.
    static let rounds = LoopConventions(
        scoresAfterStep: true, stopsAtStepZero: false,
        divergenceMessage: { v, t in "loss \(v) at round \(t)" },
        timeoutMessage: { t in "time limit reached after \(t) rounds" })
}

/// The online kind's kernel: step t plays round t + 1 (the learner plays, the environment
/// reveals the loss and gradient, the learner updates). No iterate views, no point metrics.
final class OnlineKernel: LoopKernel {
    typealias Needs = NoNeeds
    typealias Quantities = Void
    /// Unchecked (why: LoopKernel.swift): `game.round` is a mutating call through the kernel,
    /// one dynamically checked access per round otherwise.
    @exclusivity(unchecked) var game: OnlineGame
    let iterate = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
    /// The best fixed loss of the current log point (an offline solve), computed at most once
    /// per log point whichever metrics read it.
    private var best: Double?

    init(_ game: OnlineGame) { self.game = game }
    deinit { game.release() }

    var stepSize: Double { 0 }
    func start() {}
    @inline(__always) func oracle(_ t: Int) -> Double { game.round(t + 1) }
    @inline(__always) func step(_ t: Int) -> Double { 0 }
    func evaluate(_ point: UnsafeBufferPointer<Double>, needs: NoNeeds) {}
    func beginLogPoint(step: Int) { best = nil }

    /// min_X Σ_{s<=t} f_s(x) after t rounds (0 before any).
    func bestFixed(rounds t: Int) -> Double {
        if let b = best { return b }
        let b = t == 0 ? 0 : game.env.bestFixedLoss().value
        best = b
        return b
    }
}

/// The state of one game between log points: what regret analysis needs, kept incrementally.
struct OnlineGame {
    let env: any OnlineEnvironment
    let learner: any OnlineLearner
    let gradient: UnsafeMutablePointer<Double>
    let stronglyConvexBound: Bool
    var cumulativeLoss = 0.0
    var cumulativeExpected = 0.0
    var sigma2 = 0.0, variation2 = 0.0, sigma2Max = 0.0, variation2Max = 0.0
    var lastLoss = Double.nan

    init(env: any OnlineEnvironment, learner: any OnlineLearner, dimension: Int, stronglyConvexBound: Bool) {
        self.env = env; self.learner = learner; self.stronglyConvexBound = stronglyConvexBound
        gradient = .allocate(capacity: dimension)
        gradient.initialize(repeating: 0, count: dimension)
    }
    func release() { gradient.deallocate() }

    /// Plays round t and returns f_t(x_t).
    @inline(__always)
    mutating func round(_ t: Int) -> Double {
        let x = learner.play(round: t)
        let value = env.reveal(round: t, at: x, gradient: gradient)
        cumulativeLoss += value
        if let F = env.lastExpectedLoss { cumulativeExpected += F }
        let s = env.lastSigma2, v = env.lastVariation2
        sigma2 += s; variation2 += v
        sigma2Max = max(sigma2Max, s); variation2Max = max(variation2Max, v)
        lastLoss = value
        learner.update(round: t, gradient: gradient)
        return value
    }

    /// The regret bound of Chen et al. 2023 on the realised quantities, with unit constants:
    /// convex D(√σ²_{1:t} + √Σ²_{1:t}) + LD² (DG√t when non-smooth); strongly convex
    /// ((σ²_max + Σ²_max)/λ)(1 + log(1 + (σ²_{1:t} + Σ²_{1:t})/(σ²_max + Σ²_max))).
    func bound(rounds t: Int) -> Double {
        let c = env.constants
        if stronglyConvexBound && c.lambda > 0 {
            let m = sigma2Max + variation2Max
            guard m > 0 else { return 0 }
            return m / c.lambda * (1 + Foundation.log(1 + (sigma2 + variation2) / m))
        }
        if !c.L.isFinite { return c.D * c.G * Double(t).squareRoot() }
        return c.D * (max(sigma2, 0).squareRoot() + max(variation2, 0).squareRoot()) + c.L * c.D * c.D
    }
}
