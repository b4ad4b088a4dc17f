/// Row-major dense matrix of Float64.
public struct DenseMatrix: Sendable {
    public var rows: Int
    public var cols: Int
    public var values: [Double]   // rows * cols, row-major
    public init(rows: Int, cols: Int, values: [Double]) {
        precondition(values.count == rows * cols)
        self.rows = rows; self.cols = cols; self.values = values
    }
    public init(rows: Int, cols: Int) { self.init(rows: rows, cols: cols, values: [Double](repeating: 0, count: rows * cols)) }
    public subscript(i: Int, j: Int) -> Double {
        get { values[i * cols + j] }
        set { values[i * cols + j] = newValue }
    }
}

/// Compressed sparse rows: the LIBSVM loader keeps data in this form, never densified.
public struct CSRMatrix: Sendable {
    public var rows: Int
    public var cols: Int
    public var rowStart: [Int]     // rows + 1 offsets into columns/values
    public var columns: [Int32]
    public var values: [Double]
    public init(rows: Int, cols: Int, rowStart: [Int], columns: [Int32], values: [Double]) {
        precondition(rowStart.count == rows + 1 && columns.count == values.count)
        self.rows = rows; self.cols = cols; self.rowStart = rowStart; self.columns = columns; self.values = values
    }
    public var nonZeros: Int { values.count }
}

/// Features of a data set: dense or sparse. Models switch on this once, when they are built,
/// and then run loops specialised for one storage.
public enum FeatureMatrix: Sendable {
    case dense(DenseMatrix)
    case sparse(CSRMatrix)
    public var rows: Int { switch self { case .dense(let m): return m.rows; case .sparse(let m): return m.rows } }
    public var cols: Int { switch self { case .dense(let m): return m.cols; case .sparse(let m): return m.cols } }
}

/// What the targets mean.
public enum Task: Sendable, Equatable {
    /// Real-valued targets.
    case regression
    /// Labels are -1 or +1.
    case binary
    /// Labels are 0, 1, ..., classes-1 (stored as Double).
    case multiclass(classes: Int)
}

/// Examples (features and targets) of one split.
public struct DataSplit: Sendable {
    public var features: FeatureMatrix
    public var targets: [Double]
    public init(features: FeatureMatrix, targets: [Double]) {
        precondition(features.rows == targets.count)
        self.features = features; self.targets = targets
    }
    public var count: Int { targets.count }
    public var dimension: Int { features.cols }
}

/// A loaded or generated data set: a training split, an optional test split, and what is
/// known about it in closed form (e.g. the generating weights of a synthetic problem).
public struct Dataset: Sendable {
    public var train: DataSplit
    public var test: DataSplit?
    public var task: Task
    /// Weights that generated the data, when synthetic (nil otherwise).
    public var trueWeights: [Double]?
    /// Free-form facts worth storing with a run (noise level, realised condition number...).
    public var info: [String: Value]

    public init(train: DataSplit, test: DataSplit? = nil, task: Task, trueWeights: [Double]? = nil,
                info: [String: Value] = [:]) {
        self.train = train; self.test = test; self.task = task; self.trueWeights = trueWeights; self.info = info
    }
    public var dimension: Int { train.dimension }
}

public extension Dataset {
    /// The attributes every run over a data set stores: n_train (the examples its objective
    /// sums over), dim (the model's dimension) and the data set's facts as `dataset_info.<key>`.
    func runAttributes(examples: Int, dimension: Int) -> [(String, Value)] {
        [("n_train", .int(examples)), ("dim", .int(dimension))]
            + info.keys.sorted().map { ("dataset_info.\($0)", info[$0]!) }
    }
}
