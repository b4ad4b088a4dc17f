import ExprunCore

/// Every model kind, in the order `exprun list` shows them.
public let modelCatalogue: [ModelEntry] = [
    LeastSquaresObjective.entry,
    LogisticObjective.entry,
    SoftmaxObjective.entry,
    HingeObjective.entry,
    LeastAbsoluteDeviationObjective.entry,
    NoisyQuadraticObjective.entry,
    MLPObjective.entry,
    TwoLayerReLUObjective.entry,
    DiagonalLinearNetwork.entry,
    TwoLayerReLUNetwork.entry,
    Rastrigin.entry,
    Ackley.entry,
    Rosenbrock.entry,
    Beale.entry,
    StyblinskiTang.entry,
    IllConditionedQuadratic.entry,
    MasterInputObjective.entry,
    ExternalObjective.entry,
]
