import ExprunCore
import ExprunRunner
import ProblemStochastic
import Foundation
import Synchronization

// Hand-made components for the runner's tests: a least-squares objective over a synthetic
// dense data set, plain SGD, a constant schedule, and optimizers that misbehave on purpose.

/// f(x) = (1/2n) sum_i (a_i.x - b_i)^2 + offset. With noise-free targets b = A w the
/// minimum is `offset`, reached at w (the data set's true weights).
final class LeastSquares: Objective {
    let a: [Double], b: [Double]
    let n: Int, d: Int
    let offset: Double
    /// Rows of every batch, in order, when recording (tests of the minibatch stream).
    var seenRows: [Int]? = nil
    let optimalValueCalls: Counter?
    /// Whether computeOptimalValue answers (false: it cannot certify f*).
    var certifies = true

    init(data: Dataset, offset: Double, record: Bool, calls: Counter?) {
        guard case .dense(let m) = data.train.features else { fatalError() }
        a = m.values; b = data.train.targets; n = m.rows; d = m.cols
        self.offset = offset
        seenRows = record ? [] : nil
        optimalValueCalls = calls
    }
    var dimension: Int { d }
    var layout: [ParamBlock] { [ParamBlock(name: "w", offset: 0, rows: d, cols: 1)] }
    var sampleCount: Int { n }
    func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) { x.update(repeating: 0) }

    func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                              gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        if seenRows != nil { seenRows!.append(contentsOf: rows) }
        return lossAndGradient(x, rows: rows, gradient: gradient)
    }
    func lossAndGradient<C: Collection<Int>>(_ x: UnsafeBufferPointer<Double>, rows: C,
                                             gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        gradient.update(repeating: 0)
        var loss = 0.0
        a.withUnsafeBufferPointer { a in
            for i in rows {
                var r = -b[i]
                for j in 0..<d { r += a[i * d + j] * x[j] }
                loss += 0.5 * r * r
                for j in 0..<d { gradient[j] += r * a[i * d + j] }
            }
        }
        let scale = 1 / Double(rows.count)
        for j in 0..<d { gradient[j] *= scale }
        return loss * scale + offset
    }
    func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        lossAndGradient(x, rows: 0..<n, gradient: gradient)
    }
    func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double {
        var loss = 0.0
        for i in 0..<n {
            var r = -b[i]
            for j in 0..<d { r += a[i * d + j] * x[j] }
            loss += 0.5 * r * r
        }
        return loss / Double(n) + offset
    }
    func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? { nil }
    var cacheKey: String { "least_squares(offset=\(offset))" }
    func computeOptimalValue() -> Double? {
        optimalValueCalls?.increment()
        return certifies ? offset : nil
    }
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

struct ConstantSchedule: Schedule {
    let base: Double
    func lr(at t: Int) -> Double { base }
}

/// x <- x - lr_t g. Optionally keeps every iterate (x_1, x_2, ...) for the views tests.
final class PlainSGD: Optimizer {
    let schedule: any Schedule
    var currentLR = Double.nan
    var trace: [[Double]]? = nil
    /// Steps sleep this many microseconds (timeouts, cancellation).
    let sleepMicroseconds: UInt32
    /// At this step x becomes NaN (divergence).
    let poisonAt: Int?
    init(schedule: any Schedule, keepTrace: Bool = false, sleepMicroseconds: UInt32 = 0, poisonAt: Int? = nil) {
        self.schedule = schedule; trace = keepTrace ? [] : nil
        self.sleepMicroseconds = sleepMicroseconds; self.poisonAt = poisonAt
    }
    func step(_ x: UnsafeMutableBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>, t: Int) {
        let lr = schedule.lr(at: t)
        currentLR = lr
        for i in 0..<x.count { x[i] -= lr * g[i] }
        if t == poisonAt { x[0] = .nan }
        if trace != nil { trace!.append(Array(x)) }
        if sleepMicroseconds > 0 { usleep(sleepMicroseconds) }
    }
    var stateSize: Int { 0 }
}

/// Heavy-ball momentum: a second optimizer that must see the same minibatches as SGD.
final class HeavyBall: Optimizer {
    let schedule: any Schedule
    var velocity: [Double]
    var currentLR = Double.nan
    init(schedule: any Schedule, dimension: Int) { self.schedule = schedule; velocity = Array(repeating: 0, count: dimension) }
    func step(_ x: UnsafeMutableBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>, t: Int) {
        currentLR = schedule.lr(at: t)
        for i in 0..<x.count { velocity[i] = 0.9 * velocity[i] + g[i]; x[i] -= currentLR * velocity[i] }
    }
    var stateSize: Int { velocity.count }
}

/// Things tests look at after a run, keyed by run seed and optimizer name.
final class Probe: @unchecked Sendable {
    let lock = NSLock()
    var objectives: [String: LeastSquares] = [:]
    var optimizers: [String: PlainSGD] = [:]
    let datasetBuilds = Counter()
    let optimalValueCalls = Counter()
    func keep(_ key: String, _ o: LeastSquares) { lock.lock(); objectives[key] = o; lock.unlock() }
    func keep(_ key: String, _ o: PlainSGD) { lock.lock(); optimizers[key] = o; lock.unlock() }
}

/// Synthetic regression: A ~ N(0,1) (n x d), w ~ N(0,1), b = A w (+ noise).
func makeRegression(n: Int, d: Int, noise: Double, seed: UInt64) -> Dataset {
    var rng = RNG(seed: seed, purpose: "data:test_regression")
    var a = DenseMatrix(rows: n, cols: d)
    for k in 0..<(n * d) { a.values[k] = rng.normal() }
    let w = (0..<d).map { _ in rng.normal() }
    var b = [Double](repeating: 0, count: n)
    for i in 0..<n {
        for j in 0..<d { b[i] += a[i, j] * w[j] }
        b[i] += noise * rng.normal()
    }
    return Dataset(train: DataSplit(features: .dense(a), targets: b), task: .regression, trueWeights: w,
                   info: ["noise": .double(noise)])
}

/// Factories over the test components. Optimizer kinds: sgd (params lr, sleep_us, poison_at,
/// trace), heavy_ball, broken (throws when built).
func testFactory(_ probe: Probe = Probe()) -> ComponentFactory {
    ComponentFactory(
        makeDataset: { instance, context in
            probe.datasetBuilds.increment()
            let p = instance.params
            return makeRegression(n: p.int("n"), d: p.int("d"), noise: p.optionalDouble("noise") ?? 0, seed: context.seed)
        },
        makeObjective: { instance, data in
            let o = LeastSquares(data: data, offset: instance.params.optionalDouble("offset") ?? 0,
                                 record: instance.params.optionalInt("record") == 1, calls: probe.optimalValueCalls)
            o.certifies = instance.params.optionalInt("no_fstar") != 1
            if let tag = instance.params.optionalString("tag") { probe.keep(tag, o) }
            return o
        },
        makeSchedule: { _, context in ConstantSchedule(base: context.baseLR) },
        makeOptimizer: { instance, context in
            let p = instance.params
            switch p.kind {
            case "sgd":
                let o = PlainSGD(schedule: context.schedule, keepTrace: p.optionalInt("trace") == 1,
                                 sleepMicroseconds: UInt32(p.optionalInt("sleep_us") ?? 0),
                                 poisonAt: p.optionalInt("poison_at"))
                if let tag = p.optionalString("tag") { probe.keep(tag, o) }
                return o
            case "heavy_ball":
                return HeavyBall(schedule: context.schedule, dimension: context.dimension)
            default:
                throw ComponentError("optimizer \(instance.name): kind \(p.kind) is broken on purpose")
            }
        })
}

func params(_ kind: String, _ values: [String: Value]) -> Params { Params(kind: kind, values: values) }

/// A stochastic run over the test components.
func makeSpec(id: String = "run", seed: Int = 0, n: Int = 40, d: Int = 5, noise: Double = 0.1,
              dataset extra: [String: Value] = [:], model: [String: Value] = [:],
              optimizer: String = "sgd", optimizerParams: [String: Value] = [:], lr: Double = 0.05,
              steps: Int = 200, batchSize: Int? = 4, sampling: Sampling = .withReplacement,
              log: LogPolicy = .every(10), views: [ViewKind] = [.last],
              suffixFraction: Double = 0.5, emaDecay: Double = 0.9,
              metrics: [String] = ["train_loss"], timeLimit: Double? = nil, stop: StopRule? = nil,
              divergenceThreshold: Double = 1e10) -> RunSpec {
    var dataValues: [String: Value] = ["n": .int(n), "d": .int(d), "noise": .double(noise)]
    dataValues.merge(extra) { $1 }
    var optValues: [String: Value] = ["lr": .double(lr)]
    optValues.merge(optimizerParams) { $1 }
    let components = [
        RoleInstance(role: "model", family: .model, instance: ComponentInstance(name: "ls", params: params("least_squares", model))),
        RoleInstance(role: "optimizer", family: .optimizer,
                     instance: ComponentInstance(name: optimizer, params: params(optimizer, optValues))),
        RoleInstance(role: "dataset", family: .dataset,
                     instance: ComponentInstance(name: "data", params: params("test_regression", dataValues))),
        RoleInstance(role: "schedule", family: .schedule, instance: ComponentInstance(name: "const", params: params("constant", [:]))),
    ]
    let settings = RunSettings(steps: steps, batchSize: batchSize, sampling: sampling, log: log, views: views,
                               suffixFraction: suffixFraction, emaDecay: emaDecay, metrics: metrics,
                               timeLimit: timeLimit, stop: stop, divergenceThreshold: divergenceThreshold)
    return RunSpec(runId: id, seed: seed, parameters: [("optimizer.kind", .string(optimizer)), ("optimizer.lr", .double(lr))],
                   swept: [("optimizer.lr", .double(lr))], problem: "stochastic", components: components, run: settings,
                   baseDirectory: "", dataDirectory: "")
}

func series(_ record: RunRecord, _ name: String, view: String? = nil) -> [Double]? {
    if let view { return record.views.first { $0.view == view }?.metrics.first { $0.name == name }?.values }
    return record.metrics.first { $0.name == name }?.values
}
