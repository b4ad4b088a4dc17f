import Foundation
import Dispatch
import ExprunRunner

/// SIGINT and SIGTERM while results.h5 is merged (the last phase of `exprun CONFIG`, and
/// `exprun merge`, which a SLURM job's time limit or `scancel` ends with SIGTERM).
///
/// The merge cannot stop half-way and leave a usable file: results.h5 is replaced only by the
/// rename of a complete temporary (Store.merge). So the first signal lets the merge and the
/// summary written for it finish — results.h5 is then the new complete file matching the
/// shards present — and the command exits 130 afterwards. A second signal exits 130 at once:
/// the rename has not happened, so results.h5 is the previous complete file (or absent), and
/// the merge's temporary, named by this process's pid, is removed by the next merge in the
/// folder (a temporary whose writer is gone is stale).
enum MergeGuard {
    /// Runs `finish` (the merge and the summary written for it) under the trap; returns
    /// whether a signal arrived. After a signal that already stopped the sweep, any signal is
    /// the second one: the handler that exits 130 at once (EarlySignals) is left in place.
    static func run(afterInterrupt: Bool, quiet: Bool, _ finish: () throws -> Void) throws -> Bool {
        if afterInterrupt {
            try finish()
            return true
        }
        let trap = SignalTrap()
        defer { trap.remove() }
        // The handler only counts; this timer tells the user what the first signal does.
        let notice = DispatchSource.makeTimerSource(queue: .global())
        notice.schedule(deadline: .now(), repeating: .milliseconds(50))
        notice.setEventHandler { [trap, notice] in
            guard trap.fired else { return }
            if !quiet {
                stderr("exprun: interrupted while merging; finishing results.h5 so it matches the shards "
                       + "(Ctrl-C again to exit now, keeping the previous results.h5)")
            }
            notice.cancel()
        }
        notice.resume()
        defer { notice.cancel() }
        try finish()
        return trap.fired
    }
}
