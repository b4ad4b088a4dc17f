import ExprunCore

/// Namespace of the `SklearnDataset` catalogue entry.
public enum SklearnDataset {
    /// `sklearn`: the small data sets bundled with scikit-learn, exported once to CSV by
    /// scripts/export_sklearn_data.py into `<data directory>/sklearn/<name>.csv`.
    public static let entry = DatasetEntry(
        ComponentDecl(.dataset, "sklearn",
            doc: "a scikit-learn bundled data set (run scripts/export_sklearn_data.py once to export them)",
            params: [
                .choice("name", SklearnData.all.map(\.name), "breast_cancer",
                        "breast_cancer (569x30, binary), digits (1797x64, 10 classes), wine (178x13, 3 classes), diabetes (442x10, regression)"),
                SharedParams.standardize(true),
                SharedParams.testFraction(0.25),
                SharedParams.splitSeed,
                SharedParams.bias,
            ]),
        inputFiles: { params, context in [(param: "name", path: SklearnData.path(params.string("name"), context))] },
        make: { params, context in
            let name = params.string("name")
            guard let known = SklearnData.all.first(where: { $0.name == name }) else {
                throw ComponentError("sklearn: unknown data set \(name)")
            }
            let path = SklearnData.path(name, context)
            let table = try parseCSV(path: path, delimiter: UInt8(ascii: ","), header: .yes)
            guard table.rows == known.rows, table.columns == known.dim + 1 else {
                throw ComponentError("\(path): expected \(known.rows) rows of \(known.dim) features and a target, found "
                    + "\(table.rows) rows of \(table.columns) columns; re-run scripts/export_sklearn_data.py")
            }
            let (features, targets) = try table.featuresAndTargets(path: path, targetColumn: -1)
            let mapping = try table.labelMapping(path: path, targets: targets, task: known.task)
            var info = mapping.info
            info["name"] = .string(name)
            return DatasetAssembly(task: mapping.task, info: info).assemble(
                features: .dense(features), targets: mapping.apply(targets),
                testFraction: params.double("test_fraction"), splitSeed: DataStreams.splitSeed(params, context),
                standardize: params.bool("standardize"), bias: params.bool("bias"))
        })
}

/// The bundled data sets and their known shapes (scikit-learn's documentation).
enum SklearnData {
    struct Known { var name: String; var rows: Int; var dim: Int; var task: String }
    static let all: [Known] = [
        Known(name: "breast_cancer", rows: 569, dim: 30, task: "binary"),
        Known(name: "digits", rows: 1797, dim: 64, task: "multiclass"),
        Known(name: "wine", rows: 178, dim: 13, task: "multiclass"),
        Known(name: "diabetes", rows: 442, dim: 10, task: "regression"),
    ]
    static func path(_ name: String, _ context: DatasetContext) -> String {
        (context.dataDirectory.isEmpty ? "" : context.dataDirectory + "/") + "sklearn/\(name).csv"
    }
}
