import ExprunTestSupport
import ExprunCore
import ExprunCatalogue
import ExprunOptim
import ExprunOnline
import ExprunSpec
import Foundation
import Testing

// The contract every declared component meets, checked over the whole catalogue: nothing
// here names a kind, so a new component is covered the moment it is registered.

/// A value inside the declared range for a required parameter (the contract needs one to
/// build the component; the choice is arbitrary but always valid): nil for file paths.
func sample(_ p: ParamDecl, name: [Family: String]) -> Any? {
    func number() -> Double { [0.5, 1, 2, 10].first(where: p.range.contains) ?? (p.range.min ?? 0) + 1 }
    func integer() -> Int { [1, 2, 10].first { p.range.contains(Double($0)) } ?? Int((p.range.min ?? 0) + 1) }
    switch p.type {
    case .double: return number()
    case .int: return integer()
    case .bool: return false
    case .choice(let options): return options[0]
    case .string: return "x"
    case .reference(let f): return name[f]
    case .referenceList(let f): return name[f].map { [$0, $0] }
    case .doubleList: return [number()]
    case .intList: return [integer()]
    case .stringList: return ["x"]
    case .componentList(let f):
        return Catalogue.decls(f).first { d in !d.params.contains(where: \.required) }.map { [$0.kind] }
    case .path, .selection, .mapping: return nil
    case .intOr: return integer()
    case .choiceList(let options): return [options[0]]
    }
}

/// Params of a component with its defaults and sampled required values, through the Spec's
/// validator; nil when it needs a file.
func defaultParams(_ decl: ComponentDecl, name: [Family: String] = [:]) throws -> Params? {
    var given: [String: Any] = [:]
    for p in decl.params where p.required {
        guard let v = sample(p, name: name) else { return nil }
        given[p.name] = v
    }
    return try resolve(decl, given)
}

/// `defaultParams`, except that a component with a `selection` parameter names the selection
/// `upstream` (outside a config no selection is defined, so the validator would refuse the
/// name: its declared defaults and sampled required values are filled in directly).
func paramsNaming(upstream: String, _ decl: ComponentDecl, name: [Family: String]) throws -> Params? {
    guard decl.params.contains(where: { $0.type == .selection }) else { return try defaultParams(decl, name: name) }
    var values: [String: Value] = [:]
    for p in decl.params {
        if p.type == .selection {
            values[p.name] = .string(upstream)
        } else if p.required {
            guard let x = sample(p, name: name), let v = value(x, as: p.type) else { return nil }
            values[p.name] = v
        } else if let d = p.defaultValue {
            values[p.name] = d
        }
    }
    return Params(kind: decl.kind, values: values)
}

let allFamilies = Family.allCases

@Test("kinds are unique within each family and across families (`exprun list <kind>` is unambiguous)")
func kindsAreUnique() {
    var seen: [String: Family] = [:]
    for family in allFamilies {
        let kinds = Catalogue.decls(family).map(\.kind)
        #expect(!kinds.isEmpty, "\(family) has no component")
        for k in kinds {
            #expect(seen[k] == nil, "\(k) is declared in \(seen[k]?.rawValue ?? "") and \(family.rawValue)")
            seen[k] = family
            #expect(InlineComponentSyntax.isName(k), "\(k) is not a plain name")
        }
        for d in Catalogue.decls(family) {
            #expect(d.family == family, "\(d.kind) is listed as a \(family.rawValue) but declared as a \(d.family.rawValue)")
            let names = d.params.map(\.name)
            #expect(Set(names).count == names.count, "\(d.kind) declares a parameter twice")
        }
    }
    // A metric name is unique within its problem kind (online and stochastic may share one).
    let metrics = Catalogue.metrics.map { "\($0.problem)/\($0.metric.name)" }
    #expect(Set(metrics).count == metrics.count)
}

@Test("every default lies in its declared range and every parameter is either required or defaulted or optional")
func defaultsAreInRange() {
    for family in allFamilies {
        for d in Catalogue.decls(family) {
            for p in d.params {
                let what = "\(family.rawValue) \(d.kind).\(p.name)"
                if p.required { #expect(p.defaultValue == nil, "\(what) is required but has a default") }
                guard let v = p.defaultValue else { continue }
                switch p.type {
                case .double, .int:
                    #expect(v.asDouble.map(p.range.contains) == true, "\(what) default \(v) outside \(p.range.text)")
                    if p.type == .int { #expect(v.asInt != nil, "\(what) default \(v) is not an integer") }
                case .doubleList, .intList:
                    #expect(v.asList?.allSatisfy { $0.asDouble.map(p.range.contains) == true } == true,
                            "\(what) default \(v) outside \(p.range.text)")
                case .choice(let options):
                    #expect(v.asString.map(options.contains) == true, "\(what) default \(v) is not one of \(options)")
                case .bool: #expect(v.asBool != nil, "\(what) default \(v) is not a boolean")
                default: #expect(p.range == .any || v.asDouble.map(p.range.contains) == true, "\(what)")
                }
            }
        }
    }
}

@Test("every component, parameter and metric has a doc")
func everythingIsDocumented() {
    for family in allFamilies {
        for d in Catalogue.decls(family) {
            #expect(!d.doc.trimmingCharacters(in: .whitespaces).isEmpty, "\(family.rawValue) \(d.kind) has no doc")
            for p in d.params { #expect(!p.doc.trimmingCharacters(in: .whitespaces).isEmpty, "\(d.kind).\(p.name) has no doc") }
        }
    }
    for (_, m) in Catalogue.metrics { #expect(!m.doc.isEmpty, "metric \(m.name) has no doc") }
}

/// Deterministic gradients for the optimizer contract.
func gradients(_ n: Int, steps: Int) -> [[Double]] {
    var rng = RNG(seed: 11, purpose: "contract")
    return (0..<steps).map { _ in (0..<n).map { _ in rng.normal() } }
}

/// A 4 x 3 matrix block and a 3-vector: matrix methods see a matrix, per-block ones two blocks.
let contractLayout = [ParamBlock(name: "w", offset: 0, rows: 4, cols: 3), ParamBlock(name: "b", offset: 12, rows: 3, cols: 1)]
let contractDimension = 15

/// Steps `optimizer` on fixed gradients; checks the iterate stays finite and the state size
/// it reports does not change once it runs.
func expectStableSteps(_ optimizer: any Optimizer, _ what: String) {
    let before = optimizer.stateSize
    #expect(before >= 0, "\(what) reports a negative state size")
    var x = (0..<contractDimension).map { 0.1 * Double($0 % 5) - 0.2 }
    for (t, g0) in gradients(contractDimension, steps: 6).enumerated() {
        var g = g0
        x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { optimizer.step(xb, gradient: $0, t: t) } }
        #expect(optimizer.stateSize == before, "\(what): state size \(before) became \(optimizer.stateSize) at step \(t)")
    }
    #expect(x.allSatisfy { $0.isFinite }, "\(what) produced a non-finite iterate")
    #expect(optimizer.currentLR.isFinite)
}

func optimizerContext() -> OptimizerContext {
    OptimizerContext(dimension: contractDimension, layout: contractLayout, schedule: ConstantSchedule(base: 0.01), seed: 3)
}

@Test("every optimizer builds with its defaults and keeps a stable state size")
func everyOptimizerBuilds() throws {
    for entry in Catalogue.optimizers {
        let params = try #require(try defaultParams(entry.decl, name: [.schedule: "s"]), "\(entry.decl.kind)")
        // The schedule reference is optional: left out, the optimizer uses a constant lr.
        let method = try entry.make(params, optimizerContext())
        // A method that takes the gradient steps on gradients here; one that calls another
        // oracle (sso: the model's target space) declares it, and is stepped in its own tests.
        guard let optimizer = method as? any Optimizer else {
            #expect(!entry.decl.needs(params).contains(.gradient), "\(entry.decl.kind) needs the gradient but has no gradient step")
            #expect(method.stateSize >= 0)
            continue
        }
        #expect(entry.decl.needs(params).contains(.gradient), "\(entry.decl.kind) takes the gradient but does not declare it")
        expectStableSteps(optimizer, "optimizer \(entry.decl.kind)")
        if let chain = optimizer as? Chain {
            #expect(chain.stateSize == chain.transforms.reduce(0) { $0 + $1.stateSize })
        }
    }
}

@Test("every transform builds with its defaults in a chain; the chain's state is the sum of its transforms'")
func everyTransformBuilds() throws {
    let chain = try #require(Catalogue.optimizer("chain"))
    for entry in Catalogue.transforms {
        var transform: [String: Any] = [:]
        for p in entry.decl.params where p.required { transform[p.name] = try #require(sample(p, name: [:]) ) }
        // An increment-stage transform (decoupled decay) needs an update before it.
        let list: [Any] = entry.stage == .increment ? ["scale_by_sign", [entry.decl.kind: transform]] : [[entry.decl.kind: transform]]
        let params = try resolve(chain.decl, ["transforms": list, "lr": 0.1])
        let spec = try ChainSpec.resolve(try #require(params["transforms"])).get()
        #expect(spec.stages.contains { $0.kind == entry.decl.kind })
        #expect(spec.stages.filter { $0.entry.stage == .learningRate }.count == 1)
        let built = try #require(try chain.make(params, optimizerContext()) as? Chain)
        #expect(built.transforms.count == spec.stages.count)
        #expect(built.stateSize == built.transforms.reduce(0) { $0 + $1.stateSize })
        expectStableSteps(built, "transform \(entry.decl.kind)")
    }
}

@Test("every schedule builds with its defaults and gives finite, non-negative learning rates")
func everyScheduleBuilds() throws {
    let constant = try #require(Catalogue.schedules.first { !$0.decl.params.contains(where: \.required) && !$0.decl.params.contains { p in if case .referenceList = p.type { return true }; return false } })
    let part = try #require(try defaultParams(constant.decl))
    // A schedule that reads upstream runs (a `selection` parameter) gets one upstream run that
    // recorded every metric of the catalogue, positive and varying, at each of its 40 steps.
    let steps = Array(0...40)
    let metricNames = Set(Catalogue.metrics.map(\.1.name)).sorted()
    let upstream = RunRecord(runId: "up", status: .completed, wallSeconds: 0, attributes: [], steps: steps,
                             metrics: metricNames.map { Series(name: $0, values: steps.map { 1 + 1 / Double($0 + 1) }) }, views: [])
    for entry in Catalogue.schedules {
        let params = try #require(try paramsNaming(upstream: "upstream", entry.decl, name: [.schedule: "part"]), "\(entry.decl.kind)")
        let schedule = try entry.make(params, ScheduleContext(baseLR: 0.1, totalSteps: 50, named: ["part": part],
                                                              upstream: ["upstream": [upstream]], batchSize: 8))
        for t in 0..<60 {
            let lr = schedule.lr(at: t)
            #expect(lr.isFinite && lr >= 0, "schedule \(entry.decl.kind): lr(\(t)) = \(lr)")
        }
    }
}

/// A small binary data set from the first dataset kind that needs no file.
func smallDataset() throws -> (name: String, data: Dataset) {
    let ctx = DatasetContext(seed: 0, baseDirectory: "", dataDirectory: "")
    for entry in Catalogue.datasets {
        guard let p = try defaultParams(entry.decl), entry.inputFiles(p, ctx).isEmpty,
              entry.decl.param("n") != nil else { continue }
        let small = try resolve(entry.decl, ["n": 60].merging(p.values.filter { $0.key != "n" }.mapValues { $0 as Any }) { a, _ in a })
        if let data = try? entry.make(small, ctx), data.task == .binary { return (entry.decl.kind, data) }
    }
    throw ComponentError("no file-free binary dataset kind")
}

@Test("every dataset that needs no file builds with its defaults; every model builds on a small one")
func everyDatasetAndModelBuilds() throws {
    let dataDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../data").standardized.path
    let ctx = DatasetContext(seed: 0, baseDirectory: "", dataDirectory: dataDir)
    for entry in Catalogue.datasets {
        guard let p = try defaultParams(entry.decl) else { continue }   // a file path: covered by the data tests
        if entry.inputFiles(p, ctx).contains(where: { !FileManager.default.fileExists(atPath: $0.path) }) { continue }
        let data = try entry.make(p, ctx)
        #expect(data.train.targets.count > 0, "dataset \(entry.decl.kind) is empty")
        #expect(data.train.targets.allSatisfy { $0.isFinite })
    }
    let (name, data) = try smallDataset()
    for entry in Catalogue.models where buildsFromDefaults(entry.decl) {
        let params = try #require(try defaultParams(entry.decl, name: [.dataset: name]))
        let model = try entry.make(params, data)
        var x = [Double](repeating: 0, count: model.dimension)
        x.withUnsafeMutableBufferPointer { model.initialPoint($0) }
        let (f, g) = model.full(x)
        #expect(f.isFinite && g.allSatisfy { $0.isFinite }, "model \(entry.decl.kind) at its initial point")
        #expect(model.layout.reduce(0) { $0 + $1.rows * $1.cols } == model.dimension, "model \(entry.decl.kind) layout")
    }
}

@Test("every environment builds with its defaults; every learner builds and plays against one it accepts")
func everyOnlineComponentBuilds() throws {
    let (name, data) = try smallDataset()
    // Each environment with its defaults, and with each option of each of its choices (the
    // decision set, the loss, ...), so every learner meets a game it is made for.
    var environments: [(Params, any OnlineEnvironment)] = []
    for entry in Catalogue.environments {
        let params = try #require(try defaultParams(entry.decl, name: [.dataset: name]))
        environments.append((params, try entry.make(params, EnvironmentBuild(seed: 0, horizon: 20, dataset: data))))
        for p in entry.decl.params {
            guard case .choice(let options) = p.type else { continue }
            for option in options where params[p.name] != .string(option) {
                var values = params.values
                values[p.name] = .string(option)
                let variant = try resolve(entry.decl, values.mapValues { $0 as Any })
                environments.append((variant, try entry.make(variant, EnvironmentBuild(seed: 0, horizon: 20, dataset: data))))
            }
        }
    }
    for entry in Catalogue.learners {
        let params = try #require(try defaultParams(entry.decl))
        var played = false
        for (_, env) in environments {
            guard let learner = try? entry.make(params, LearnerContext(domain: env.domain, constants: env.constants, horizon: 20)) else { continue }
            let d = env.domain.dimension
            let g = UnsafeMutablePointer<Double>.allocate(capacity: d)
            defer { g.deallocate() }
            for t in 1...20 {
                let x = learner.play(round: t)
                let loss = env.reveal(round: t, at: x, gradient: g)
                #expect(loss.isFinite, "learner \(entry.decl.kind) round \(t)")
                learner.update(round: t, gradient: g)
            }
            played = true
        }
        #expect(played, "learner \(entry.decl.kind) builds against no environment with its defaults")
    }
}
