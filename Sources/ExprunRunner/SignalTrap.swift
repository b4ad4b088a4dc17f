import Dispatch
import Foundation
import Synchronization

/// Turns SIGINT and SIGTERM into a callback while installed (their default action, which
/// would kill the process mid-write, is ignored). A second signal exits at once with 130:
/// finished shards are already renamed into place, so nothing finished is lost.
// The sources are only touched by init and remove(), on the thread that runs the sweep.
final class SignalTrap: @unchecked Sendable {
    private let signals: [Int32]
    private let sources: [any DispatchSourceSignal]
    private final class Count: Sendable { let value = Atomic<Int>(0) }
    private let received = Count()

    init(signals: [Int32] = [SIGINT, SIGTERM], onFirst: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        var sources: [any DispatchSourceSignal] = []
        let queue = DispatchQueue(label: "exprun.signals")
        let received = self.received
        for s in signals {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: queue)
            source.setEventHandler {
                if received.value.add(1, ordering: .relaxed).newValue == 1 {
                    onFirst(s)
                } else {
                    let text = "\nexprun: interrupted again, exiting now\n"
                    _ = text.withCString { write(2, $0, strlen($0)) }
                    _exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Whether a signal arrived.
    var fired: Bool { received.value.load(ordering: .relaxed) > 0 }

    /// Restores the default actions.
    func remove() {
        for source in sources { source.cancel() }
        for s in signals { signal(s, SIG_DFL) }
    }
}
