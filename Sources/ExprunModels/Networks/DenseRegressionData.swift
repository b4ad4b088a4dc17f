import ExprunCore

/// The dense regression data of the small networks of the stability experiment (diagonal
/// linear network, two-layer ReLU network): training and test rows with real targets, and
/// the squared loss (1/2)(f - y)^2 they share.
struct DenseRegressionData {
    let trainX: [Double]
    let trainY: [Double]
    let testX: [Double]
    let testY: [Double]
    let dimension: Int
    var n: Int { trainY.count }
    var testCount: Int { testY.count }

    init(_ dataset: Dataset, kind: String) throws {
        guard case .dense(let train) = dataset.train.features else {
            throw ComponentError("\(kind): needs dense features (the data set is sparse)")
        }
        try ModelSupport.requireFinite(dataset.train, kind: kind, name: "training")
        if case .multiclass(let k) = dataset.task {
            throw ComponentError("\(kind): the data set is multiclass (\(k) classes); this network fits real targets "
                                 + "or -1/+1 labels with the squared loss")
        }
        trainX = train.values; trainY = dataset.train.targets; dimension = train.cols
        if let test = dataset.test {
            guard case .dense(let t) = test.features, t.cols == train.cols else {
                throw ComponentError("\(kind): the test split must be dense with the training split's \(train.cols) features")
            }
            try ModelSupport.requireFinite(test, kind: kind, name: "test")
            testX = t.values; testY = test.targets
        } else {
            testX = []; testY = []
        }
    }
}
