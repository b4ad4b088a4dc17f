import ExprunCore

/// The black-box and zeroth-order methods (optimizer family), in the order `exprun list` shows them.
public let blackBoxCatalogue: [OptimizerEntry] = [
    CMAES.entry,
    ConsensusBasedOptimization.entry,
    ConsensusHopping.entry,
    MeZO.entry,
    OneByteSPSA.entry,
]
