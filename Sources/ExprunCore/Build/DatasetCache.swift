import Synchronization

/// Data sets shared by the runs of a sweep: each is built once per process, however many
/// workers ask for it at once, and dropped after the last run that needs it (when the sweep
/// announced its uses with `reserve`).
///
/// The key is what the factory's output depends on: the dataset's kind and canonical
/// parameters, the folders paths resolve against, and the effective seed (the dataset's own
/// `seed` parameter when it has one, so such a data set is shared by every run seed;
/// otherwise the run's seed).
public final class DatasetCache: Sendable {
    private let cache = OnceCache<Dataset>()
    private let pendingUses = Mutex<[String: Int]>([:])

    public init() {}

    /// The seed a dataset's random draws use: its own `seed` parameter wins over the run's.
    public static func effectiveSeed(_ dataset: ComponentInstance, runSeed: Int) -> UInt64 {
        if let own = dataset.params.optionalInt("seed") { return UInt64(bitPattern: Int64(own)) }
        return UInt64(bitPattern: Int64(runSeed))
    }

    /// The cache key of a dataset instance as built for a run with seed `runSeed`.
    public static func key(_ dataset: ComponentInstance, runSeed: Int, baseDirectory: String,
                           dataDirectory: String) -> String {
        let params = dataset.params.values.keys.sorted()
            .map { "\($0)=\(dataset.params.values[$0]!.canonical)" }.joined(separator: ",")
        return "\(dataset.params.kind)(\(params))@seed=\(effectiveSeed(dataset, runSeed: runSeed))"
            + "|base=\(baseDirectory)|data=\(dataDirectory)"
    }

    /// The key of the data set a run spec builds (nil when the run has none).
    public static func key(of spec: RunSpec) -> String? {
        guard let instance = spec.datasetInstance else { return nil }
        return key(instance, runSeed: spec.seed, baseDirectory: spec.baseDirectory, dataDirectory: spec.dataDirectory)
    }

    /// The data set for a run: built by `factory` on first request, shared afterwards.
    public func dataset(for instance: ComponentInstance, runSeed: Int, baseDirectory: String,
                        dataDirectory: String, factory: ComponentFactory) throws -> (key: String, dataset: Dataset) {
        let key = Self.key(instance, runSeed: runSeed, baseDirectory: baseDirectory, dataDirectory: dataDirectory)
        let context = DatasetContext(seed: Self.effectiveSeed(instance, runSeed: runSeed),
                                     baseDirectory: baseDirectory, dataDirectory: dataDirectory)
        let data = try cache.value(for: key) { try factory.makeDataset(instance, context) }
        return (key, data)
    }

    /// Announces that `uses` more runs will ask for `key`; `release` after each lets the
    /// cache drop the data set when the last of them is done.
    public func reserve(_ key: String, uses: Int = 1) {
        pendingUses.withLock { $0[key, default: 0] += uses }
    }

    /// One announced use of `key` is over; the data set is dropped after the last.
    public func release(_ key: String) {
        let drop = pendingUses.withLock { map -> Bool in
            guard let n = map[key] else { return false }
            if n <= 1 { map.removeValue(forKey: key); return true }
            map[key] = n - 1
            return false
        }
        if drop { cache.remove(key) }
    }

    /// Data sets currently held.
    public var count: Int { cache.count }
    /// Data sets built so far.
    public var builds: Int { cache.builds }
}

extension RunSpec {
    /// The dataset instance a run builds, if any: the component of its dataset-family role.
    public var datasetInstance: ComponentInstance? {
        components.first { $0.family == .dataset }?.instance
    }
}
