import ExprunCore
import ExprunLoop

/// The federated kind's kernel: M clients with their local data (rows of one catalogue
/// objective), a server rule, and the event queue of the clients' returns, on the loop's
/// simulated clock. One loop step is one server aggregation:
///
///     S_n, t_{n+1} = rule.next(queue)                 (who is aggregated, and when)
///     θ^{n+1} = θ^n + η_g Σ_{i ∈ S_n} d_i Δ_i           (in the rule's order)
///     for i in S_n: Δ_i = localSGD_i(θ^{n+1}) − θ^{n+1};  push (t_{n+1} + τ_i^(k), i)
///
/// and the step returns t_{n+1} − t_n. A client's update depends only on the model it
/// received, its data and its own random streams, so it is computed when the client starts
/// and delivered at its return time (the simulation needs no threads and is deterministic).
///
/// Random streams, per client i and seed (common random numbers): `fed:batches:i` (its
/// minibatches) and `fed:times:i` (its compute times). Every server rule run with the same seed
/// sees the same data split, the same k-th minibatches and the same k-th compute time of each
/// client. Ties of return times go to the lower client index (`EventQueue`).
///
/// Buffers (model-sized: θ, Δ_i per client, a local iterate, a gradient, a scratch for
/// metrics; the participants; the batch rows) are allocated at construction: a step
/// allocates nothing.
public final class FederatedSimulation: LoopKernel {
    public typealias Needs = FederatedNeeds
    public typealias Quantities = FederatedQuantities

    let objective: any Objective
    let projection: (any ConstrainedObjective)?
    let optimizers: [any Optimizer]
    let rule: any ServerRule
    let times: ComputeTimes
    let seed: UInt64
    let clients: Int, dimension: Int
    let localSteps: Int
    /// Minibatch size (nil: each local step uses the client's whole data).
    let batchSize: Int?
    /// Rows of client i: rowData[rowStart[i] ..< rowStart[i+1]].
    let rowData: UnsafeMutableBufferPointer<Int>
    let rowStart: [Int]
    public let importances: [Double]
    /// d_i, and the surrogate importances q_i ∝ d_i r_i.
    public private(set) var weights: [Double] = []
    public private(set) var surrogate: [Double] = []

    public let iterate: UnsafeMutableBufferPointer<Double>
    let deltas: UnsafeMutableBufferPointer<Double>
    let local: UnsafeMutableBufferPointer<Double>
    let gradient: UnsafeMutableBufferPointer<Double>
    let scratch: UnsafeMutableBufferPointer<Double>
    let batch: UnsafeMutableBufferPointer<Int>
    let participants: UnsafeMutableBufferPointer<Int>
    let returnTimes: UnsafeMutableBufferPointer<Double>
    let sentVersion: UnsafeMutableBufferPointer<Int>
    let queue: EventQueue
    /// The clients' losses at the last evaluated point.
    public internal(set) var losses: [Double]
    var batchStreams: [RNG] = []
    var timeStreams: [RNG] = []

    /// Server version n (aggregations done) and the time of the last one.
    public private(set) var version = 0
    public private(set) var now = 0.0
    /// The loop's clock, mirrored so each step returns exactly the difference the loop adds.
    var clock = 0.0
    /// The loss of the last local step's minibatch (checked for divergence).
    var lastLocalLoss = 0.0
    // Counters (`federatedCounters`).
    public private(set) var clientUpdates = 0
    public private(set) var messages = 0
    public private(set) var stalenessSum = 0
    public private(set) var maxStaleness = 0
    public private(set) var localStepsDone = 0
    public var stepSize: Double { rule.serverLR }
    /// f* of the full-data objective, when the suboptimality is recorded.
    public var fStar: Double?

    public init(objective: any Objective, optimizers: [any Optimizer], rule: any ServerRule, split: [[Int]],
                importances: [Double], times: ComputeTimes, localSteps: Int, batchSize: Int?, seed: Int) {
        self.objective = objective
        projection = objective as? any ConstrainedObjective
        self.optimizers = optimizers; self.rule = rule; self.times = times
        self.seed = UInt64(bitPattern: Int64(seed))
        clients = split.count; dimension = objective.dimension
        self.localSteps = localSteps; self.batchSize = batchSize; self.importances = importances
        var starts = [0]
        for r in split { starts.append(starts.last! + r.count) }
        rowStart = starts
        rowData = .allocate(capacity: max(starts.last!, 1))
        var k = 0
        for r in split { for row in r { rowData[k] = row; k += 1 } }
        func vector(_ n: Int) -> UnsafeMutableBufferPointer<Double> {
            let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(n, 1)); b.initialize(repeating: 0); return b
        }
        iterate = vector(dimension); deltas = vector(clients * dimension); local = vector(dimension)
        gradient = vector(dimension); scratch = vector(dimension)
        let largest = split.map(\.count).max() ?? 1
        batch = .allocate(capacity: max(batchSize ?? largest, 1)); batch.initialize(repeating: 0)
        participants = .allocate(capacity: max(clients, 1)); participants.initialize(repeating: 0)
        returnTimes = vector(clients)
        sentVersion = .allocate(capacity: max(clients, 1)); sentVersion.initialize(repeating: 0)
        queue = EventQueue(capacity: clients)
        losses = [Double](repeating: 0, count: clients)
    }

    deinit {
        for b in [iterate, deltas, local, gradient, scratch, returnTimes] { b.deallocate() }
        rowData.deallocate(); batch.deallocate(); participants.deallocate(); sentVersion.deallocate()
    }

    /// Fixes the weights (the rule's, with a dry run of the schedule when it asks for one):
    /// called once before the loop.
    func prepare(horizon: Double, maxSteps: Int) {
        let setup = ServerSetup(importances: importances, meanTimes: times.means) { [unowned self] in
            self.participationFractions(horizon: horizon, maxSteps: maxSteps)
        }
        let (d, r) = rule.weights(setup)
        weights = d
        let q = zip(d, r).map { $0 * $1 }
        let total = q.reduce(0, +)
        surrogate = total > 0 ? q.map { $0 / total } : importances
    }

    func resetStreams() {
        batchStreams = (0..<clients).map { RNG(seed: seed, purpose: "fed:batches:\($0)") }
        timeStreams = (0..<clients).map { RNG(seed: seed, purpose: "fed:times:\($0)") }
    }

    /// The schedule alone up to the horizon (or `maxSteps` aggregations): per client, the
    /// fraction of the aggregations it took part in.
    public func participationFractions(horizon: Double, maxSteps: Int) -> [Double] {
        resetStreams()
        rule.reset()
        queue.removeAll()
        for i in 0..<clients { returnTimes[i] = times.sample(agent: i, rng: &timeStreams[i]); queue.push(time: returnTimes[i], agent: i) }
        var counts = [Int](repeating: 0, count: clients)
        var t = 0.0, n = 0
        while n < maxSteps {
            let (time, count) = rule.next(queue, returnTimes: UnsafeBufferPointer(returnTimes), now: t, participants: participants)
            if time > horizon { break }
            for k in 0..<count {
                let i = participants[k]
                counts[i] += 1
                returnTimes[i] = time + times.sample(agent: i, rng: &timeStreams[i])
                queue.push(time: returnTimes[i], agent: i)
            }
            t = time; n += 1
        }
        return counts.map { n > 0 ? Double($0) / Double(n) : 0 }
    }

    public func start() {
        resetStreams()
        rule.reset()
        queue.removeAll()
        objective.initialPoint(iterate)
        version = 0; now = 0; clock = 0
        clientUpdates = 0; messages = 0; stalenessSum = 0; maxStaleness = 0; localStepsDone = 0
        for i in 0..<clients { dispatch(i, at: 0) }
    }

    /// Client i receives θ (version `version`) at `time`: its local run, its update Δ_i, and
    /// its return event.
    @inline(__always)
    func dispatch(_ i: Int, at time: Double) {
        let d = dimension
        for j in 0..<d { local[j] = iterate[j] }
        let start = rowStart[i], n = rowStart[i + 1] - start
        let optimizer = optimizers[i]
        for k in 0..<localSteps {
            let loss: Double
            if let b = batchSize {
                for s in 0..<b { batch[s] = rowData[start + batchStreams[i].below(n)] }
                loss = objective.batchLossAndGradient(UnsafeBufferPointer(local), rows: UnsafeBufferPointer(rebasing: batch[0..<b]),
                                                      gradient: gradient)
            } else {
                loss = objective.batchLossAndGradient(UnsafeBufferPointer(local), rows: UnsafeBufferPointer(rebasing: rowData[start..<(start + n)]),
                                                      gradient: gradient)
            }
            lastLocalLoss = loss
            optimizer.step(local, gradient: gradient, t: k)
            projection?.project(local)
        }
        let base = i * d
        for j in 0..<d { deltas[base + j] = local[j] - iterate[j] }
        localStepsDone += localSteps
        sentVersion[i] = version
        messages += 1
        returnTimes[i] = time + times.sample(agent: i, rng: &timeStreams[i])
        queue.push(time: returnTimes[i], agent: i)
    }

    public func oracle(_ t: Int) -> Double { lastLocalLoss }

    public func step(_ t: Int) -> Double {
        let (time, count) = rule.next(queue, returnTimes: UnsafeBufferPointer(returnTimes), now: now, participants: participants)
        let d = dimension, lr = rule.serverLR
        for k in 0..<count {
            let i = participants[k]
            let w = lr * weights[i]
            let base = i * d
            for j in 0..<d { iterate[j] += w * deltas[base + j] }
            let staleness = version - sentVersion[i]
            stalenessSum += staleness
            maxStaleness = max(maxStaleness, staleness)
        }
        clientUpdates += count
        messages += count
        version += 1
        for k in 0..<count { dispatch(participants[k], at: time) }
        now = time
        let dt = time - clock
        clock += dt
        return dt
    }

    /// L_i(point) for every client (mean loss over its rows plus the regulariser).
    /// Every client has rows (the driver refuses an empty one).
    public func clientLosses(_ point: UnsafeBufferPointer<Double>, into out: inout [Double]) {
        for i in 0..<clients {
            let start = rowStart[i], end = rowStart[i + 1]
            out[i] = objective.batchLossAndGradient(point, rows: UnsafeBufferPointer(rebasing: rowData[start..<end]), gradient: scratch)
        }
    }

    public func evaluate(_ point: UnsafeBufferPointer<Double>, needs: FederatedNeeds) -> FederatedQuantities {
        var q = FederatedQuantities()
        if needs.contains(.clientLosses) {
            clientLosses(point, into: &losses)
            q.global = 0; q.surrogate = 0; q.worst = -.infinity
            for i in 0..<clients {
                q.global += importances[i] * losses[i]
                q.surrogate += surrogate[i] * losses[i]
                q.worst = max(q.worst, losses[i])
            }
        }
        if needs.contains(.test), let t = objective.testMetrics(point) {
            q.testLoss = t.loss; q.testAccuracy = t.accuracy ?? .nan
        }
        return q
    }
}

/// What a federated point metric asks for.
public struct FederatedNeeds: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Every client's loss at the point (global, surrogate and worst-client losses).
    public static let clientLosses = FederatedNeeds(rawValue: 1)
    public static let test = FederatedNeeds(rawValue: 2)
}

public struct FederatedQuantities {
    public var global = Double.nan, surrogate = Double.nan, worst = Double.nan
    public var testLoss = Double.nan, testAccuracy = Double.nan
}
