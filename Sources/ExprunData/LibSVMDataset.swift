import ExprunCore

/// Namespace of the `LibSVMDataset` catalogue entry.
public enum LibSVMDataset {
    /// `libsvm`: a LIBSVM/SVMlight text file, kept sparse (CSR) from parse to model.
    public static let entry = DatasetEntry(
        ComponentDecl(.dataset, "libsvm",
            doc: "sparse data from a LIBSVM/SVMlight file (label index:value ...), never densified",
            params: [
                .path("path", "the LIBSVM file, relative to the config's folder"),
                ParamDecl("dim", .int, range: .atLeastOne, doc: "number of features; absent: the largest index in the file(s)"),
                SharedParams.task,
                ParamDecl("test_path", .path, doc: "a separate LIBSVM file of test examples (instead of test_fraction)"),
                SharedParams.testFraction(0),
                SharedParams.splitSeed,
                .bool("zero_based", false, "indices start at 0 (LIBSVM's own convention is 1-based)"),
                SharedParams.bias,
            ],
            check: { params in
                params.has("test_path") && (params.optionalDouble("test_fraction") ?? 0) > 0
                    ? [ParamProblem("test_fraction", "give test_path or test_fraction, not both")] : []
            }),
        inputFiles: { params, context in
            var files = [(param: "path", path: context.resolve(params.string("path")))]
            if let test = params.optionalString("test_path") { files.append((param: "test_path", path: context.resolve(test))) }
            return files
        },
        make: { params, context in
            let path = context.resolve(params.string("path"))
            let zeroBased = params.bool("zero_based")
            let givenDim = params.optionalInt("dim")
            let train = try parseLibSVM(path: path, zeroBased: zeroBased, dim: givenDim)
            let testPath = params.optionalString("test_path").map(context.resolve)
            let test = try testPath.map { try parseLibSVM(path: $0, zeroBased: zeroBased, dim: givenDim) }
            if train.labels.isEmpty { throw ComponentError("\(path): no examples") }
            if let test, let testPath, test.labels.isEmpty { throw ComponentError("\(testPath): no examples") }
            let dim = givenDim ?? (max(train.maxColumn, test?.maxColumn ?? -1) + 1)
            if dim == 0 { throw ComponentError("\(path): no feature appears in the file; give dim") }
            let classes = Set(train.labels).count
            if let why = MemoryBudget.vectorProblem(count: dim, copies: max(1, classes > 2 ? classes : 1),
                                                    what: "dim \(dim)\(givenDim == nil ? " (the largest feature index in the file, as no dim is given)" : "")") {
                throw ComponentError("\(path): \(why); give the right dim, or check the file's feature indices")
            }

            // One mapping over train and test labels, so both splits mean the same classes.
            let mapping: LabelMapping
            do { mapping = try LabelMapping.infer(train.labels + (test?.labels ?? []), task: params.string("task")) }
            catch let error as ComponentError { throw ComponentError("\(path): \(error.description)") }
            func split(_ rows: LibSVMRows) -> DataSplit {
                let matrix = CSRMatrix(rows: rows.labels.count, cols: dim, rowStart: rows.rowStart,
                                       columns: rows.columns, values: rows.values)
                return DataSplit(features: .sparse(matrix), targets: mapping.apply(rows.labels))
            }
            let trainSplit = split(train)
            var info = mapping.info
            info["nonzeros"] = .int(train.values.count + (test?.values.count ?? 0))
            return DatasetAssembly(task: mapping.task, info: info).assemble(
                features: trainSplit.features, targets: trainSplit.targets, explicitTest: test.map(split),
                testFraction: params.double("test_fraction"), splitSeed: DataStreams.splitSeed(params, context),
                standardize: false, bias: params.bool("bias"))
        })
}
