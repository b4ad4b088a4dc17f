import Foundation
import Synchronization

/// What a driver consults while a run is in flight: a sweep-wide cancellation flag (Ctrl-C,
/// SIGTERM, --fail-fast) and the run's own wall-clock deadline (the `time_limit` hard cap).
/// Drivers check it at log points and every `checkInterval` steps, never per element.
public final class RunControl: Sendable {
    private let cancelled = Atomic<Bool>(false)
    /// Absolute deadline in seconds on `RunControl.now()`'s clock, nil for none.
    public let deadline: Double?
    /// How many steps a driver may go between checks.
    public let checkInterval: Int

    public init(timeLimit: Double? = nil, checkInterval: Int = 1024) {
        deadline = timeLimit.map { RunControl.now() + $0 }
        self.checkInterval = checkInterval
        parent = nil
    }
    /// A control sharing the sweep's cancellation but with its own deadline.
    public init(sharing other: RunControl, timeLimit: Double?) {
        deadline = timeLimit.map { RunControl.now() + $0 }
        checkInterval = other.checkInterval
        parent = other
    }
    private let parent: RunControl?

    /// The run's current step, published by its driver at its checks (every `checkInterval`
    /// steps, and log points): one relaxed atomic store, read by the progress line.
    private let step = Atomic<Int>(0)
    public func publish(step t: Int) { step.store(t, ordering: .relaxed) }
    public var currentStep: Int { step.load(ordering: .relaxed) }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) || (parent?.isCancelled ?? false) }
    public var isPastDeadline: Bool { deadline.map { RunControl.now() >= $0 } ?? false }

    /// Monotonic seconds.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// Thrown by a driver when the sweep was cancelled mid-run: the run is discarded (not stored),
/// so a re-run resumes it from scratch.
public struct RunCancelled: Error, Sendable { public init() {} }
