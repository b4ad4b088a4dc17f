import ExprunCore

/// Namespace of the `CSVDataset` catalogue entry.
public enum CSVDataset {
    /// `csv`: a dense numeric table, one example per line, one column of which is the target.
    public static let entry = DatasetEntry(
        ComponentDecl(.dataset, "csv",
            doc: "dense numeric data from a delimited text file; one column is the target",
            params: [
                .path("path", "the CSV file, relative to the config's folder"),
                .int("target_column", -1, .any, "0-based column of the target; negative counts from the end (-1: last)"),
                .choice("header", ["auto", "yes", "no"], "auto", "whether the first line names the columns (auto: when any of its fields is not a number)"),
                .string("delimiter", ",", "field separator: one character, or \\t / tab (blank separators may repeat)"),
                SharedParams.task,
                SharedParams.testFraction(0),
                SharedParams.splitSeed,
                SharedParams.standardize(false),
                SharedParams.bias,
            ],
            check: { params in
                guard let text = params.optionalString("delimiter") else { return [] }
                return csvDelimiter(text) == nil
                    ? [ParamProblem("delimiter", "must be a single character (or \\t), found '\(text)'")] : []
            }),
        inputFiles: { params, context in [(param: "path", path: context.resolve(params.string("path")))] },
        make: { params, context in
            let path = context.resolve(params.string("path"))
            guard let delimiter = csvDelimiter(params.string("delimiter")) else {
                throw ComponentError("csv: delimiter must be a single character")
            }
            let table = try parseCSV(path: path, delimiter: delimiter, header: CSVHeader(rawValue: params.string("header"))!)
            let (features, targets) = try table.featuresAndTargets(path: path, targetColumn: params.int("target_column"))
            let mapping = try table.labelMapping(path: path, targets: targets, task: params.string("task"))
            var info = mapping.info
            if let header = table.header { info["columns"] = .list(header.map(Value.string)) }
            return DatasetAssembly(task: mapping.task, info: info).assemble(
                features: .dense(features), targets: mapping.apply(targets),
                testFraction: params.double("test_fraction"), splitSeed: DataStreams.splitSeed(params, context),
                standardize: params.bool("standardize"), bias: params.bool("bias"))
        })
}

extension CSVTable {
    /// Splits off the target column, checking it exists (errors point at the first data line,
    /// column 1: the table's shape, not one cell, is wrong).
    func featuresAndTargets(path: String, targetColumn: Int) throws -> (DenseMatrix, [Double]) {
        let target = targetColumn < 0 ? columns + targetColumn : targetColumn
        guard target >= 0, target < columns else {
            throw ComponentErrorText.at(path, Int(lineOfRow[0]), 1,
                "target_column \(targetColumn) is out of range for \(columns) columns")
        }
        guard columns >= 2 else {
            throw ComponentErrorText.at(path, Int(lineOfRow[0]), 1, "needs at least 2 columns (features and a target)")
        }
        return split(target: target)
    }

    /// The label mapping, with any problem reported at the file.
    func labelMapping(path: String, targets: [Double], task: String) throws -> LabelMapping {
        do { return try LabelMapping.infer(targets, task: task) }
        catch let error as ComponentError { throw ComponentError("\(path): \(error.description)") }
    }
}
