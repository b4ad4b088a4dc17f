import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

// The golden files come from pytorch_optimizer; where our default follows the paper's official
// code instead, these numpy re-implementations of the official update rules (written from the
// official sources' arithmetic, not from ours) are the independent reference.

private let layout = [ParamBlock(name: "p", offset: 0, rows: 6, cols: 1)]

/// Our preset over `steps` Gaussian gradients (scaled by `scale`), and numpy's trajectory.
private func compare(_ kind: String, _ given: [String: Any], numpy function: String, call: String,
                     steps: Int = 40, scale: Double = 1) throws -> Double {
    let grads = gradientSequence(steps: steps, dimension: 6, seed: 11).map { $0.map { $0 * scale } }
    let x0 = [0.5, -1.0, 2.0, 0.0, 0.25, -0.75]
    let ours = trajectory(try matrixOptimizer(kind, given, layout: layout), x0: x0, gradients: grads)
    let flat = grads.flatMap { $0 }.map { "\($0)" }.joined(separator: ",")
    let reference = try matrixPython("""
        \(function)
        G = np.array([\(flat)]).reshape(\(steps), 6)
        x = np.array([\(x0.map { "\($0)" }.joined(separator: ","))])
        out = []
        for X in \(call):
            out.extend(X)
        print(*out)
        """)
    #expect(reference.count == steps * 6)
    let scaleOfX = max(1, ours.flatMap { $0 }.map(abs).max() ?? 1)
    return maxAbsDiff(ours.flatMap { $0 }, reference) / scaleOfX
}

/// adabelief-pytorch 0.2.0 (pypi_packages/adabelief_pytorch0.2.0) and 0.0.5, one tensor.
private let adaBeliefNumpy = """
    def adabelief(x, G, lr, b1, b2, eps, wd, decouple, fixed, rectify, degen, ams, v005):
        m = np.zeros_like(x); s = np.zeros_like(x); smax = np.zeros_like(x); xs = []
        rinf = 2 / (1 - b2) - 1
        for t, g in enumerate(G, 1):
            g = g.copy()
            if decouple: x = x * (1 - (wd if fixed else lr * wd))
            elif wd != 0: g = g + wd * x
            bc1 = 1 - b1 ** t; bc2 = 1 - b2 ** t
            m = b1 * m + (1 - b1) * g
            s = b2 * s + (1 - b2) * (g - m) ** 2
            if ams and v005:
                smax = np.maximum(smax, s); smax = smax + eps; denom = np.sqrt(smax) / np.sqrt(bc2) + eps
            elif ams:
                s = s + eps; smax = np.maximum(smax, s); denom = np.sqrt(smax) / np.sqrt(bc2) + eps
            else:
                s = s + eps; denom = np.sqrt(s) / np.sqrt(bc2) + eps
            rho = rinf - 2 * t * b2 ** t / bc2
            if not rectify:
                x = x - lr / bc1 * m / denom
            elif v005:
                if rho > 4:
                    rt = np.sqrt((rho - 4) * (rho - 2) * rinf / (rinf - 4) / (rinf - 2) / rho)
                    x = x - rt * lr / bc1 * m / denom
                else:
                    x = x - lr * m
            elif rho >= 5:
                step = np.sqrt(bc2 * (rho - 4) / (rinf - 4) * (rho - 2) / rho * rinf / (rinf - 2)) / bc1
                x = x - step * lr * m / (np.sqrt(s) + eps)
            elif degen:
                x = x - lr / bc1 * m
            xs.append(x.copy())
        return xs
    """

@Test func adaBeliefDefaultsAreTheOfficialCode() throws {
    // Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-16, decoupled decay, rectify on (0.2.0).
    let call = "adabelief(x, G, 1e-3, 0.9, 0.999, 1e-16, 0.0, True, False, True, True, False, False)"
    #expect(try compare("adabelief", [:], numpy: adaBeliefNumpy, call: call) < 1e-13)
    // Rectified with ams_bound at beta2 = 0.9 (the rectified branch divides by s_t, not the max),
    // coupled decay, and rho below 5 for the first steps with degenerated_to_sgd off.
    let cases: [([String: Any], String)] = [
        (["lr": 0.01, "beta2": 0.9, "ams_bound": true],
         "adabelief(x, G, 0.01, 0.9, 0.9, 1e-16, 0.0, True, False, True, True, True, False)"),
        (["lr": 0.01, "weight_decay": 0.1, "weight_decouple": false, "degenerated_to_sgd": false],
         "adabelief(x, G, 0.01, 0.9, 0.999, 1e-16, 0.1, False, False, True, False, False, False)"),
        (["lr": 0.01, "weight_decay": 0.1, "fixed_decay": true, "rectify": false, "ams_bound": true],
         "adabelief(x, G, 0.01, 0.9, 0.999, 1e-16, 0.1, True, True, False, True, True, False)"),
    ]
    for (given, call) in cases {
        #expect(try compare("adabelief", given, numpy: adaBeliefNumpy, call: call) < 1e-13, "\(given)")
    }
}

@Test func adaBeliefVersion005Convention() throws {
    // adabelief-pytorch 0.0.5's own defaults: eps 1e-8, coupled decay, no rectification; its
    // AMS branch adds eps into the running max; its rectified branch uses rho_t > 4.
    let cases: [([String: Any], String)] = [
        (["convention": "v0.0.5", "eps": 1e-8, "weight_decouple": false, "rectify": false, "weight_decay": 0.05],
         "adabelief(x, G, 1e-3, 0.9, 0.999, 1e-8, 0.05, False, False, False, True, False, True)"),
        (["convention": "v0.0.5", "lr": 0.01, "beta2": 0.9, "ams_bound": true, "rectify": true],
         "adabelief(x, G, 0.01, 0.9, 0.9, 1e-16, 0.0, True, False, True, True, True, True)"),
        (["convention": "v0.0.5", "lr": 0.01, "ams_bound": true, "rectify": false],
         "adabelief(x, G, 0.01, 0.9, 0.999, 1e-16, 0.0, True, False, False, True, True, True)"),
    ]
    for (given, call) in cases {
        #expect(try compare("adabelief", given, numpy: adaBeliefNumpy, call: call) < 1e-13, "\(given)")
    }
    // The three conventions really differ where the issue says they do (rectify + ams_bound).
    let grads = gradientSequence(steps: 25, dimension: 6, seed: 11)
    func last(_ convention: String) throws -> [Double] {
        trajectory(try matrixOptimizer("adabelief", ["lr": 0.01, "beta2": 0.9, "ams_bound": true, "convention": convention],
                                       layout: layout), x0: [Double](repeating: 0, count: 6), gradients: grads).last!
    }
    #expect(maxAbsDiff(try last("official"), try last("pytorch_optimizer")) > 1e-5)
}

/// diffGrad_v2.py (shivram1987/diffGrad): coupled L2, sqrt(v) + eps; `inner` adds pytorch_optimizer's 1e-15.
private let diffGradNumpy = """
    def diffgrad(x, G, lr, b1, b2, eps, wd, inner):
        m = np.zeros_like(x); v = np.zeros_like(x); prev = np.zeros_like(x); xs = []
        for t, g in enumerate(G, 1):
            if wd != 0: g = g + wd * x
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            denom = np.sqrt(v + inner) + eps
            dfc = 1 / (1 + np.exp(-np.abs(prev - g)))
            prev = g.copy()
            x = x - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m * dfc / denom
            xs.append(x.copy())
        return xs
    """

@Test func diffGradDefaultsAreTheOfficialCode() throws {
    #expect(try compare("diffgrad", ["weight_decay": 0.1], numpy: diffGradNumpy,
                        call: "diffgrad(x, G, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.0)") < 1e-13)
    // Tiny gradients (|g| ~ 1e-7) are where the 1e-15 inside the root matters: both conventions
    // against numpy, and they differ by a large factor.
    #expect(try compare("diffgrad", ["lr": 0.01], numpy: diffGradNumpy,
                        call: "diffgrad(x, G, 0.01, 0.9, 0.999, 1e-8, 0.0, 0.0)", scale: 1e-7) < 1e-13)
    #expect(try compare("diffgrad", ["lr": 0.01, "convention": "pytorch_optimizer"], numpy: diffGradNumpy,
                        call: "diffgrad(x, G, 0.01, 0.9, 0.999, 1e-8, 0.0, 1e-15)", scale: 1e-7) < 1e-13)
    let g = [[Double]](repeating: [1e-7, -1e-7, 1e-7, 1e-7, 1e-7, 1e-7], count: 1)
    let zero = [Double](repeating: 0, count: 6)
    let official = trajectory(try matrixOptimizer("diffgrad", [:], layout: layout), x0: zero, gradients: g)[0][0]
    let kozistr = trajectory(try matrixOptimizer("diffgrad", ["convention": "pytorch_optimizer"], layout: layout),
                             x0: zero, gradients: g)[0][0]
    // sqrt(1e-17) + 1e-8 = 1.3e-8 vs sqrt(1e-17 + 1e-15) + 1e-8 = 4.2e-8: a 3.2x smaller step.
    #expect(abs(official / kozistr - ((1e-17 + 1e-15).squareRoot() + 1e-8) / (1e-17.squareRoot() + 1e-8)) < 1e-9)
}
