import Foundation
import Testing
import ExprunCore
@testable import ExprunOnline
@testable import ProblemOnline

/// Measures the mean final regret per cell of configs/sea_omd.yaml by calling runOnline over the
/// grid, writes the table, and checks that docs/online.md shows exactly these rows (the
/// documented numbers are reproducible, to the printed digits). Off by default (minutes):
/// EXPRUN_ONLINE_GRID=<output file> runs it.
@Test(.enabled(if: ProcessInfo.processInfo.environment["EXPRUN_ONLINE_GRID"] != nil))
func seaGridTable() throws {
    let learners: [(String, Params)] = [
        ("ogd_fixed", params(.learner, "ogd", ["step": .string("fixed")])),
        ("ogd_adaptive", params(.learner, "ogd", ["step": .string("adaptive")])),
        ("oomd", params(.learner, "oomd", ["step": .string("adaptive")])),
        ("ogd_sc", params(.learner, "ogd", ["step": .string("strongly_convex")])),
        ("oomd_sc", params(.learner, "oomd", ["step": .string("strongly_convex")])),
    ]
    let settings: [(Int, Double)] = [(1, 0.5), (10, 0.5), (100, 0.5), (0, 0)]
    var lines = ["| σ | period (a) | " + learners.map(\.0).joined(separator: " | ") + " | σ²_{1:T} | Σ²_{1:T} |",
                 "|---|---|" + String(repeating: "---|", count: learners.count + 2)]
    var rounds = 0, seconds = 0.0
    for sigma in [0.0, 0.1, 1.0] {
        for (period, a) in settings {
            let env = params(.environment, "sea", ["sigma": .double(sigma), "period": .int(period), "variation": .double(a)])
            var cells: [String] = []
            var s2 = 0.0, v2 = 0.0
            for (_, learner) in learners {
                var regrets: [Double] = []
                for seed in 0..<10 {
                    let r = try runOnline(onlineSpec(env: env, learner: learner, steps: 10000, seed: seed,
                                                     metrics: ["regret"], log: .points(60, logScale: true)),
                                          dataset: nil, control: RunControl())
                    regrets.append(series(r, "regret").last!)
                    s2 = attribute(r, "sigma2_total"); v2 = attribute(r, "variation2_total")
                    rounds += 10000; seconds += r.wallSeconds
                }
                let m = regrets.reduce(0, +) / 10
                let sd = (regrets.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 9).squareRoot()
                cells.append(String(format: "%.1f ± %.1f", m, sd))
            }
            let p = period == 0 ? "∞ (0)" : "\(period) (\(a))"
            lines.append("| \(sigma) | \(p) | " + cells.joined(separator: " | ") + String(format: " | %.0f | %.0f |", s2, v2))
        }
    }
    lines.append("")
    lines.append(String(format: "rounds/second (this build): %.3g", Double(rounds) / seconds))
    try lines.joined(separator: "\n").write(toFile: ProcessInfo.processInfo.environment["EXPRUN_ONLINE_GRID"]!, atomically: true, encoding: .utf8)
    let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/online.md")
    let documented = try String(contentsOf: docs, encoding: .utf8)
    for line in lines where line.hasPrefix("| ") && !line.hasPrefix("| σ |") {
        #expect(documented.contains(line), "docs/online.md lacks the measured row \(line)")
    }
}
