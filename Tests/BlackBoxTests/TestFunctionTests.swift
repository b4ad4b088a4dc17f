import ExprunCore
import ExprunModels
import ExprunTestSupport
import Foundation
import Testing

/// Every test function of the catalogue: a model whose `dataset` parameter is absent and
/// whose objective knows its minimiser.
private let testFunctionKinds = [Rastrigin.kind, Ackley.kind, Rosenbrock.kind, Beale.kind, StyblinskiTang.kind,
                                 IllConditionedQuadratic.kind]

func testFunction(_ kind: String, _ given: [String: Any] = [:]) throws -> any Objective & KnownMinimizer {
    let params = try resolve(.model, kind, given)
    let entry = modelCatalogue.first { $0.decl.kind == kind }!
    return try entry.make(params, .none) as! any Objective & KnownMinimizer
}

private func randomPoint(_ d: Int, seed: UInt64, scale: Double = 2) -> [Double] {
    var rng = RNG(seed: seed, purpose: "test point")
    return (0..<d).map { _ in scale * (2 * rng.uniform() - 1) }
}

@Suite struct TestFunctionTests {
    @Test("hand-written gradients match central finite differences", arguments: testFunctionKinds)
    func gradients(kind: String) throws {
        for given in [[:], ["shift": [0.3], "rotate": true, "rotation_seed": 7] as [String: Any]] {
            let f = try testFunction(kind, kind == Beale.kind ? given : given.merging(["dim": 7]) { $1 })
            for seed in 0..<5 as Range<UInt64> {
                let x = randomPoint(f.dimension, seed: seed)
                let (_, g) = f.full(x)
                let fd = finiteDifferenceGradient(x, h: 1e-6) { f.loss($0) }
                #expect(relativeError(g, fd) < 1e-6, "\(kind) \(given) at \(x): \(g) vs \(fd)")
            }
        }
    }

    @Test("the known minimiser has the known value and a zero gradient; nearby points are higher",
          arguments: testFunctionKinds)
    func minimiser(kind: String) throws {
        for given in [[:], ["shift": [-0.7], "rotate": true, "rotation_seed": 3] as [String: Any]] {
            let f = try testFunction(kind, kind == Beale.kind ? given : given.merging(["dim": 6]) { $1 })
            let (value, g) = f.full(f.minimizerPoint)
            #expect(abs(value - f.minimumValue) <= 1e-12 * max(1, abs(f.minimumValue)))
            #expect(norm(g) < 1e-9, "\(kind): gradient \(g) at the minimiser")
            #expect(f.computeOptimalValue() == f.minimumValue)
            for seed in 0..<20 as Range<UInt64> {
                let step = randomPoint(f.dimension, seed: 100 + seed, scale: 1e-3)
                let y = zip(f.minimizerPoint, step).map { $0 + $1 }
                #expect(f.loss(y) > f.minimumValue)
            }
        }
    }

    @Test("the rotation is orthogonal (Rᵀ R = I) and shifts move the minimiser by o")
    func rotationAndShift() throws {
        let d = 9
        let r = haarOrthogonal(d, seed: 5)
        for i in 0..<d {
            for j in 0..<d {
                var s = 0.0
                for k in 0..<d { s += r[k * d + i] * r[k * d + j] }
                #expect(abs(s - (i == j ? 1 : 0)) < 1e-14)
            }
        }
        let f = try testFunction(Rastrigin.kind, ["dim": 3, "shift": [1.0, -2.0, 0.5]])
        #expect(f.minimizerPoint == [1.0, -2.0, 0.5])
        #expect(throws: Error.self) { try testFunction(Rastrigin.kind, ["dim": 3, "shift": [1.0, 2.0]]) }
        #expect(throws: Error.self) { try resolve(.model, Rosenbrock.kind, ["dim": 1]) }
    }

    /// Values at random points against formulas written independently in numpy (scipy's rosen
    /// for Rosenbrock) and Styblinski-Tang's minimiser against numpy's cubic roots.
    @Test("values match numpy / scipy.optimize.rosen; Styblinski-Tang's minimiser matches numpy.roots")
    func againstNumpy() throws {
        let d = 5
        var points: [[Double]] = []
        for seed in 0..<4 as Range<UInt64> { points.append(randomPoint(d, seed: 40 + seed, scale: 3)) }
        let literal = "[" + points.map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }.joined(separator: ",") + "]"
        let reference = try pythonNumbers("""
            import numpy as np
            from scipy.optimize import rosen
            X = np.array(\(literal))
            out = []
            for x in X:
                out.append(np.sum(x**2) + 2.5 * np.sum(1 - np.cos(2 * np.pi * x)))
                out.append(-20 * np.exp(-0.2 * np.sqrt(np.mean(x**2))) - np.exp(np.mean(np.cos(2 * np.pi * x))) + np.e + 20)
                out.append(rosen(x))
                out.append(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))
                h = 1e3 ** (np.arange(len(x)) / (len(x) - 1))
                out.append(0.5 * np.sum(h * x**2))
                a, b = x[0], x[1]
                out.append((1.5 - a + a*b)**2 + (2.25 - a + a*b**2)**2 + (2.625 - a + a*b**3)**2)
            roots = np.roots([4.0, 0.0, -32.0, 5.0])
            out.append(min(r.real for r in roots))
            print(*['%.17g' % v for v in out])
            """)
        let functions = try [testFunction(Rastrigin.kind, ["dim": d, "a": 2.5]), testFunction(Ackley.kind, ["dim": d]),
                             testFunction(Rosenbrock.kind, ["dim": d]), testFunction(StyblinskiTang.kind, ["dim": d]),
                             testFunction(IllConditionedQuadratic.kind, ["dim": d, "condition": 1e3]),
                             testFunction(Beale.kind)]
        var k = 0
        for x in points {
            for f in functions {
                let value = f.loss(Array(x.prefix(f.dimension)))
                #expect(relativeError(value, reference[k]) < 1e-13, "\(type(of: f)): \(value) vs \(reference[k])")
                k += 1
            }
        }
        #expect(abs(StyblinskiTang.coordinate - reference[k]) < 1e-13)
        #expect(abs(StyblinskiTang.coordinate - -2.903534) < 1e-6)
    }
}
