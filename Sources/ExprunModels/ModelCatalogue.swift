import ExprunCore

/// Every model kind, in the order `exprun list` shows them.
public let modelCatalogue: [ModelEntry] = [
    leastSquaresEntry,
    logisticEntry,
    softmaxEntry,
    hingeEntry,
    leastAbsoluteDeviationEntry,
    noisyQuadraticEntry,
    mlpEntry,
]
