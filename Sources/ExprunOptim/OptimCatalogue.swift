import ExprunCore

/// Every schedule kind, in the order `exprun list` shows them.
public let scheduleCatalogue: [ScheduleEntry] = []
/// Every optimizer kind (presets and chains), in the order `exprun list` shows them.
public let optimizerCatalogue: [OptimizerEntry] = []
