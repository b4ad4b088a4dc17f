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

/// A small network on `DenseRegressionData` whose loss, gradient and Hessian-vector products
/// are written once per model over rows (all training rows when nil): the Objective and
/// HessianObjective calls forward to them here, once for both networks.
protocol DenseRegressionNetwork: HessianObjective {
    var data: DenseRegressionData { get }
    /// Mean loss over the rows of a split plus the regulariser; its gradient into `gradient`.
    func evaluate(_ x: UnsafePointer<Double>, _ xs: [Double], _ ys: [Double], rows: UnsafeBufferPointer<Int>?,
                  gradient: UnsafeMutablePointer<Double>?) -> Double
    /// out = H(x) p for the mean training loss over the rows plus the regulariser.
    func hessianTimes(_ x: UnsafePointer<Double>, rows: UnsafeBufferPointer<Int>?, _ p: UnsafePointer<Double>,
                      _ out: UnsafeMutablePointer<Double>)
}

extension DenseRegressionNetwork {
    public var sampleCount: Int { data.n }
    public func batchLossAndGradient(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                     gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        evaluate(x.baseAddress!, data.trainX, data.trainY, rows: rows, gradient: gradient.baseAddress!)
    }
    public func fullLossAndGradient(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        evaluate(x.baseAddress!, data.trainX, data.trainY, rows: nil, gradient: gradient.baseAddress!)
    }
    public func fullLoss(_ x: UnsafeBufferPointer<Double>) -> Double {
        evaluate(x.baseAddress!, data.trainX, data.trainY, rows: nil, gradient: nil)
    }
    public func batchHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                          vector v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        hessianTimes(x.baseAddress!, rows: rows, v.baseAddress!, out.baseAddress!)
    }
    public func fullHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, vector v: UnsafeBufferPointer<Double>,
                                         into out: UnsafeMutableBufferPointer<Double>) {
        hessianTimes(x.baseAddress!, rows: nil, v.baseAddress!, out.baseAddress!)
    }
    /// Non-convex: f* is not computed.
    public func computeOptimalValue() -> Double? { nil }
}
