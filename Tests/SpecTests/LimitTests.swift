import Testing
import Foundation
import ExprunCore
import ExprunConfig
import ExprunSpec

/// Each case reproduces a reported crash (SIGSEGV, SIGABRT, SIGILL, an 8 TB allocation) as a
/// config, and checks it is now a located error found before anything is allocated.
@Suite struct LimitTests {
    /// The "billion laughs" file of the report: 9 levels of 10 aliases, 10^9 leaves in 1 KB.
    static let bombYAML: String = {
        var text = "name: t\nlol0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for k in 1...8 {
            text += "lol\(k): &a\(k) [" + Array(repeating: "*a\(k - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        return text
    }()

    @Test func aliasBombIsRejectedAtItsKeyWithoutExpanding() throws {
        let started = Date()
        do {
            _ = try ConfigLoader.parse(Self.bombYAML, file: "bomb.yaml")
            Issue.record("the bomb was accepted")
        } catch let list as DiagnosticList {
            #expect(list.items.count == 1)
            let d = list.items[0]
            #expect(d.message.contains("alias"), "\(d)")
            // The budget (10^6 nodes) runs out inside lol5 (1.1 * 10^6 nodes), the key on line 7.
            #expect(d.location == SourceLocation(file: "bomb.yaml", line: 7, column: 1), "\(d)")
        }
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func aliasesWithinTheBudgetStillWork() throws {
        let text = "name: t\nbase: &b {lr: 0.1, momentum: 0.9}\nother: *b\n"
        let tree = try ConfigLoader.parse(text, file: "ok.yaml")
        #expect(tree["other"]?["lr"]?.scalar == .double(0.1))
    }

    @Test func seedsRangeNearInt64MaxIsExactNotATrap() throws {
        let e = try build(validConfig.replacingOccurrences(of: "seeds: 2", with: "seeds: {range: [9223372036854775800, 9223372036854775807]}"))
        #expect(Set(e.runs.map(\.seed)) == Set(9223372036854775800..<9223372036854775807))
        let p = problems(validConfig.replacingOccurrences(of: "seeds: 2", with: "seeds: {range: [-9223372036854775808, 9223372036854775807]}"))
        #expect(p.count == 1 && p[0].message.contains("more than limits.max_runs"), "\(p)")
        #expect(p.first?.location?.line == 2)
    }

    @Test func hugeLogspaceIsRejectedBeforeExpanding() {
        let started = Date()
        let p = problems(validConfig.replacingOccurrences(of: "optimizer.lr: [0.01, 0.1]", with: "optimizer.lr: {logspace: [-3, 0, 10000000]}"))
        #expect(p.count == 1 && p[0].message.contains("logspace count 10000000"), "\(p)")
        #expect(p.first?.location?.line == 15)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func gridProductIsCheckedAndTheLimitCanBeRaised() throws {
        let big = validConfig.replacingOccurrences(of: "optimizer.lr: [0.01, 0.1]",
                                                   with: "optimizer.lr: {logspace: [-3, 0, 60000]}")
        let p = problems(big)
        #expect(p.count == 1 && p[0].message.contains("more than limits.max_runs = 100000 runs (60000 x 2 seeds)"), "\(p)")
        #expect(p.first?.location?.line == 14)
        let medium = validConfig.replacingOccurrences(of: "optimizer.lr: [0.01, 0.1]",
                                                      with: "optimizer.lr: {logspace: [-3, 0, 150]}")
        #expect(problems(medium + "\nlimits: {max_runs: 299}\n").first?.message.contains("(150 x 2 seeds)") == true)
        #expect(try build(medium + "\nlimits: {max_runs: 300}\n").runs.count == 300)
        let low = validConfig + "\nlimits: {max_runs: 3}\n"
        #expect(problems(low).first?.message.contains("max_runs = 3") == true)
    }

    @Test func storedSeriesLengthIsBounded() throws {
        let text = validConfig.replacingOccurrences(of: "steps: 100", with: "steps: 1000000000000\n  log: {every: 1}")
        let p = problems(text)
        #expect(p.count == 1 && p[0].message.contains("limits.max_log_points"), "\(p)")
        #expect(p.first?.location?.line == 5)
        // Raised: accepted (nothing is allocated by building the experiment).
        _ = try build(text + "\nlimits: {max_log_points: 1000000000002}\n")
    }

    @Test func badLimitsAndSlurmKeysAreLocated() {
        let p = problems(validConfig + "\nlimits: {max_run: 5}\nslurm: {partiton: gpu, cpus_per_task: 0}\n")
        #expect(p.map(\.message).contains { $0.contains("unknown limit 'max_run'") })
        #expect(p.contains { $0.suggestion == "partition" })
        #expect(p.map(\.message).contains { $0.contains("cpus_per_task must be an integer >= 1") })
    }
}
