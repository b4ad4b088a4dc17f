import Foundation
import ExprunCore
import ExprunLoop

/// FedFix-Δt: the server aggregates at the fixed times (n+1)·Δt with the clients S_n that
/// returned by then, θ^{n+1} = θ^n + η_g Σ_{i ∈ S_n} d_i Δ_i (in the order they returned);
/// they restart from θ^{n+1} at (n+1)·Δt, the others keep working on their older model. An
/// interval in which nobody returns is an (empty) aggregation, as in the official schedule.
/// Weights: the paper's d_i = p_i ⌈τ_i/Δt⌉ (`weight`, Fraboni et al.'s `server.py`), or d_i = p_i
/// (`identical`; not in the official code, which defines FedFix with corrected weights only).
/// A client with constant time τ_i takes part once every ⌈τ_i/Δt⌉ aggregations, so
/// q_i ∝ d_i / ⌈τ_i/Δt⌉ (the official `P_surr`).
public final class FedFixServer: ServerRule {
    public let serverLR: Double
    let interval: Double
    let corrected: Bool
    var index = 0
    init(serverLR: Double, interval: Double, corrected: Bool) {
        self.serverLR = serverLR; self.interval = interval; self.corrected = corrected
    }

    public static let entry = ServerEntry(
        ComponentDecl(.server, "fedfix", doc: "FedFix: aggregate at fixed intervals the clients that returned",
                      params: [serverLRParam,
                               .double("interval", 0.25, .positive, "Δt: simulated time between aggregations"),
                               weightsParam("d_i = p_i", "d_i = p_i ⌈τ_i/Δt⌉ (the paper's)", default: "weight")])
    ) { p in FedFixServer(serverLR: p.double("server_lr"), interval: p.double("interval"), corrected: p.string("weights") == "weight") }

    public func reset() { index = 0 }

    public func next(_ queue: EventQueue, returnTimes: UnsafeBufferPointer<Double>, now: Double,
                     participants: UnsafeMutableBufferPointer<Int>) -> (time: Double, count: Int) {
        index += 1
        // A product, not a running sum, so the aggregation times carry no accumulated rounding.
        let time = Double(index) * interval
        var count = 0
        while let e = queue.peek(), e.time <= time {
            _ = queue.pop()
            participants[count] = e.agent
            count += 1
        }
        return (time, count)
    }

    /// ⌈τ_i/Δt⌉ for each client.
    func periods(_ tau: [Double]) -> [Double] { tau.map { Foundation.ceil($0 / interval) } }

    public func weights(_ setup: ServerSetup) -> (weights: [Double], rates: [Double]) {
        let k = periods(setup.meanTimes)
        let d = corrected ? zip(setup.importances, k).map { $0 * $1 } : setup.importances
        return (d, k.map { 1 / $0 })
    }
}
