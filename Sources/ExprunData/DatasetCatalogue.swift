import ExprunCore

/// Every dataset kind, in the order `exprun list` shows them.
public let datasetCatalogue: [DatasetEntry] = [
    SyntheticRegressionDataset.entry,
    SyntheticClassificationDataset.entry,
    LibSVMDataset.entry,
    CSVDataset.entry,
    SklearnDataset.entry,
    TeacherStudentDataset.entry,
]
