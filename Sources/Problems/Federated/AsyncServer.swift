import ExprunCore
import ExprunLoop

/// Asynchronous FedAvg (the paper's "Async"): the server aggregates each client's update as it
/// returns, θ^{n+1} = θ^n + η_g d_i Δ_i, and the client restarts at once from θ^{n+1}.
/// Weights (Fraboni et al., `server.py`): identical d_i = 1, or d_i = p_i τ_i Σ_j 1/τ_j.
/// Client i returns once per τ_i on average, so q_i ∝ d_i / τ_i.
public final class AsyncServer: ServerRule {
    public let serverLR: Double
    let corrected: Bool
    init(serverLR: Double, corrected: Bool) { self.serverLR = serverLR; self.corrected = corrected }

    public static let entry = ServerEntry(
        ComponentDecl(.server, "async_fedavg", doc: "asynchronous FedAvg: one aggregation per client return",
                      params: [serverLRParam, weightsParam("d_i = 1", "d_i = p_i τ_i Σ_j 1/τ_j", default: "weight")])
    ) { p in AsyncServer(serverLR: p.double("server_lr"), corrected: p.string("weights") == "weight") }

    public func reset() {}

    public func next(_ queue: EventQueue, returnTimes: UnsafeBufferPointer<Double>, now: Double,
                     participants: UnsafeMutableBufferPointer<Int>) -> (time: Double, count: Int) {
        guard let e = queue.pop() else { return (now, 0) }
        participants[0] = e.agent
        return (e.time, 1)
    }

    public func weights(_ setup: ServerSetup) -> (weights: [Double], rates: [Double]) {
        let tau = setup.meanTimes
        let inverseSum = tau.reduce(0) { $0 + 1 / $1 }
        let d = corrected ? zip(setup.importances, tau).map { p, t in inverseSum * t * p }
                          : [Double](repeating: 1, count: tau.count)
        return (d, tau.map { 1 / $0 })
    }
}
