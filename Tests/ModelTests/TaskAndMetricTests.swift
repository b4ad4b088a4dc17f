import ExprunTestSupport
import ExprunCore
import ExprunModels
import Foundation
import Testing

/// Hand-made separable sets: binary by the sign of the first feature, three classes by which
/// of three directions a point is closest to.
func separableBinary(sparse: Bool) -> Dataset {
    let rows: [[Double]] = [[2, 1, 0], [1, -1, 0.5], [3, 0, -1], [0.5, 2, 0],
                            [-2, 1, 0], [-1, -1, 0.5], [-3, 0, 1], [-0.5, -2, 0]]
    let y: [Double] = [1, 1, 1, 1, -1, -1, -1, -1]
    let test: [[Double]] = [[4, 0, 0], [-4, 1, 1]]
    return Dataset(train: DataSplit(features: TestData.features(rows, cols: 3, sparse: sparse), targets: y),
                   test: DataSplit(features: TestData.features(test, cols: 3, sparse: sparse), targets: [1, -1]),
                   task: .binary)
}

func separableThreeClasses(sparse: Bool) -> Dataset {
    let rows: [[Double]] = [[3, 0.2], [2, -0.3], [-0.2, 3], [0.3, 2], [-3, -3], [-2, -2.5]]
    let y: [Double] = [0, 0, 1, 1, 2, 2]
    return Dataset(train: DataSplit(features: TestData.features(rows, cols: 2, sparse: sparse), targets: y),
                   test: DataSplit(features: TestData.features([[5, 0], [0, 5], [-5, -5]], cols: 2, sparse: sparse),
                                   targets: [0, 1, 2]),
                   task: .multiclass(classes: 3))
}

@Test("accuracy is 1 on a separable set for a separating point, 0 for its negation and at zero",
      arguments: ["least_squares", "logistic", "hinge"], [false, true])
func binaryAccuracy(kind: String, sparse: Bool) throws {
    let model = try makeModel(kind, separableBinary(sparse: sparse), l2: 0)
    #expect(model.accuracy([1, 0, 0]) == 1)
    #expect(model.test([1, 0, 0])?.accuracy == 1)
    #expect(model.accuracy([-1, 0, 0]) == 0)
    // A zero margin counts as a miss.
    #expect(model.accuracy([0, 0, 0]) == 0)
}

@Test("softmax accuracy by argmax on a separable three-class set", arguments: [false, true])
func softmaxAccuracy(sparse: Bool) throws {
    let model = try makeModel("softmax", separableThreeClasses(sparse: sparse), l2: 0)
    // W columns: class 0 favours +e1, class 1 +e2, class 2 -(e1 + e2).
    let w: [Double] = [1, 0, -1,
                       0, 1, -1]
    #expect(model.accuracy(w) == 1)
    #expect(model.test(w)?.accuracy == 1)
    #expect(model.accuracy(w.map { -$0 }) == 0)
    // Ties go to class 0 (numpy's argmax): two of six rows are class 0.
    #expect(abs(model.accuracy([Double](repeating: 0, count: 6))! - 2.0 / 6) < 1e-15)
    // At W = 0 every class is equally likely: the loss is log 3 on both splits.
    #expect(abs(model.loss([Double](repeating: 0, count: 6)) - log(3.0)) < 1e-15)
    #expect(abs(model.test([Double](repeating: 0, count: 6))!.loss - log(3.0)) < 1e-15)
}

@Test("training a classifier on separable data reaches accuracy 1", arguments: ["logistic", "softmax", "hinge"])
func trainingSeparatesSeparableData(kind: String) throws {
    let data = kind == "softmax" ? separableThreeClasses(sparse: true) : separableBinary(sparse: true)
    let model = try makeModel(kind, data, l2: 1e-3)
    var x = [Double](repeating: 0, count: model.dimension)
    #expect(model.accuracy(x)! < 1)
    for _ in 0..<500 {
        let (_, g) = model.full(x)
        for j in x.indices { x[j] -= 0.2 * g[j] }
    }
    #expect(model.accuracy(x) == 1)
    #expect(model.test(x)?.accuracy == 1)
}

@Test("regression reports no accuracy; missing test split gives no test metrics")
func regressionMetrics() throws {
    var data = TestData.dataset(task: .regression, sparse: false)
    let model = try makeModel("least_squares", data, l2: 0)
    #expect(model.accuracy([1, 2, 3, 4, 5]) == nil)
    #expect(model.test([1, 2, 3, 4, 5])?.accuracy == nil)
    #expect(model.test([1, 2, 3, 4, 5]) != nil)
    data.test = nil
    #expect(try makeModel("least_squares", data, l2: 0).test([1, 2, 3, 4, 5]) == nil)
}

@Test("a model throws when the task does not fit")
func taskMismatchThrows() throws {
    let regression = TestData.dataset(task: .regression, sparse: false)
    let binary = TestData.dataset(task: .binary, sparse: false)
    let multiclass = TestData.dataset(task: .multiclass(classes: 3), sparse: true)
    #expect(throws: ComponentError.self) { try makeModel("logistic", regression, l2: 0) }
    #expect(throws: ComponentError.self) { try makeModel("logistic", multiclass, l2: 0) }
    #expect(throws: ComponentError.self) { try makeModel("hinge", regression, l2: 0) }
    #expect(throws: ComponentError.self) { try makeModel("hinge", multiclass, l2: 0) }
    #expect(throws: ComponentError.self) { try makeModel("softmax", regression, l2: 0) }
    #expect(throws: ComponentError.self) { try makeModel("least_squares", multiclass, l2: 0) }
    // The fitting combinations build.
    _ = try makeModel("softmax", binary, l2: 0)
    _ = try makeModel("least_squares", binary, l2: 0)
    // Labels that contradict the declared task.
    var badBinary = binary
    badBinary.train.targets[3] = 0
    #expect(throws: ComponentError.self) { try makeModel("logistic", badBinary, l2: 0) }
    var badClasses = multiclass
    badClasses.test!.targets[0] = 3
    #expect(throws: ComponentError.self) { try makeModel("softmax", badClasses, l2: 0) }
    do {
        _ = try makeModel("logistic", regression, l2: 0)
    } catch let e as ComponentError {
        #expect(e.description.contains("logistic") && e.description.contains("-1/+1"))
    }
}

@Test("declarations, layouts and cache keys")
func declarationsAndKeys() throws {
    // Kinds, families and docs are the catalogue contract's (Tests/ContractTests).
    // The ridge penalty, where a model has one (the E1/E3 models have none), defaults to 0.
    for entry in modelCatalogue where buildsFromDefaults(entry.decl) {
        guard entry.decl.param("dataset") != nil else {
            // A data-free model, built without data, is a sum of one term; a test function knows
            // its minimiser, a master input reports its fooling scores instead.
            let model = try entry.make(resolve(entry.decl), .none)
            #expect(model.sampleCount == 1)
            #expect(model is any KnownMinimizer || model is any PointDiagnostics, "\(entry.decl.kind)")
            continue
        }
        #expect(entry.decl.param("dataset")?.type == .reference(.dataset))
        guard let l2 = entry.decl.param("l2") else { continue }
        #expect(l2.defaultValue == .double(0))
        #expect(l2.range.contains(-1e-9) == false)
    }
    #expect(modelCatalogue.filter { $0.decl.param("l2") != nil }.count >= 5)
    let data = TestData.dataset(task: .binary, sparse: false)
    let a = try makeModel("logistic", data, l2: 0.5)
    #expect(a.cacheKey == "logistic(l2=0.5)")
    #expect(a.layout == [ParamBlock(name: "w", offset: 0, rows: 5, cols: 1)])
    #expect(a.sampleCount == 40 && a.dimension == 5)
    // The key ignores the data set's name (the runner adds the data key) and follows params.
    let renamed = try LogisticObjective.entry.make(Params(kind: "logistic", values: ["dataset": .string("other"), "l2": .double(0.5)]), data)
    #expect(renamed.cacheKey == a.cacheKey)
    #expect(try makeModel("logistic", data, l2: 0.25).cacheKey != a.cacheKey)
    #expect(try makeModel("hinge", data, l2: 0.5).cacheKey == "hinge(l2=0.5,sdca_max_epochs=5000)")
    var x = [Double](repeating: 7, count: 5)
    x.withUnsafeMutableBufferPointer { a.initialPoint($0) }
    #expect(x == [0, 0, 0, 0, 0])
}
