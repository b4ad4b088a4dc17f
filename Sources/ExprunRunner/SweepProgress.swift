import Foundation
import ExprunCore
import Synchronization

/// Progress of a sweep on stderr, and the failure lines printed as they happen.
///
/// On a terminal: one line redrawn at most 10 times a second,
/// `[#####.....] 412/840 runs  49%  2 failed  ETA 0:12`. Otherwise plain lines about every
/// 5% of the runs or every 10 s: `progress: 412/840 runs (49%), ETA 12 s`. Nothing when quiet
/// (failure lines are still printed: they are errors, not progress).
final class SweepProgress: Sendable {
    private struct State {
        var done = 0
        var failed = 0
        var lastDraw = -Double.infinity
        var lastPlainLine: Double
        var lastPlainDone = 0
        var barShown = false
        var lastText = ""
    }
    private let total: Int
    private let quiet: Bool
    private let isTerminal: Bool
    private let startTime: Double
    private let state: Mutex<State>

    init(total: Int, quiet: Bool, isTerminal: Bool = isatty(2) != 0) {
        self.total = total; self.quiet = quiet; self.isTerminal = isTerminal
        startTime = RunControl.now()
        state = Mutex(State(lastPlainLine: startTime))
    }

    /// A run finished (whatever its status).
    func runFinished(failed: Bool) {
        state.withLock { s in
            s.done += 1
            if failed { s.failed += 1 }
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
            let fraction = total == 0 ? 1 : Double(s.done) / Double(total)
            let eta = s.done == 0 ? Double.nan : elapsed * Double(total - s.done) / Double(s.done)
            if isTerminal {
                guard final || now - s.lastDraw >= 0.1 else { return }
                s.lastDraw = now
                let width = 20
                let filled = min(width, Int(fraction * Double(width)))
                var text = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                    + "] \(s.done)/\(total) runs  \(Int(fraction * 100))%"
                if s.failed > 0 { text += "  \(s.failed) failed" }
                if !final { text += "  ETA " + Self.clock(eta) }
                if text != s.lastText || final {
                    writeStderr("\r\u{1B}[K" + text + (final ? "\n" : ""))
                    s.lastText = text
                    s.barShown = !final
                }
            } else {
                let step = max(1, total / 20)
                let due = final || s.done - s.lastPlainDone >= step || now - s.lastPlainLine >= 10
                guard due, !(final && s.lastPlainDone == s.done) else { return }
                s.lastPlainLine = now
                s.lastPlainDone = s.done
                var text = "progress: \(s.done)/\(total) runs (\(Int(fraction * 100))%)"
                if s.failed > 0 { text += ", \(s.failed) failed" }
                if s.done < total { text += ", ETA " + Self.seconds(eta) }
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
