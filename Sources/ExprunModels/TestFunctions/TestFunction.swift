import ExprunCore
import Foundation

/// A classic optimization test function in its own coordinates z, with its known minimum.
/// Conformers are small structs (one file each); `TestFunctionObjective` adds the shift, the
/// rotation and the `Objective` oracles, so each function states only its formula.
public protocol TestFunction: Sendable {
    /// The catalogue kind (`rastrigin`, ...).
    static var kind: String { get }
    static var doc: String { get }
    /// The function's own parameters (besides dim, shift, rotation and start).
    static var extraParams: [ParamDecl] { get }
    /// Some functions are defined in one dimension only (Beale: 2); nil means any dimension.
    static var fixedDimension: Int? { get }
    /// The least dimension the formula has a meaning in (Rosenbrock's chain needs 2).
    static var minimumDimension: Int { get }
    /// The start when the config gives none (one coordinate value, repeated).
    static var defaultStart: Double { get }
    init(params: Params, dimension: Int)
    /// f(z); writes ∇f(z) (a subgradient where f is not differentiable) into `gradient` when it is non-nil.
    func evaluate(_ z: UnsafePointer<Double>, _ d: Int, gradient: UnsafeMutablePointer<Double>?) -> Double
    /// The global minimiser z* in the function's own coordinates (closed form).
    func minimizer(_ d: Int) -> [Double]
    /// The global minimum f(z*) (closed form).
    func minimum(_ d: Int) -> Double
}

public extension TestFunction {
    static var minimumDimension: Int { 1 }
}

/// A test function that knows its global minimiser: what a black-box kind's success rate and
/// distance metrics read (`dist_to_opt`, `success`).
public protocol KnownMinimizer: AnyObject {
    /// x* in the coordinates the optimizer sees (shift and rotation applied).
    var minimizerPoint: [Double] { get }
    var minimumValue: Double { get }
}

/// The data set a data-free model is built over: no examples, no features. A test function is
/// a deterministic objective; the kinds that build models from a data set hand it this one
/// when the model names no `dataset`.
public extension Dataset {
    static let none = Dataset(train: DataSplit(features: .dense(DenseMatrix(rows: 0, cols: 0)), targets: []),
                              task: .regression, info: [:])
}

/// f(x) = F(R (x - o)) for a test function F, a shift o and an optional rotation R (a Haar
/// orthogonal matrix drawn from `rotation_seed`), so x* = o + Rᵀ z* and ∇f(x) = Rᵀ ∇F(z).
/// A deterministic objective is a finite sum of one term: every minibatch is the whole function.
public final class TestFunctionObjective<F: TestFunction>: DeterministicObjective, KnownMinimizer {
    public let dimension: Int
    public var layout: [ParamBlock] { [ParamBlock(name: "x", offset: 0, rows: dimension, cols: 1)] }
    public let cacheKey: String
    public let minimizerPoint: [Double]
    public let minimumValue: Double
    let function: F
    let shift: [Double]
    /// Row-major d x d, nil without rotation.
    let rotation: [Double]?
    let start: [Double]
    /// z = R (x - o) and Rᵀ ∇F(z): preallocated so the oracles allocate nothing.
    let z: UnsafeMutablePointer<Double>
    let gz: UnsafeMutablePointer<Double>
    /// R v, for Hessian-vector products of a rotated function (TestFunctionHessians.swift).
    let hessianDirection: UnsafeMutablePointer<Double>

    public init(params: Params) throws {
        let d = F.fixedDimension ?? params.int("dim")
        dimension = d
        function = F(params: params, dimension: d)
        let s = params.doubles("shift")
        guard s.count <= 1 || s.count == d else {
            throw ComponentError("\(F.kind): shift has \(s.count) values; give one (every coordinate) or dim = \(d)")
        }
        shift = s.isEmpty ? [Double](repeating: 0, count: d) : (s.count == 1 ? [Double](repeating: s[0], count: d) : s)
        let st = params.doubles("start")
        guard st.count <= 1 || st.count == d else {
            throw ComponentError("\(F.kind): start has \(st.count) values; give one (every coordinate) or dim = \(d)")
        }
        start = st.isEmpty ? [Double](repeating: F.defaultStart, count: d)
            : (st.count == 1 ? [Double](repeating: st[0], count: d) : st)
        rotation = params.bool("rotate") ? haarOrthogonal(d, seed: UInt64(bitPattern: Int64(params.int("rotation_seed")))) : nil
        let zStar = function.minimizer(d)
        var xStar = shift
        if let r = rotation {
            for i in 0..<d { for j in 0..<d { xStar[j] += r[i * d + j] * zStar[i] } }
        } else {
            for j in 0..<d { xStar[j] += zStar[j] }
        }
        minimizerPoint = xStar
        minimumValue = function.minimum(d)
        z = .allocate(capacity: max(d, 1)); gz = .allocate(capacity: max(d, 1))
        hessianDirection = .allocate(capacity: max(d, 1))
        let parts = params.values.keys.sorted().map { "\($0)=\(params.values[$0]!.canonical)" }
        cacheKey = F.kind + "(" + parts.joined(separator: ",") + ")"
    }
    deinit { z.deallocate(); gz.deallocate(); hessianDirection.deallocate() }

    /// f at x, with ∇f into `gradient` when given.
    @inline(__always)
    func value(_ x: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>?) -> Double {
        let d = dimension
        for j in 0..<d { gz[j] = x[j] - shift[j] }
        guard let r = rotation else {
            return function.evaluate(gz, d, gradient: gradient)
        }
        r.withUnsafeBufferPointer { rb in
            for i in 0..<d { z[i] = VectorKernels.dot(rb.baseAddress! + i * d, gz, d) }
        }
        let f = function.evaluate(z, d, gradient: gradient == nil ? nil : gz)
        if let g = gradient {
            for j in 0..<d { g[j] = 0 }
            r.withUnsafeBufferPointer { rb in
                for i in 0..<d { VectorKernels.axpy(gz[i], rb.baseAddress! + i * d, g, d) }
            }
        }
        return f
    }

    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) {
        for j in 0..<dimension { x[j] = start[j] }
    }
    /// The closed-form minimum.
    public func computeOptimalValue() -> Double? { minimumValue }
}

/// A data-free objective (a test function, a master input): a finite sum of one term, so every
/// minibatch oracle is the whole function. Conformers give `value` alone; the oracles forward to it.
protocol DeterministicObjective: Objective {
    /// f at x, with ∇f into `gradient` when given.
    func value(_ x: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>?) -> Double
}

extension DeterministicObjective {
    public var sampleCount: Int { 1 }
    public func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                     gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        value(x.baseAddress!, gradient: gradient.baseAddress!)
    }
    public func batchLoss(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double { value(x.baseAddress!, gradient: nil) }
    public func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        value(x.baseAddress!, gradient: gradient.baseAddress!)
    }
    public func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double { value(x.baseAddress!, gradient: nil) }
    public func testMetrics(_ x: UnsafeBufferPointer<Double>) -> (loss: Double, accuracy: Double?)? { nil }
}

/// The parameters every test function has, then its own.
enum TestFunctionParams {
    static func params<F: TestFunction>(_ type: F.Type) -> [ParamDecl] {
        var p: [ParamDecl] = []
        if F.fixedDimension == nil { p.append(.int("dim", 20, ValueRange(min: Double(F.minimumDimension), max: 100_000), "dimension d")) }
        p += [
            .doubles("shift", [], .any, "shift o: f(x) = F(R(x - o)), so x* = o + Rᵀz*; [] none, one value for every coordinate, or d values"),
            .bool("rotate", false, "rotate the coordinates by a Haar-random orthogonal R (makes separable functions non-separable)"),
            .int("rotation_seed", 0, .nonNegative, "seed of R (fixed per model, not per run, so every run sees the same function)"),
            .doubles("start", [], .any, "initial point: [] the function's usual start, one value for every coordinate, or d values"),
        ]
        return p + F.extraParams
    }
}

/// The catalogue entry of a test function: a data-free model with the gradient oracle.
public func testFunctionEntry<F: TestFunction>(_ type: F.Type) -> ModelEntry {
    ModelEntry(ComponentDecl(.model, F.kind, doc: F.doc, params: TestFunctionParams.params(F.self)),
               provides: [.gradient]) { params, _ in
        try TestFunctionObjective<F>(params: params)
    }
}

/// A Haar-distributed orthogonal d x d matrix (row-major): Gram-Schmidt (twice, for accuracy)
/// on a Gaussian matrix, rows kept in order, which is the QR factor with a positive diagonal of R.
public func haarOrthogonal(_ d: Int, seed: UInt64) -> [Double] {
    var rng = RNG(seed: seed, purpose: "test_function:rotation")
    var q = [Double](repeating: 0, count: d * d)
    for i in 0..<(d * d) { q[i] = rng.normal() }
    q.withUnsafeMutableBufferPointer { qb in
        let q = qb.baseAddress!
        for i in 0..<d {
            for _ in 0..<2 {
                for k in 0..<i {
                    let c = VectorKernels.dot(q + i * d, q + k * d, d)
                    VectorKernels.axpy(-c, q + k * d, q + i * d, d)
                }
            }
            let n = VectorKernels.norm(q + i * d, d)
            for j in 0..<d { q[i * d + j] /= n }
        }
    }
    return q
}
