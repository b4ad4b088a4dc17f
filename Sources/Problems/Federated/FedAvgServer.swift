import ExprunCore
import ExprunLoop

/// Synchronous FedAvg (the paper's "FL"): every round, all clients start from θ^n; the round
/// lasts until the slowest returns (max_i τ_i); θ^{n+1} = θ^n + η_g Σ_i p_i Δ_i, summed in
/// client order. It reads the clients' return times directly and empties the queue: it does
/// not use the queue's order (so FedBuff with a buffer of all clients checks the queue).
public final class FedAvgServer: ServerRule {
    public let serverLR: Double
    init(serverLR: Double) { self.serverLR = serverLR }

    public static let entry = ServerEntry(
        ComponentDecl(.server, "fedavg", doc: "synchronous FedAvg: rounds wait for every client, weights p_i", params: [serverLRParam])
    ) { p in FedAvgServer(serverLR: p.double("server_lr")) }

    public func reset() {}

    public func next(_ queue: EventQueue, returnTimes: UnsafeBufferPointer<Double>, now: Double,
                     participants: UnsafeMutableBufferPointer<Int>) -> (time: Double, count: Int) {
        var end = now
        for i in 0..<returnTimes.count {
            end = max(end, returnTimes[i])
            participants[i] = i
        }
        queue.removeAll()
        return (end, returnTimes.count)
    }

    public func weights(_ setup: ServerSetup) -> (weights: [Double], rates: [Double]) {
        (setup.importances, [Double](repeating: 1, count: setup.importances.count))
    }
}
