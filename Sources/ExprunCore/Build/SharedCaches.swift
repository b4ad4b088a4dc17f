
/// What the runs of one process share: built data sets and certified optimal values f*.
public final class SharedCaches: Sendable {
    public let datasets: DatasetCache
    /// f* by (dataset key, objective cache key); nil when the model cannot certify it.
    public let optimalValues: OnceCache<Double?>

    public init(datasets: DatasetCache = DatasetCache(), optimalValues: OnceCache<Double?> = OnceCache()) {
        self.datasets = datasets; self.optimalValues = optimalValues
    }
}
