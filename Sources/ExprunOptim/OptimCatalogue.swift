import ExprunCore

/// Every schedule kind, in the order `exprun list` shows them.
public let scheduleCatalogue: [ScheduleEntry] = [
    ConstantSchedule.entry,
    StepSchedule.entry,
    MultiStepSchedule.entry,
    ExponentialSchedule.entry,
    InverseSqrtSchedule.entry,
    InverseTimeSchedule.entry,
    PolynomialSchedule.entry,
    CosineSchedule.entry,
    CosineRestartsSchedule.entry,
    LinearDecaySchedule.entry,
    LinearSchedule.entry,
    WarmupSchedule.entry,
    OneCycleSchedule.entry,
    SequentialSchedule.entry,
    BatchScaledSchedule.entry,
    RefinedSchedule.entry,
]

/// Every optimizer kind (presets and chains), in the order `exprun list` shows them.
public let optimizerCatalogue: [OptimizerEntry] = [
    SGD.entry,
    Adam.entry,
    AdamW.entry,
    Adagrad.entry,
    RMSprop.entry,
    Adamax.entry,
    NAdam.entry,
    RAdam.entry,
    Adadelta.entry,
    AdaBelief.entry,
    DiffGrad.entry,
    Lion.entry,
    SignSGD.entry,
    Lamb.entry,
    AdaBound.entry,
    Yogi.entry,
    Swan.entry,
    Frugal.entry,
    GaLore.entry,
    DCTAdamW.entry,
    SSO.entry,
    TPSGD.entry,
    ChainOptimizer.entry,
]
