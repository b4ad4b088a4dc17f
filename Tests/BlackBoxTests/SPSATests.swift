import ExprunBlackBox
import ExprunCore
import ExprunModels
import ExprunOptim
import ExprunTestSupport
import Foundation
import Testing

/// L(x; batch) = ½ Σ h_i (x_i - c_i - 0.1 (batch mod 3))²: a quadratic whose minibatches differ
/// (their average is minimised at c + 0.1, batch 1's minimiser).
private let curvature = [1.0, 2.0, 0.5, 4.0, 3.0]
private func quadratic(_ x: UnsafeMutableBufferPointer<Double>, _ batch: Int) -> Double {
    var f = 0.0
    for i in 0..<x.count { let r = x[i] - Double(i) * 0.3 - 0.1 * Double(batch % 3); f += 0.5 * curvature[i] * r * r }
    return f
}
private func quadraticGradient(_ x: [Double]) -> [Double] {
    (0..<x.count).map { curvature[$0] * (x[$0] - Double($0) * 0.3) }
}
private func constantLR(_ lr: Double) -> ConstantSchedule { ConstantSchedule(base: lr) }

@Suite struct SPSATests {
    @Test("+ε, -2ε, +ε restores x to 1e-12 relative by regeneration, exactly with a backup (Gaussian and Rademacher)")
    func restore() {
        for direction in Direction.allCases {
            var x = (0..<1000).map { sin(Double($0)) * 3 }
            let x0 = x
            var backup = [Double](repeating: 0, count: 1000)
            _ = x.withUnsafeMutableBufferPointer { xb in
                direction.projectedGradient(xb, eps: 1e-3, seed: 77, backup: nil, batch: 0) { p, _ in p[0] }
            }
            #expect(relativeError(x, x0) < 1e-12)
            x = x0
            _ = backup.withUnsafeMutableBufferPointer { bb in
                x.withUnsafeMutableBufferPointer { xb in
                    direction.projectedGradient(xb, eps: 1e-3, seed: 77, backup: bb.baseAddress!, batch: 0) { p, _ in p[0] }
                }
            }
            #expect(x == x0)
        }
    }

    @Test("on a quadratic the central difference is exact: g = zᵀ∇L")
    func exactOnQuadratic() {
        var x = [0.5, -1, 2, 0.25, 1]
        let grad = quadraticGradient(x)
        for seed in 0..<20 as Range<UInt64> {
            let g = x.withUnsafeMutableBufferPointer { xb in
                Direction.gaussian.projectedGradient(xb, eps: 1e-3, seed: seed, backup: nil, batch: 0, loss: quadratic)
            }
            var z = [Double](repeating: 0, count: 5)
            Direction.gaussian.add(1, seed: seed, to: &z, 5)
            let exact = zip(z, grad).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(g - exact) < 1e-9 * max(1, abs(exact)))
        }
    }

    /// E[g z] = E[z zᵀ] ∇L = ∇L: the mean of g z over 1e5 seeds is within 3 standard errors of
    /// ∇L in every coordinate (and the standard error is small: the test can fail).
    @Test("the SPSA estimate g z is unbiased: its mean over 1e5 seeds is within 3 standard errors of ∇L")
    func unbiased() {
        let draws = 100_000
        var x = [0.5, -1, 2, 0.25, 1]
        let grad = quadraticGradient(x)
        for direction in Direction.allCases {
            var sum = [Double](repeating: 0, count: 5), sumSq = sum
            var z = [Double](repeating: 0, count: 5)
            for s in 0..<draws {
                let seed = Direction.seed(42, round: s, machine: 0, sample: 0)
                let g = x.withUnsafeMutableBufferPointer { xb in
                    direction.projectedGradient(xb, eps: 1e-3, seed: seed, backup: nil, batch: 0, loss: quadratic)
                }
                for i in 0..<5 { z[i] = 0 }
                direction.add(1, seed: seed, to: &z, 5)
                for i in 0..<5 { sum[i] += g * z[i]; sumSq[i] += g * z[i] * g * z[i] }
            }
            for i in 0..<5 {
                let mean = sum[i] / Double(draws)
                let se = ((sumSq[i] / Double(draws) - mean * mean) / Double(draws)).squareRoot()
                #expect(abs(mean - grad[i]) < 3 * se, "\(direction) coordinate \(i): \(mean) vs \(grad[i]) (se \(se))")
                #expect(se < 0.05 * max(1, abs(grad[i])))
            }
        }
    }

    @Test("the int8 quantizer's error is at most c/2 when |g| <= 127c; it clamps beyond; sign keeps the sign")
    func quantizer() {
        var rng = RNG(seed: 1, purpose: "q")
        for _ in 0..<10_000 {
            let c = 0.01 + rng.uniform(), g = (2 * rng.uniform() - 1) * 127 * c
            #expect(abs(ScalarQuantizer.int8.roundTrip(g, scale: c) - g) <= c / 2 * (1 + 1e-12))
        }
        #expect(ScalarQuantizer.int8.roundTrip(1000, scale: 1) == 127)
        #expect(ScalarQuantizer.int8.roundTrip(-1000, scale: 1) == -127)
        #expect(ScalarQuantizer.sign.roundTrip(-0.3, scale: 2) == -2)
        #expect(ScalarQuantizer.float.roundTrip(0.123, scale: 2) == 0.123)
    }

    private func mezo(_ d: Int, lr: Double, chain: (any Optimizer)? = nil, directions: Int = 1, backup: Bool = false,
                      seed: UInt64 = 5) -> MeZO {
        MeZO(dimension: d, eps: 1e-3, directions: directions, direction: .gaussian, weightDecay: 0, backup: backup,
             schedule: constantLR(lr), chain: chain, seed: seed)
    }
    private func oneByte(_ d: Int, machines: Int, samples: Int = 1, quantizer: ScalarQuantizer, joins: [Int] = [],
                         leaves: [Int] = [], lr: Double, seed: UInt64 = 5) throws -> OneByteSPSA {
        try OneByteSPSA(dimension: d, machines: machines, samples: samples, eps: 1e-3, direction: .gaussian,
                        quantizer: quantizer, scaleFactor: 3, scaleInit: 1, joins: joins, leaves: leaves,
                        schedule: constantLR(lr), seed: seed)
    }

    @Test("one machine, one sample, no quantization: one-byte SPSA equals MeZO (restore: backup) bitwise, step for step")
    func oneMachineIsMeZO() throws {
        let a = mezo(5, lr: 0.05, backup: true), b = try oneByte(5, machines: 1, quantizer: .float, lr: 0.05)
        var xa = [1.0, 1, 1, 1, 1], xb = xa
        for t in 0..<200 {
            xa.withUnsafeMutableBufferPointer { a.step($0, t: t, loss: quadratic) }
            xb.withUnsafeMutableBufferPointer { b.step($0, t: t, loss: quadratic) }
            #expect(xa.map(\.bitPattern) == xb.map(\.bitPattern), "step \(t)")
        }
        // And it descends: the zeroth-order method reaches the minimiser of the average batch.
        #expect(norm(quadraticGradient(xa)) < 0.2 * norm(quadraticGradient([1, 1, 1, 1, 1])))
    }

    @Test("four machines with int8 scalars, one joining at round 50 and one leaving at round 100: every replica stays bitwise identical")
    func replicasStayIdentical() throws {
        let method = try oneByte(5, machines: 4, samples: 3, quantizer: .int8, joins: [50], leaves: [100], lr: 0.02)
        var x = [1.0, 1, 1, 1, 1]
        let start = quadratic(x.withUnsafeMutableBufferPointer { $0 }, 1)
        for t in 0..<150 {
            x.withUnsafeMutableBufferPointer { method.step($0, t: t, loss: quadratic) }
            #expect(method.replicaMismatches == 0, "round \(t)")
            let machines = t < 50 ? 4 : (t < 100 ? 5 : 4)
            #expect(method.counter(0) == Double(machines))
        }
        // Bytes: one per scalar, plus the newcomer's download of 5 parameters of 8 bytes.
        #expect(method.bytesSent == Double(50 * 12 + 50 * 15 + 50 * 12 + 40))
        #expect(quadratic(x.withUnsafeMutableBufferPointer { $0 }, 1) < 0.5 * start)
        #expect(throws: Error.self) { try oneByte(5, machines: 1, quantizer: .int8, leaves: [3], lr: 0.1) }
    }

    @Test("MeZO through a transform chain: [scale_by_learning_rate] equals in-place MeZO-SGD; scale_by_adam descends")
    func chains() throws {
        func chain(_ transforms: String) throws -> any Optimizer {
            guard case .success(let spec) = ChainSpec.resolve(.list([.string(transforms)])) else { throw ComponentError("chain") }
            let ctx = OptimizerContext(dimension: 5, layout: [ParamBlock(name: "x", offset: 0, rows: 5, cols: 1)],
                                       schedule: constantLR(0.05), seed: 0)
            return Chain(spec.build(ctx), schedule: ctx.schedule, layout: ctx.layout)
        }
        let plain = mezo(5, lr: 0.05), viaChain = mezo(5, lr: 0.05, chain: try chain("scale_by_learning_rate"))
        var xa = [1.0, 1, 1, 1, 1], xb = xa
        for t in 0..<100 {
            xa.withUnsafeMutableBufferPointer { plain.step($0, t: t, loss: quadratic) }
            xb.withUnsafeMutableBufferPointer { viaChain.step($0, t: t, loss: quadratic) }
        }
        #expect(relativeError(xa, xb) < 1e-12)
        #expect(plain.stateSize == 1 && viaChain.stateSize >= 5)
        let adam = mezo(5, lr: 0.05, chain: try chain("scale_by_adam"), directions: 4)
        var x = [1.0, 1, 1, 1, 1]
        for t in 0..<400 { x.withUnsafeMutableBufferPointer { adam.step($0, t: t, loss: quadratic) } }
        #expect(norm(quadraticGradient(x)) < 0.2 * norm(quadraticGradient([1, 1, 1, 1, 1])))
    }
}
