import ExprunCore

/// Draws minibatch row indices into one preallocated buffer: no allocation per step.
///
/// Its random stream is `RNG(seed: run seed, purpose: "batches")` and it consumes that stream
/// in a way that depends only on n and the batch size, so every optimizer of a sweep sees the
/// same minibatches for one seed (common random numbers).
///
/// - `with_replacement`: each index i.i.d. uniform on 0..<n.
/// - `shuffle`: a fresh Fisher-Yates permutation per epoch, read in order; a batch that runs
///   past the end of an epoch takes the rest of it and continues into the next permutation
///   (batches keep their size; every index appears exactly once per epoch).
/// - `shuffle_drop_last`: a fresh permutation per epoch cut into floor(n/b) full batches; the
///   n mod b indices left at the end of an epoch are dropped (torch's drop_last).
/// - `cyclic`: 0, 1, ..., n-1, 0, 1, ... with no randomness.
public struct MinibatchSampler: ~Copyable {
    public let sampleCount: Int
    public let batchSize: Int
    public let sampling: Sampling
    private var rng: RNG
    /// The current batch (batchSize indices).
    private let batch: UnsafeMutableBufferPointer<Int>
    /// The epoch's permutation (shuffle) — empty otherwise.
    private let permutation: UnsafeMutableBufferPointer<Int>
    /// Next position in the epoch (shuffle, cyclic).
    private var position: Int

    public init(sampleCount n: Int, batchSize: Int, sampling: Sampling, seed: Int) {
        precondition(n > 0 && batchSize > 0)
        sampleCount = n; self.batchSize = batchSize; self.sampling = sampling
        rng = RNG(seed: UInt64(bitPattern: Int64(seed)), purpose: "batches")
        batch = .allocate(capacity: batchSize)
        batch.initialize(repeating: 0)
        if sampling == .shuffle || sampling == .shuffleDropLast {
            permutation = .allocate(capacity: n)
            for i in 0..<n { permutation[i] = i }
            position = n   // the first draw shuffles
        } else {
            permutation = .allocate(capacity: 0)
            position = 0
        }
    }

    deinit {
        batch.deallocate()
        permutation.deallocate()
    }

    /// Draws the next batch and returns it (valid until the next call).
    @inline(__always)
    public mutating func next() -> UnsafeBufferPointer<Int> {
        let n = sampleCount
        switch sampling {
        case .withReplacement:
            for i in 0..<batchSize { batch[i] = rng.below(n) }
        case .shuffle:
            for i in 0..<batchSize {
                if position == n { rng.shuffle(permutation); position = 0 }
                batch[i] = permutation[position]
                position += 1
            }
        case .shuffleDropLast:
            if position + batchSize > n { rng.shuffle(permutation); position = 0 }
            for i in 0..<batchSize { batch[i] = permutation[position + i] }
            position += batchSize
        case .cyclic:
            for i in 0..<batchSize {
                batch[i] = position
                position += 1
                if position == n { position = 0 }
            }
        }
        return UnsafeBufferPointer(batch)
    }
}
