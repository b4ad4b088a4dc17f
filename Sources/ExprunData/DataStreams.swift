import ExprunCore

/// Seeds and stream names for generated data and splits.
enum DataStreams {
    /// Parameters that only split, scale or extend a data set once drawn; they stay out of
    /// the stream name, so e.g. two test fractions split the very same sample.
    static let presentationParams: Set<String> = ["seed", "split_seed", "test_fraction", "standardize", "bias"]

    /// "data:<kind>:<key=value,...>" over the parameters that shape the draws, sorted by
    /// key: data sets with different parameters never share a stream.
    static func purpose(_ params: Params) -> String {
        let keys = params.values.keys.filter { !presentationParams.contains($0) }.sorted()
        return "data:" + params.kind + ":" + keys.map { $0 + "=" + params.values[$0]!.canonical }.joined(separator: ",")
    }

    /// The data's seed: the component's `seed` parameter when given (data fixed whatever
    /// the run's seed), else the run's seed.
    static func dataSeed(_ params: Params, _ context: DatasetContext) -> UInt64 {
        params.optionalInt("seed").map { UInt64(bitPattern: Int64($0)) } ?? context.seed
    }

    /// The split's seed: `split_seed` when given, else the run's seed.
    static func splitSeed(_ params: Params, _ context: DatasetContext) -> UInt64 {
        params.optionalInt("split_seed").map { UInt64(bitPattern: Int64($0)) } ?? context.seed
    }
}

/// Parameter declarations shared by several kinds, so each reads the same everywhere.
enum SharedParams {
    static func testFraction(_ def: Double) -> ParamDecl {
        .double("test_fraction", def, .unitOpen, "fraction of the examples held out as the test split (a seeded random subset)")
    }
    static let seed = ParamDecl("seed", .int, range: .nonNegative,
                                doc: "fixes the data whatever the run's seed; absent: the data follow the run's seed")
    static let splitSeed = ParamDecl("split_seed", .int, range: .nonNegative,
                                     doc: "seed of the train/test split; absent: the run's seed")
    static let bias = ParamDecl.bool("bias", false, "append a constant-1 feature column (after any standardization)")
    static func standardize(_ def: Bool) -> ParamDecl {
        .bool("standardize", def, "z-score every feature with the training split's mean and std (constant columns become 0)")
    }
    static let task = ParamDecl.choice("task", LabelMapping.taskChoices, "auto",
        "auto: 2 distinct labels -> binary (-1/+1, smaller is -1); 3..100 distinct integers -> multiclass 0..K-1 (sorted); else regression")
}

/// The finishing steps every kind shares, in this order: split, standardize with train
/// statistics, append the bias column.
struct DatasetAssembly {
    var task: Task
    var trueWeights: [Double]? = nil
    var info: [String: Value] = [:]

    /// Builds the data set from all examples, splitting off `testFraction` of them, or from
    /// an explicit test split (a separate file) when given.
    func assemble(features: FeatureMatrix, targets: [Double], explicitTest: DataSplit? = nil,
                  testFraction: Double, splitSeed: UInt64, standardize: Bool, bias: Bool) -> Dataset {
        var train = DataSplit(features: features, targets: targets)
        var test = explicitTest
        if test == nil, testFraction > 0 {
            let split = TrainTestSplit(count: targets.count, testFraction: testFraction, seed: splitSeed)
            if !split.test.isEmpty {
                test = selectRows(train, split.test)
                train = selectRows(train, split.train)
            }
        }
        var info = self.info
        if standardize, case .dense(let m) = train.features {
            let scaler = Standardization(fitting: m)
            train.features = .dense(scaler.apply(m))
            if let t = test, case .dense(let tm) = t.features { test!.features = .dense(scaler.apply(tm)) }
            info["standardized"] = .bool(true)
        }
        var weights = trueWeights
        if bias {
            train.features = appendingBiasColumn(train.features)
            if let t = test { test!.features = appendingBiasColumn(t.features) }
            // The generating model has no intercept: its weight on the bias column is 0
            // (for per-class weights, one 0 after each class's block).
            let d = features.cols
            if let w = weights, d > 0, w.count % d == 0 {
                var extended: [Double] = []
                for k in 0..<(w.count / d) { extended += w[(k * d)..<((k + 1) * d)]; extended.append(0) }
                weights = extended
            }
        }
        return Dataset(train: train, test: test, task: task, trueWeights: weights, info: info)
    }
}

/// The features with one more column, constant 1.
func appendingBiasColumn(_ features: FeatureMatrix) -> FeatureMatrix {
    switch features {
    case .dense(let m):
        var values = [Double](repeating: 1, count: m.rows * (m.cols + 1))
        for i in 0..<m.rows {
            for j in 0..<m.cols { values[i * (m.cols + 1) + j] = m.values[i * m.cols + j] }
        }
        return .dense(DenseMatrix(rows: m.rows, cols: m.cols + 1, values: values))
    case .sparse(let m):
        var rowStart = [Int](repeating: 0, count: m.rows + 1)
        var columns: [Int32] = []; columns.reserveCapacity(m.nonZeros + m.rows)
        var values: [Double] = []; values.reserveCapacity(m.nonZeros + m.rows)
        for i in 0..<m.rows {
            for k in m.rowStart[i]..<m.rowStart[i + 1] { columns.append(m.columns[k]); values.append(m.values[k]) }
            columns.append(Int32(m.cols)); values.append(1)
            rowStart[i + 1] = columns.count
        }
        return .sparse(CSRMatrix(rows: m.rows, cols: m.cols + 1, rowStart: rowStart, columns: columns, values: values))
    }
}
