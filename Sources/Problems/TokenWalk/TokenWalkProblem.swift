import ExprunCore
import ExprunLoop

/// The token-walk problem kind (SA-SRRW, Hu, Doshi, Eun ICLR 2024; specs-b section 10): a token
/// walks a graph by a base chain or its self-repellent version and carries a model θ, which it
/// moves by an SGD step on the local loss of every node it reaches, minimising the average.
/// Step-driven: one move per step on the ordinary step clock.
public enum TokenWalkProblem {
    public static let entry = ProblemEntry(
        ProblemDecl(
            "token_walk", doc: "distributed SA by a token random walk on a graph (base chain or self-repellent, SA-SRRW)",
            roles: [
                RoleDecl("graph", .graph),
                RoleDecl("walk", .walk),
                RoleDecl("dataset", .dataset, via: ("walk", "dataset")),
            ],
            metrics: tokenWalkMetrics, defaultMetrics: ["theta_error"], views: true),
        run: { spec, context in try runTokenWalk(spec, context) })
}

func runTokenWalk(_ spec: RunSpec, _ context: RunContext) throws -> RunRecord {
    let started = RunControl.now()
    let graphInstance = try spec.required("graph"), walkInstance = try spec.required("walk")
    let datasetInstance = try spec.required("dataset")
    let plan = try MetricPlan<TokenWalkKernel>(names: spec.run.metrics, stop: spec.run.stop, views: spec.run.views,
                                               kind: "token_walk", metrics: tokenWalkMetricDefinitions)
    let graph = try makeGraph(graphInstance.params)
    let settings = try walkSettings(walkInstance.params)
    if let s = settings.start, s >= graph.nodeCount {
        throw ComponentError("walk \(walkInstance.name): start node \(s) is not a node of graph \(graphInstance.name) "
                             + "(\(graph.nodeCount) nodes)")
    }
    let data = try context.dataset(datasetInstance, for: spec).dataset
    let losses = try NodeLosses(dataset: data, nodes: graph.nodeCount, partition: settings.partition, l2: settings.l2)
    let chain = BaseChain(graph, kind: settings.chain)
    let kernel = TokenWalkKernel(kernel: SelfRepellentKernel(chain: chain, alpha: settings.alpha), losses: losses,
                                 settings: settings, seed: spec.seed)
    let outcome = try RunLoop.run(kernel, plan: plan, settings: LoopSettings(spec.run), control: context.control)

    var attributes = spec.parameters
    if !attributes.contains(where: { $0.0 == "seed" }) { attributes.append(("seed", .int(spec.seed))) }
    attributes += [
        ("graph_nodes", .int(graph.nodeCount)), ("graph_edges", .int(graph.edgeCount)),
        ("graph_min_degree", .int(graph.minDegree)), ("graph_max_degree", .int(graph.maxDegree)),
        ("step_regime", .string(settings.regime)),
        ("f_star", .double(losses.optimalValue)),
        ("theta_star_norm", .double(losses.optimum.reduce(0) { $0 + $1 * $1 }.squareRoot())),
        ("dim", .int(losses.dimension)), ("n_train", .int(losses.rowStart[graph.nodeCount])),
        ("visited_nodes_final", .int(kernel.visitedCount)),
    ]
    // The base chain's spectrum (dense, O(N³)) per run for small graphs only; `exprun graph`
    // computes it up to BaseChain.maxSpectralNodes.
    if graph.nodeCount <= 300, let gaps = chain.spectralGaps() {
        attributes += [("spectral_gap", .double(gaps.gap)), ("absolute_spectral_gap", .double(gaps.absolute))]
    }
    return RunRecord(runId: spec.runId, status: outcome.status, message: outcome.message,
                     divergedStep: outcome.divergedStep, stoppedStep: outcome.stoppedStep,
                     wallSeconds: RunControl.now() - started, attributes: attributes,
                     steps: outcome.steps, metrics: outcome.metrics, views: outcome.views)
}
