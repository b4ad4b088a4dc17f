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

/// Reference options we deliberately do not declare, with the value at which each is inert
/// (nil: inert at any value). A golden case that sets one to another value fails, naming it.
let unsupportedReferenceOptions: [String: [String: Bool?]] = [
    // Lamb: rectified LAMB and coupled decay (applied after the moments, so inert in the
    // reference) are not offered; max_grad_norm only acts with pre_norm, which is not offered.
    "Lamb": ["weight_decouple": true, "rectify": false, "max_grad_norm": nil],
    "DiffGrad": ["rectify": false, "ams_bound": false],
]

/// Where our default follows the paper's official code rather than the library the golden
/// files come from, the options that select the library's arithmetic (library -> class ->
/// option -> value). They are added to every case of that library and class.
let libraryConventions: [String: [String: [String: String]]] = [
    "pytorch_optimizer": ["AdaBelief": ["convention": "pytorch_optimizer"],
                          "DiffGrad": ["convention": "pytorch_optimizer"]],
]

/// Defaults that deliberately differ from the golden library's (official code: adabelief-pytorch
/// 0.2.0 rectifies; diffGrad_v2.py couples L2 decay); checked against numpy re-implementations
/// of the official code in OfficialReferenceTests.
let officialDefaults: [String: Set<String>] = ["AdaBelief": ["rectify"], "DiffGrad": ["weight_decouple"]]

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

/// True when two JSON scalars are the same value (booleans, numbers, null).
func sameJSON(_ a: Any, _ b: Bool?) -> Bool {
    guard let b else { return true }
    return (a as? Bool) == b
}

/// Every option of the case's resolved parameter group, in our names: implementation switches
/// dropped, unsupported options accepted only at their inert value, the library's convention
/// options added. Fails naming the option it cannot map.
func mappedHyperparameters(_ c: GoldenCase) throws -> [String: Any] {
    let resolved = try #require(c.json["resolved_param_group"] as? [String: Any], "\(c.file): no resolved_param_group")
    let unsupported = unsupportedReferenceOptions[c.className] ?? [:]
    var out: [String: Any] = [:]
    for (name, raw) in ourNames(resolved) where !implementationSwitches.contains(name) {
        if let inert = unsupported[name] {
            guard sameJSON(raw, inert) else {
                throw MappingError(description: "\(c.file): option '\(name)' = \(raw) is not supported")
            }
            continue
        }
        out[name] = raw
    }
    let library = (c.json["library"] as? String)?.split(separator: " ").first.map(String.init) ?? ""
    for (name, v) in libraryConventions[library]?[c.className] ?? [:] { out[name] = v }
    return out
}

/// Runs the golden gradient sequence through our preset; returns the max relative error.
func replay(_ c: GoldenCase) throws -> (error: Double, optimizer: any Optimizer, params: Params) {
    let optimizer = try presetOptimizer(c)
    let params = try resolve(try optimizerEntry(try #require(referenceOptimizerMap[c.className])).decl,
                             try mappedHyperparameters(c))
    let trajectory = try #require((c.json["trajectory"] as? [Any])?.compactMap(numbers))
    let gradients = try #require((c.json["gradients"] as? [Any])?.compactMap(numbers))
    #expect(trajectory.count == gradients.count + 1)
    var x = try #require(numbers(c.json["initial"]))
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

/// A fresh preset optimizer for the case, built from every mapped hyperparameter.
func presetOptimizer(_ c: GoldenCase) throws -> any Optimizer {
    let kind = try #require(referenceOptimizerMap[c.className], "no preset mapped for reference class \(c.className)")
    let entry = try optimizerEntry(kind)
    let params = try resolve(entry.decl, try mappedHyperparameters(c))
    let n = try #require(numbers(c.json["initial"])).count
    return try entry.makeOptimizer(params, OptimizerContext(dimension: n, layout: [ParamBlock(name: "p", offset: 0, rows: n, cols: 1)],
                                                   schedule: ConstantSchedule(base: params.double("lr")), seed: 0))
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
/// explicitly, must default to the reference's value (except the declared official defaults).
@Test func presetDefaultsFollowTheReference() throws {
    let cases = try goldenCases(kind: "optimizer")
    for c in cases {
        let kind = try #require(referenceOptimizerMap[c.className], "no preset mapped for \(c.className)")
        let decl = try optimizerEntry(kind).decl
        let resolved = ourNames(c.json["resolved_param_group"] as? [String: Any] ?? [:])
        let ours = try resolve(decl, [:])
        let skipped = implementationSwitches.union((unsupportedReferenceOptions[c.className] ?? [:]).keys)
            .union(officialDefaults[c.className] ?? [])
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
