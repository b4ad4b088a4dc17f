import ExprunCore

/// Every dataset kind, in the order `exprun list` shows them.
public let datasetCatalogue: [DatasetEntry] = [
    syntheticRegression,
    syntheticClassification,
    libsvmDataset,
    csvDataset,
    sklearnDataset,
    teacherStudent,
]
