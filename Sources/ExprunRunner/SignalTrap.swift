import Foundation
import Synchronization

/// Signals received while a trap is installed. A process-wide counter, because a signal
/// handler cannot capture context; touched before any handler is installed so the handler
/// only does a lock-free atomic add (async-signal-safe).
private let signalsReceived = Atomic<Int>(0)

/// The handler: the first signal is counted (the sweep's waiting thread polls the count and
/// cancels the runs); a second one exits at once with 130 — finished shards are already
/// renamed into place, so nothing finished is lost.
private let trapHandler: @convention(c) (Int32) -> Void = { _ in
    if signalsReceived.add(1, ordering: .relaxed).oldValue > 0 {
        let text: StaticString = "\nexprun: interrupted again, exiting now\n"
        _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
        _exit(130)
    }
}

/// Turns SIGINT and SIGTERM into a flag while installed (their default action, which would
/// kill the process mid-write, is replaced). One trap at a time per process: the sweep
/// runner's while runs execute, the CLI's while results.h5 is merged.
///
/// A real `sigaction` handler rather than a DispatchSource: on Linux a dispatch signal source
/// only sees signals that every thread blocks, and an ignored, unblocked signal is discarded.
public final class SignalTrap: @unchecked Sendable {
    private let signals: [Int32]
    // Written in init, read in remove(), both on the thread that runs the sweep.
    private var previous: [sigaction] = []

    public init(signals: [Int32] = [SIGINT, SIGTERM]) {
        self.signals = signals
        signalsReceived.store(0, ordering: .relaxed)
        for s in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = trapHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var old = sigaction()
            sigaction(s, &action, &old)
            previous.append(old)
        }
    }

    /// Whether a signal arrived.
    public var fired: Bool { signalsReceived.load(ordering: .relaxed) > 0 }

    /// Restores the previous actions.
    public func remove() {
        for (s, old) in zip(signals, previous) {
            var old = old
            sigaction(s, &old, nil)
        }
    }
}
