import ExprunCore
import Foundation

/// "Just One Byte (per gradient)" (Zelikman et al. 2023): K machines simulated in one process,
/// each holding its own replica of x. Round r: every active machine j computes
/// `samples` SPSA scalars g_{j,k} at its replica, z seeded from (r, j, k) and each on its own
/// minibatch; the scalars are quantized (`ScalarQuantizer`) and broadcast; every machine then
/// applies, in join order, x <- x - (lr_t / N) Σ_j Σ_k decode(q_{j,k}) z(seed_{j,k}) with N the
/// number of scalars of the round. Machines join (downloading a peer's replica: 8 bytes per
/// parameter) and leave (the earliest-joined active machine, its scalars simply missing) at
/// the rounds given. Each perturbation is undone from a backup of θ_r, so replicas stay bitwise identical (`replicaMismatches` counts the ones
/// that differ from the first). Counters: active machines, bytes sent (scalars broadcast once
/// each, plus weight downloads), the RMS quantization error of the last round.
public final class OneByteSPSA: ZerothOrderMethod {
    public let dimension: Int
    let eps: Double
    let samples: Int
    let direction: Direction
    let quantizer: ScalarQuantizer
    let scaleFactor: Double, scaleInit: Double
    let schedule: any Schedule
    let seed: UInt64
    let joins: [Int], leaves: [Int]
    let maxMachines: Int
    /// Replicas (row-major maxMachines x d); machine ids are join order.
    let replicas: UnsafeMutablePointer<Double>
    var active: [Int]
    var nextId: Int
    let decoded: UnsafeMutablePointer<Double>
    let seeds: UnsafeMutablePointer<UInt64>
    /// θ_r before a machine's perturbations, restored exactly after each sample (the paper's
    /// code restores a backup too): restoring by adding εz back leaves rounding drift that
    /// differs from machine to machine, and the replicas would drift apart.
    let backup: UnsafeMutablePointer<Double>
    var scale: Double
    var lr = 0.0
    public private(set) var bytesSent = 0.0
    public private(set) var quantizationError = Double.nan

    public init(dimension: Int, machines: Int, samples: Int, eps: Double, direction: Direction,
                quantizer: ScalarQuantizer, scaleFactor: Double, scaleInit: Double,
                joins: [Int], leaves: [Int], schedule: any Schedule, seed: UInt64) throws {
        guard machines >= 1 else { throw ComponentError("one_byte_spsa: machines must be >= 1") }
        // Membership is checked once, up front: a schedule that would leave no machine fails.
        var count = machines
        let events = (joins.map { ($0, 1) } + leaves.map { ($0, -1) }).sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 > $1.1) }
        for (round, delta) in events {
            count += delta
            if count < 1 { throw ComponentError("one_byte_spsa: the leave at round \(round) would leave no machine") }
        }
        self.dimension = dimension; self.samples = samples; self.eps = eps; self.direction = direction
        self.quantizer = quantizer; self.scaleFactor = scaleFactor; self.scaleInit = scaleInit
        self.schedule = schedule; self.seed = seed
        self.joins = joins.sorted(); self.leaves = leaves.sorted()
        maxMachines = machines + joins.count
        replicas = .allocate(capacity: maxMachines * dimension)
        replicas.initialize(repeating: 0, count: maxMachines * dimension)
        active = Array(0..<machines); active.reserveCapacity(maxMachines)
        nextId = machines
        decoded = .allocate(capacity: maxMachines * samples); decoded.initialize(repeating: 0, count: maxMachines * samples)
        seeds = .allocate(capacity: maxMachines * samples); seeds.initialize(repeating: 0, count: maxMachines * samples)
        backup = .allocate(capacity: max(dimension, 1)); backup.initialize(repeating: 0, count: max(dimension, 1))
        scale = scaleInit
    }
    deinit { replicas.deallocate(); decoded.deallocate(); seeds.deallocate(); backup.deallocate() }

    public var currentLR: Double { lr }
    /// Every replica but the one the run reports (x itself), the backup, and the round's scalars.
    public var stateSize: Int { maxMachines * dimension + 2 * maxMachines * samples }
    /// What the simulation exposes at log points (metrics of these names).
    public static let counters: [CounterDecl] = [
        CounterDecl("machines", "one-byte SPSA: active machines in the last round"),
        CounterDecl("bytes_sent", "one-byte SPSA: cumulative bytes communicated (scalars broadcast once each, plus weight downloads of joining machines)"),
        CounterDecl("quantization_error", "one-byte SPSA: RMS of decode(Q(g)) - g over the last round's scalars"),
        CounterDecl("replica_mismatch", "one-byte SPSA: replicas that differ bitwise from the first (0 expected)"),
    ]
    public func counter(_ index: Int) -> Double {
        switch index {
        case 0: return Double(active.count)
        case 1: return bytesSent
        case 2: return quantizationError
        default: return Double(replicaMismatches)
        }
    }
    /// Active replicas that differ bitwise from the first one.
    public var replicaMismatches: Int {
        let d = dimension, first = replicas + active[0] * d
        var bad = 0
        for j in active.dropFirst() {
            let r = replicas + j * d
            for i in 0..<d where r[i].bitPattern != first[i].bitPattern { bad += 1; break }
        }
        return bad
    }
    public func replica(_ slot: Int) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(start: replicas + active[slot] * dimension, count: dimension)
    }

    public func step(_ x: UnsafeMutableBufferPointer<Double>, t: Int,
                     loss: (UnsafeMutableBufferPointer<Double>, Int) -> Double) {
        let d = dimension
        if t == 0 { for j in active { for i in 0..<d { replicas[j * d + i] = x[i] } } }
        // Membership changes take effect at the start of their round.
        for r in leaves where r == t && active.count > 1 { active.removeFirst() }
        for r in joins where r == t {
            let id = nextId; nextId += 1
            // The newcomer downloads the replica of a peer (all are equal; the first is taken).
            for i in 0..<d { replicas[id * d + i] = replicas[active[0] * d + i] }
            active.append(id)
            if t > 0 { bytesSent += Double(8 * d) }
        }
        // 1. Every machine's scalars at its own replica, each sample on its own minibatch.
        var slot = 0, errorSum = 0.0, squareSum = 0.0
        for j in active {
            let xj = UnsafeMutableBufferPointer(start: replicas + j * d, count: d)
            for k in 0..<samples {
                let s = Direction.seed(seed, round: t, machine: j, sample: k)
                let g = direction.projectedGradient(xj, eps: eps, seed: s, backup: backup, batch: slot, loss: loss)
                // 2. Quantized and broadcast.
                let q = quantizer.roundTrip(g, scale: scale)
                decoded[slot] = q; seeds[slot] = s
                errorSum += (q - g) * (q - g); squareSum += q * q
                slot += 1
            }
        }
        let count = slot
        bytesSent += Double(count * quantizer.bits) / 8
        quantizationError = (errorSum / Double(count)).squareRoot()
        // 3. Every machine applies every scalar, in join order.
        lr = schedule.lr(at: t)
        let step = lr / Double(count)
        for j in active {
            let xj = replicas + j * d
            for k in 0..<count { direction.add(-step * decoded[k], seed: seeds[k], to: xj, d) }
        }
        // The next round's scale, from what every replica received.
        let rms = (squareSum / Double(count)).squareRoot()
        scale = rms > 0 && rms.isFinite ? scaleFactor * rms : scaleInit
        for i in 0..<d { x[i] = replicas[active[0] * d + i] }
    }
}

public extension OneByteSPSA {
    /// Catalogue entry for `one_byte_spsa`.
    static let entry = OptimizerEntry(
        ComponentDecl(.optimizer, "one_byte_spsa",
                      doc: "one-byte distributed SPSA (Just One Byte): K simulated machines with shared seeds, one quantized scalar per sample broadcast, every replica applies all; machines join and leave on a schedule",
                      params: [
                          .double("lr", 0.1, .nonNegative, "learning rate (the base of the schedule)").logScale(),
                          .reference("schedule", .schedule, required: false, "name of a schedule for the lr (constant lr when absent)"),
                          .double("eps", 1e-3, .positive, "perturbation scale ε"),
                          .int("machines", 4, ValueRange(min: 1, max: 1024), "machines at round 0"),
                          .int("samples", 1, ValueRange(min: 1, max: 10_000), "scalars per machine per round (each on its own minibatch)"),
                          .choice("direction", Direction.allCases.map(\.rawValue), "gaussian", "distribution of z"),
                          .choice("quantizer", ScalarQuantizer.allCases.map(\.rawValue), "int8",
                                  "int8: clamp(round(g/c), ±127) with c = scale_factor x RMS of the previous round's decoded scalars; float: no quantization; sign: c·sign(g)"),
                          .double("scale_factor", 3, .positive, "c_r = scale_factor x RMS of round r-1's decoded scalars"),
                          .double("scale_init", 1, .positive, "c of round 0 (and after a round that decoded to all zeros)"),
                          .ints("joins", [], .nonNegative, "rounds at which one new machine joins (it downloads a peer's weights)"),
                          .ints("leaves", [], .nonNegative, "rounds at which the earliest-joined active machine leaves"),
                      ],
                      counters: OneByteSPSA.counters),
        needs: []) { p, ctx in
        try OneByteSPSA(dimension: ctx.dimension, machines: p.int("machines"), samples: p.int("samples"), eps: p.double("eps"),
                        direction: Direction(rawValue: p.string("direction"))!,
                        quantizer: ScalarQuantizer(rawValue: p.string("quantizer"))!, scaleFactor: p.double("scale_factor"),
                        scaleInit: p.double("scale_init"), joins: p.ints("joins"), leaves: p.ints("leaves"),
                        schedule: ctx.schedule, seed: ctx.seed)
    }
}
