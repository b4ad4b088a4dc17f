import Foundation
import ExprunCore
import ExprunSpec
import Testing

/// Run ids name the shards and are the resume key: they must not change when the expansion
/// is reorganized. The literals were read from `exprun <config> --dry-run` at main 9b9d446
/// (before runs shared their cell, and before ids were hashed piece by piece); the digest
/// of the sorted ids is FNV-1a + SplitMix (`stableHash64`) computed in Python from that output.
@Suite struct RunIdStabilityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    static func load(_ config: String, _ overrides: [String] = []) throws -> Experiment {
        try ExperimentBuilder.load(path: root + "/" + config, overrides: overrides, dataDirectory: root + "/data")
    }

    static func digest(_ ids: [String]) -> UInt64 { stableHash64(ids.sorted().joined()) }

    @Test(arguments: [
        // A plain grid, and the benchmark's one cell of seeds.
        ("configs/sea_omd.yaml", [String](), 840, "54c542eba13acb3ca3b2773b", "0afcab19e6d88ea0f239a883", "89c87072448948becdbb2df0", UInt64(0xda23_ee00_53ee_77a0)),
        ("bench/merge.yaml", ["seeds=50"], 50, "37137f828c5e0a450efd928f", "795df69260948c9701c4f247", "324f592e15944d3ef42f3096", UInt64(0x6d3f_34e6_b79b_93d4)),
        // Runs with upstream runs (selection first_pass): their ids hash the upstream ids.
        ("configs/refine_schedule.yaml", [], 390, "5892b2a241dce718ea0a483e", "2f700cfce2ac4c98d884d866", "4d3a8df6abc1ce0187b87b70", UInt64(0xbd47_7657_5b0c_190a)),
    ])
    func idsAreThoseOfMain(config: String, overrides: [String], count: Int, first: String, second: String, last: String, digest: UInt64) throws {
        let e = try Self.load(config, overrides)
        let ids = e.runs.map(\.runId)
        #expect(ids.count == count)
        #expect(ids.first == first)
        #expect(ids.dropFirst().first == second)
        #expect(ids.last == last)
        #expect(Self.digest(ids) == digest)
    }

    /// Halving's runs get their `rung` after the ids are made: rung 0's 192 runs keep main's ids.
    @Test func halvingRungZeroIdsAreThoseOfMain() throws {
        let e = try Self.load("configs/search_mlp.yaml")
        let rung0 = e.runs.filter { $0.parameters.last.map { $0.0 == "rung" && $0.1 == .int(0) } ?? false }.map(\.runId)
        #expect(rung0.count == 192)
        #expect(rung0.first == "c1e0d2d75740bb3e7ac647fe")
        #expect(Self.digest(rung0) == 0x9b64_eb44_ba3e_aef9)
    }

    /// The seeds of a cell share one cell (the per-run cost is the id, seed and upstream
    /// runs); a change through one run does not reach the others; halving's rung, set once
    /// per cell, leaves a cell's runs sharing one.
    @Test func seedsOfACellShareItAndCopyOnWrite() throws {
        var runs = try Self.load("bench/merge.yaml", ["seeds=5"]).runs
        #expect(runs.count == 5)
        #expect(runs.dropFirst().allSatisfy { $0.sharesCell(with: runs[0]) })
        let steps = runs[0].run.steps
        runs[2].run.steps = steps + 1
        #expect(runs[2].run.steps == steps + 1 && runs[1].run.steps == steps && runs[3].run.steps == steps)
        #expect(!runs[2].sharesCell(with: runs[1]) && runs[3].sharesCell(with: runs[1]))

        let halving = try Self.load("configs/search_mlp.yaml").runs
        let sameCell = zip(halving, halving.dropFirst()).filter { $0.parameters.map(\.1) == $1.parameters.map(\.1) }
        #expect(sameCell.count >= 2 * 64)   // 3 seeds per candidate and rung
        #expect(sameCell.allSatisfy { $0.sharesCell(with: $1) })
    }
}
