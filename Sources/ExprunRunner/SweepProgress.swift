import Foundation
import ExprunCore
import Synchronization

/// Progress of a sweep on stderr, and the failure lines printed as they happen.
///
/// Progress counts steps, not only finished runs, so a few long runs still move: finished runs
/// count all their steps, running ones the step their driver last published in its RunControl
/// (an atomic store at its periodic checks; the progress reads it here, off the hot loop).
/// On a terminal: one line redrawn at most 10 times a second,
/// `[#####.....]  49%  412/840 runs  3 running  2 diverged  1 failed  0:12 elapsed  ETA 0:12`.
/// Otherwise plain lines about every 5% of the steps or every 10 s. Nothing when quiet
/// (failure lines are still printed: they are errors, not progress).
final class SweepProgress: Sendable {
    private struct State {
        var done = 0
        var failed = 0
        var diverged = 0
        var doneSteps = 0
        var running: [ObjectIdentifier: RunControl] = [:]
        var lastDraw = -Double.infinity
        var lastPlainLine: Double
        var lastPlainFraction = 0.0
        var barShown = false
        var lastText = ""
    }
    private let total: Int
    private let totalSteps: Int
    private let quiet: Bool
    private let isTerminal: Bool
    private let startTime: Double
    private let state: Mutex<State>

    init(total: Int, totalSteps: Int = 0, quiet: Bool, isTerminal: Bool = isatty(2) != 0) {
        self.total = total; self.totalSteps = totalSteps; self.quiet = quiet; self.isTerminal = isTerminal
        startTime = RunControl.now()
        state = Mutex(State(lastPlainLine: startTime))
    }

    /// A run started: its control's published step counts until it ends.
    func runStarted(_ control: RunControl) {
        state.withLock { $0.running[ObjectIdentifier(control)] = control }
    }

    /// A run ended: finished (with its status and planned steps) or discarded (nil status).
    func runEnded(_ control: RunControl, steps: Int, status: RunStatus?, storeFailed: Bool = false) {
        state.withLock { s in
            s.running[ObjectIdentifier(control)] = nil
            guard let status else { return }
            s.done += 1
            s.doneSteps += steps
            if status == .failed || storeFailed { s.failed += 1 }
            if status == .diverged { s.diverged += 1 }
        }
    }

    /// Prints a line now (clearing the bar first on a terminal).
    func printLine(_ line: String) {
        state.withLock { s in
            var text = line + "\n"
            if isTerminal && s.barShown { text = "\r\u{1B}[K" + text; s.barShown = false; s.lastText = "" }
            writeStderr(text)
        }
    }

    /// Called about 10 times a second by the waiting thread; redraws when due.
    func tick(final: Bool = false) {
        guard !quiet else { return }
        state.withLock { s in
            let now = RunControl.now()
            let elapsed = now - startTime
            let runningSteps = s.running.values.reduce(0) { $0 + $1.currentStep }
            let stepsDone = s.doneSteps + runningSteps
            // By steps when they are known, else by runs.
            let fraction = totalSteps > 0 ? min(1, Double(stepsDone) / Double(totalSteps))
                : (total == 0 ? 1 : Double(s.done) / Double(total))
            let eta = fraction <= 0 ? Double.nan : elapsed * (1 - fraction) / fraction
            var counts = ""
            if !s.running.isEmpty && !final { counts += "  \(s.running.count) running" }
            if s.diverged > 0 { counts += "  \(s.diverged) diverged" }
            if s.failed > 0 { counts += "  \(s.failed) failed" }
            if isTerminal {
                guard final || now - s.lastDraw >= 0.1 else { return }
                s.lastDraw = now
                let width = 20
                let filled = min(width, Int(fraction * Double(width)))
                var text = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                    + "] \(Int(fraction * 100))%  \(s.done)/\(total) runs" + counts + "  " + Self.clock(elapsed) + " elapsed"
                if !final { text += "  ETA " + Self.clock(eta) }
                if text != s.lastText || final {
                    writeStderr("\r\u{1B}[K" + text + (final ? "\n" : ""))
                    s.lastText = text
                    s.barShown = !final
                }
            } else {
                let due = final || fraction - s.lastPlainFraction >= 0.05 || now - s.lastPlainLine >= 10
                guard due, !(final && s.lastPlainFraction == fraction && s.done == total) else { return }
                s.lastPlainLine = now
                s.lastPlainFraction = fraction
                var text = "progress: \(s.done)/\(total) runs, \(Int(fraction * 100))%" + counts.replacingOccurrences(of: "  ", with: ", ")
                text += ", \(Self.seconds(elapsed)) elapsed"
                if fraction < 1 { text += ", ETA " + Self.seconds(eta) }
                writeStderr(text + "\n")
            }
        }
    }

    /// m:ss or h:mm:ss.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let t = Int(seconds.rounded())
        let (h, m, s) = (t / 3600, (t / 60) % 60, t % 60)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }

    /// "12 s", "3 min 12 s", "1 h 2 min".
    static func seconds(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let t = Int(seconds.rounded())
        if t < 60 { return "\(t) s" }
        if t < 3600 { return "\(t / 60) min \(t % 60) s" }
        return "\(t / 3600) h \((t / 60) % 60) min"
    }
}

func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
            if n <= 0 { break }
            offset += n
        }
    }
}
