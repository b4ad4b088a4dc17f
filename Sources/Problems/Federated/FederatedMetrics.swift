import ExprunCore
import ExprunLoop

/// Metrics of federated runs, each with its evaluator: the only list of them. Point metrics
/// are evaluated at the server model θ at log points (log points are in simulated time; the
/// loop stores the clock as `sim_time`); the counters (`federatedCounters`) are declared on
/// the server rules.
let federatedMetricDefinitions: [LoopMetric<FederatedSimulation>] = [
    .point("train_loss", "global loss Σ p_i L_i(θ) over the clients' training rows (regulariser included)",
           needs: .clientLosses, divergence: .nonFiniteOrAboveThreshold) { q, _ in q.global },
    .point("surrogate_loss", "Σ q_i L_i(θ): the loss the rule's weights make the iterates minimise (q_i ∝ d_i × participation rate)",
           needs: .clientLosses) { q, _ in q.surrogate },
    .point("suboptimality", "Σ p_i L_i(θ) − f*, f* of the full-data objective (importance ratio, every row held by a client)",
           needs: .clientLosses, divergence: .nonFinite) { q, k in q.global - (k.fStar ?? .nan) },
    .point("worst_client_loss", "max_i L_i(θ)", needs: .clientLosses) { q, _ in q.worst },
    .point("test_loss", "mean loss of θ on the test split (no regulariser)", needs: .test) { q, _ in q.testLoss },
    .point("test_accuracy", "accuracy of θ on the test split (classification)", needs: .test) { q, _ in q.testAccuracy },
    .state("local_loss", "minibatch loss of the last local step of the last client update (NaN at step 0)") { k, t in
        t == 0 ? .nan : k.lastLocalLoss
    },
]

let federatedMetrics: [MetricDecl] = federatedMetricDefinitions.map(\.decl)

/// The counters of a federated run, each with how it is read from the simulation: declared
/// once here, and on every server rule's entry (`ServerEntry`), so they are metrics of the
/// federated kind (`exprun list metrics`) and final run attributes.
let federatedCounterReaders: [(decl: CounterDecl, read: @Sendable (FederatedSimulation) -> Double)] = [
    (CounterDecl("server_rounds", "aggregations done by the server (empty FedFix intervals count)", finalAttribute: true),
     { Double($0.version) }),
    (CounterDecl("client_updates", "client updates the server has aggregated", finalAttribute: true),
     { Double($0.clientUpdates) }),
    (CounterDecl("messages", "messages sent: each model sent to a client and each update sent back", finalAttribute: true),
     { Double($0.messages) }),
    (CounterDecl("bytes_sent", "bytes sent: messages × dimension × 8 (Float64 models and updates)"),
     { Double($0.messages) * Double($0.dimension) * 8 }),
    (CounterDecl("mean_staleness", "mean over aggregated updates of the server version minus the version the client trained on"),
     { $0.clientUpdates > 0 ? Double($0.stalenessSum) / Double($0.clientUpdates) : 0 }),
    (CounterDecl("max_staleness", "largest staleness of an aggregated update so far"), { Double($0.maxStaleness) }),
    (CounterDecl("local_steps", "local optimizer steps done by all clients", finalAttribute: true),
     { Double($0.localStepsDone) }),
]

public let federatedCounters: [CounterDecl] = federatedCounterReaders.map(\.decl)

/// The metric reading counter `name` from the simulation (nil: not a federated counter).
func federatedCounter(_ name: String) -> LoopMetric<FederatedSimulation>? {
    guard let c = federatedCounterReaders.first(where: { $0.decl.name == name }) else { return nil }
    let read = c.read
    return .state(name, c.decl.metric.doc) { k, _ in read(k) }
}
