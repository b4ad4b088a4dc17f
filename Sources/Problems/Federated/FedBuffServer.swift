import ExprunCore
import ExprunLoop

/// FedBuff-c: the server waits for the next c returns (by time, ties to the lower client
/// index), aggregates them at the time of the last one, θ^{n+1} = θ^n + η_g Σ d_i Δ_i in the
/// order they returned, and those clients restart from θ^{n+1} then.
/// Weights (Fraboni et al., `server.py`): identical d_i = 1/c, or d_i = p_i / f_i with f_i the
/// fraction of aggregations client i takes part in (from a dry run of the schedule over the
/// horizon; the official code reads its precomputed schedule the same way); q_i ∝ d_i f_i.
public final class FedBuffServer: ServerRule {
    public let serverLR: Double
    let buffer: Int
    let corrected: Bool
    init(serverLR: Double, buffer: Int, corrected: Bool) {
        self.serverLR = serverLR; self.buffer = buffer; self.corrected = corrected
    }

    public static let entry = ServerEntry(
        ComponentDecl(.server, "fedbuff", doc: "FedBuff: aggregate every `buffer` client returns",
                      params: [serverLRParam,
                               .int("buffer", 3, .atLeastOne, "c: returns the server waits for (more than the clients: all of them)"),
                               weightsParam("d_i = 1/c", "d_i = p_i / f_i, f_i the fraction of aggregations client i is in", default: "identical")])
    ) { p in FedBuffServer(serverLR: p.double("server_lr"), buffer: p.int("buffer"), corrected: p.string("weights") == "weight") }

    public func reset() {}

    public func next(_ queue: EventQueue, returnTimes: UnsafeBufferPointer<Double>, now: Double,
                     participants: UnsafeMutableBufferPointer<Int>) -> (time: Double, count: Int) {
        var count = 0, time = now
        while count < buffer, let e = queue.pop() {
            participants[count] = e.agent
            time = e.time
            count += 1
        }
        return (time, count)
    }

    public func weights(_ setup: ServerSetup) -> (weights: [Double], rates: [Double]) {
        let m = setup.importances.count
        let f = setup.participation()
        let c = Double(min(buffer, m))
        let d = corrected ? zip(setup.importances, f).map { p, f in f > 0 ? p / f : 0 }
                          : [Double](repeating: 1 / c, count: m)
        return (d, f)
    }
}
