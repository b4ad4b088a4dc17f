import ExprunTestSupport
import ExprunCore
@testable import ExprunOptim
import Foundation
import Testing

/// Reference class -> our preset kind. Hyperparameter names are ours too, except `betas`,
/// which splits into beta1/beta2. A golden class missing here fails the test.
let referenceOptimizerMap: [String: String] = [
    "SGD": "sgd", "Adam": "adam", "AdamW": "adamw", "Adagrad": "adagrad", "RMSprop": "rmsprop",
    "Adamax": "adamax", "NAdam": "nadam", "RAdam": "radam", "Adadelta": "adadelta",
    "AdaBelief": "adabelief", "DiffGrad": "diffgrad", "Lion": "lion", "SignSGD": "signsgd", "Lamb": "lamb",
    "AdaBound": "adabound", "Yogi": "yogi",
]

/// Reference options we deliberately do not declare (none is used by a golden case; a golden
/// case that sets one fails `resolve`). Anything else the reference resolves must be declared.
let unsupportedReferenceOptions: [String: Set<String>] = [
    // Lamb: rectified LAMB and coupled decay (applied after the moments, so inert in the
    // reference) are not offered; max_grad_norm only acts with pre_norm, which is not offered.
    "Lamb": ["weight_decouple", "rectify", "max_grad_norm"],
    "DiffGrad": ["rectify", "ams_bound"],
    "AdaBound": ["ams_bound"],
]

/// Options of the reference classes that do not change the arithmetic of a single-tensor
/// float64 CPU step (implementation switches), so we do not declare them.
let implementationSwitches: Set<String> = ["foreach", "capturable", "differentiable", "fused"]

func optimizerEntry(_ kind: String) throws -> OptimizerEntry {
    try #require(optimizerCatalogue.first { $0.decl.kind == kind }, "no optimizer kind \(kind)")
}

/// Reference kwargs -> our parameter names (betas split).
func ourNames(_ kwargs: [String: Any]) -> [String: Any] {
    var out: [String: Any] = [:]
    for (key, raw) in kwargs {
        if key == "betas", let b = numbers(raw), b.count == 2 {
            out["beta1"] = b[0]; out["beta2"] = b[1]
        } else {
            out[key] = raw
        }
    }
    return out
}

/// Runs the golden gradient sequence through our preset; returns the max relative error.
func replay(_ c: GoldenCase) throws -> (error: Double, optimizer: any Optimizer, params: Params) {
    let kind = try #require(referenceOptimizerMap[c.className], "no preset mapped for reference class \(c.className)")
    let entry = try optimizerEntry(kind)
    let params = try resolve(entry.decl, ourNames(c.json["hyperparameters"] as? [String: Any] ?? [:]))
    let initial = try #require(numbers(c.json["initial"]))
    let gradients = try #require((c.json["gradients"] as? [Any])?.compactMap(numbers))
    let trajectory = try #require((c.json["trajectory"] as? [Any])?.compactMap(numbers))
    #expect(trajectory.count == gradients.count + 1)
    let n = initial.count
    let layout = [ParamBlock(name: "p", offset: 0, rows: n, cols: 1)]
    let optimizer = try entry.make(params, OptimizerContext(dimension: n, layout: layout,
                                                            schedule: ConstantSchedule(base: params.double("lr")),
                                                            seed: 0))
    var x = initial
    var worst = relativeError(x, trajectory[0])
    for t in 0..<gradients.count {
        var g = gradients[t]
        x.withUnsafeMutableBufferPointer { xb in
            g.withUnsafeMutableBufferPointer { gb in optimizer.step(xb, gradient: gb, t: t) }
        }
        worst = max(worst, relativeError(x, trajectory[t + 1]))
    }
    return (worst, optimizer, params)
}

@Test func everyGoldenOptimizerMatchesItsReference() throws {
    let cases = try goldenCases(kind: "optimizer")
    #expect(cases.count >= 30)
    for c in cases {
        let (err, _, _) = try replay(c)
        #expect(err <= 1e-10, "\(c.file): max relative error \(err)")
    }
}

/// Our defaults are the reference class's: every resolved option we declare, when not given
/// explicitly, must default to the reference's value.
@Test func presetDefaultsFollowTheReference() throws {
    let cases = try goldenCases(kind: "optimizer")
    for c in cases {
        let kind = try #require(referenceOptimizerMap[c.className], "no preset mapped for \(c.className)")
        let decl = try optimizerEntry(kind).decl
        let resolved = ourNames(c.json["resolved_param_group"] as? [String: Any] ?? [:])
        let ours = try resolve(decl, [:])
        let skipped = implementationSwitches.union(unsupportedReferenceOptions[c.className] ?? [])
        for (name, raw) in resolved where !skipped.contains(name) {
            guard let param = decl.param(name) else {
                Issue.record("\(kind) does not declare reference option '\(name)' (\(c.file))")
                continue
            }
            let want = value(raw, as: param.type)
            let given = (c.json["hyperparameters"] as? [String: Any]).map(ourNames)?[name] != nil
            if !given { #expect(ours[name] == want, "\(kind).\(name): default \(String(describing: ours[name])) vs \(want)") }
        }
    }
}
