import ExprunCore
import ExprunLoop

/// A federated server's aggregation rule: when the server aggregates and whose updates it
/// takes (from the pending client returns of the event queue), and the weights d_i it gives
/// them. The simulation (`FederatedSimulation`) does the rest the same way for every rule:
///
///     θ^{n+1} = θ^n + η_g Σ_{i ∈ S_n} d_i Δ_i
///
/// and each client of S_n restarts from θ^{n+1} at the aggregation time (Fraboni et al.'s
/// `clients_schedule.py`: a client that returned before a FedBuff or FedFix aggregation idles
/// until it). One rule per file; each is a declared component of the `server` family.
public protocol ServerRule: AnyObject {
    /// The server learning rate η_g.
    var serverLR: Double { get }
    /// Restarts the rule's own bookkeeping (FedFix's interval index) for a new run or a dry run.
    func reset()
    /// The next aggregation: pops the returns it takes from `queue` (or reads `returnTimes`,
    /// the time each client's current work ends), writes their clients to `participants` in
    /// the order they are summed, and returns the aggregation's time and their count. `now`
    /// is the time of the previous aggregation (0 at the start).
    func next(_ queue: EventQueue, returnTimes: UnsafeBufferPointer<Double>, now: Double,
              participants: UnsafeMutableBufferPointer<Int>) -> (time: Double, count: Int)
    /// The aggregation weights d_i, and the rates r_i (participations per aggregation, up to a
    /// constant factor) that make the surrogate importances q_i ∝ d_i r_i the iterates converge
    /// for; `setup` holds what they may read (importances, mean times, a dry run).
    func weights(_ setup: ServerSetup) -> (weights: [Double], rates: [Double])
}

/// What a rule's weights may read.
public struct ServerSetup {
    /// The clients' importances p_i (Σ = 1).
    public var importances: [Double]
    /// The clients' mean compute times τ_i.
    public var meanTimes: [Double]
    /// Per client, the fraction of aggregations it takes part in over the run's horizon, from
    /// a dry run of the schedule alone (no training: compute times do not depend on the model).
    public var participation: () -> [Double]
    public init(importances: [Double], meanTimes: [Double], participation: @escaping () -> [Double]) {
        self.importances = importances; self.meanTimes = meanTimes; self.participation = participation
    }
}

/// A catalogue entry of the `server` family.
public struct ServerEntry: Sendable {
    public var decl: ComponentDecl
    public var make: @Sendable (Params) throws -> any ServerRule
    public init(_ decl: ComponentDecl, make: @escaping @Sendable (Params) throws -> any ServerRule) {
        var decl = decl
        decl.counters = federatedCounters
        self.decl = decl; self.make = make
    }
}

/// The parameters every rule takes.
let serverLRParam = ParamDecl.double("server_lr", 1.0, .positive, "server learning rate η_g (1 in the paper)")
/// The `weights` choice of the asynchronous rules: the paper's identical weights, or its
/// corrected ones that make the surrogate importances q equal p.
func weightsParam(_ identical: String, _ corrected: String, default def: String) -> ParamDecl {
    .choice("weights", ["identical", "weight"], def, "identical: \(identical) (biased toward fast clients); weight: \(corrected) (q_i = p_i)")
}

/// The server family's catalogue, in the order `exprun list` shows it.
public let serverCatalogue: [ServerEntry] = [FedAvgServer.entry, AsyncServer.entry, FedBuffServer.entry, FedFixServer.entry]
