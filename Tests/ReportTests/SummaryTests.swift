import ExprunTestSupport
import Foundation
import Testing
import ExprunCore
import ExprunStore
@testable import ExprunReport

@Suite struct SummaryTests {
    /// numpy recomputes every statistic from the file with h5py alone (an independent reader).
    @Test func statisticsMatchNumpy() throws {
        let s = try SyntheticResults(name: "summary")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let table = SummaryTable.make(file: file, metric: "loss")
        #expect(table.rows.count == 2 * 3 * 2)
        let script = """
        import sys, json, h5py, numpy as np
        f = h5py.File(sys.argv[1], "r")
        out = {}
        for view in ["last", "avg"]:
            cells = {}
            for rid in f["runs"]:
                g = f["runs"][rid]
                key = (g.attrs["model"], float(g.attrs["optimizer.lr"]))
                c = cells.setdefault(key, {"v": [], "d": 0})
                if g.attrs["status"] == "diverged":
                    c["d"] += 1; continue
                c["v"].append((g["loss"] if view == "last" else g["avg/loss"])[-1])
            for (m, lr), c in cells.items():
                v = np.array(c["v"])
                out[f"{m}|{lr}|{view}"] = [len(v), c["d"], v.mean(), v.std(ddof=1), np.median(v), v.min(), v.max()]
        print(json.dumps(out))
        """
        let reference = try JSONSerialization.jsonObject(with: Data(try python(script, [s.path]).utf8)) as! [String: [Double]]
        for r in table.rows {
            let lr = Double(r.key[1].1)!
            let ref = try #require(reference["\(r.key[0].1)|\(lr)|\(r.view)"])
            #expect(Double(r.count) == ref[0] && Double(r.diverged) == ref[1])
            for (a, b) in zip([r.mean, r.std, r.median, r.min, r.max], ref[2...]) {
                #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "\(r.key) \(r.view): \(a) vs \(b)")
            }
        }
        // Diverged runs are counted, not averaged.
        #expect(table.rows.filter { $0.diverged == 1 }.count == 4)
    }

    @Test func sortingAndGrouping() throws {
        let s = try SyntheticResults(name: "sort")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        var table = SummaryTable.make(file: file, metric: "loss", views: ["last"])
        let sortedByMean = table.sort(by: "mean")
        #expect(sortedByMean)
        // Cells whose seeds all finished first, by mean; then cells with a diverged seed, by mean
        // (a mean over the survivors must not outrank a cell that never diverged).
        let clean = table.rows.filter { $0.diverged + $0.failed == 0 }.map(\.mean)
        let lossy = table.rows.filter { $0.diverged + $0.failed > 0 }.map(\.mean)
        #expect(!clean.isEmpty && !lossy.isEmpty)
        #expect(table.rows.map(\.mean) == clean.sorted() + lossy.sorted())
        let sortedByLr = table.sort(by: "optimizer.lr", descending: true)
        #expect(sortedByLr)
        #expect(table.rows.map { Double($0.key[1].1)! } == table.rows.map { Double($0.key[1].1)! }.sorted(by: >))
        let unknown = table.sort(by: "nonsense")
        #expect(!unknown)
        let grouped = table.group(by: "model")
        #expect(grouped)
        let text = table.render(.text)
        #expect(text.contains("model = a\n") && text.contains("model = b\n"))
        let csv = table.render(.csv).split(separator: "\n")
        #expect(csv.count == 1 + 6 && csv[0].hasPrefix("model,optimizer.lr,view,n,diverged,mean"))
        let json = try JSONSerialization.jsonObject(with: Data(table.render(.json).utf8)) as! [String: Any]
        #expect((json["rows"] as! [Any]).count == 6)
        #expect(table.render(.markdown).contains("| optimizer.lr |"))
    }

    @Test func reductions() {
        let steps = [0, 1, 3]
        let s = [4.0, 2.0, 1.0]
        #expect(Reduction.final.apply(s, steps: steps) == 1)
        #expect(Reduction.best(minimize: false).apply(s, steps: steps) == 4)
        #expect(Reduction.atStep(2).apply(s, steps: steps) == 2)
        // Trapezoid: (4+2)/2*1 + (2+1)/2*2 = 6, over a span of 3 steps.
        #expect(Reduction.auc.apply(s, steps: steps) == 2)
        #expect(metricMinimizes("train_loss") && !metricMinimizes("test_accuracy"))
        #expect(quantile([1, 2, 3, 4], 0.25) == 1.75)  // numpy.quantile([1,2,3,4], 0.25)
    }
}

@Suite struct BestOverTests {
    @Test func picksTheBestStepSizeAndFlagsTheEdge() throws {
        let s = try SyntheticResults(name: "best")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let index = CellIndex.make(file: file)
        let tuned = try TunedComparison.make(file: file, cells: index, metric: "loss", tuned: ["optimizer.lr"],
                                             minimize: true, views: ["last"])
        #expect(tuned.rows.count == 2)
        let a = try #require(tuned.rows.first { $0.group[0].1 == "a" })
        let b = try #require(tuned.rows.first { $0.group[0].1 == "b" })
        // a: lr 0.1 has the fastest rate, an interior value of the grid.
        #expect(a.winner.map(\.1) == ["0.1"] && a.edge.isEmpty)
        // b: lr 1 would be best but has a diverged seed (score +inf); 0.1 wins.
        #expect(b.winner.map(\.1) == ["0.1"] && b.excludedDiverged == 1 && b.candidates == 3)
        // The winning score is the seed mean of the final values.
        let expected = (0..<4).map { SyntheticResults.curve(model: "a", lr: 0.1, seed: $0).last! }.reduce(0, +) / 4
        #expect(abs(a.score - expected) < 1e-12)

        // Without the lr = 0.1 cells' advantage: maximising accuracy picks the smallest-loss
        // value; minimising accuracy picks lr 0.01 for a, on the edge of the grid.
        let worst = try TunedComparison.make(file: file, cells: index, metric: "accuracy", tuned: ["optimizer.lr"],
                                             minimize: true, views: ["last"])
        let aw = try #require(worst.rows.first { $0.group[0].1 == "a" })
        #expect(aw.winner.map(\.1) == ["0.01"] && aw.edge == ["optimizer.lr"])
        #expect(worst.warnings.contains { $0.contains("model=a") && $0.contains("edge") })
        #expect(worst.render(.text).contains("edge"))
        #expect(throws: (any Error).self) {
            try TunedComparison.make(file: file, cells: index, metric: "loss", tuned: ["optimizer.momentum"], minimize: true)
        }
    }

    @Test func aucRankingAndViews() throws {
        let s = try SyntheticResults(name: "auc")
        defer { s.remove() }
        let file = try ResultsFile(path: s.path)
        let index = CellIndex.make(file: file)
        #expect(index.allViews == ["last", "avg"])
        let tuned = try TunedComparison.make(file: file, cells: index, metric: "loss", tuned: ["optimizer.lr"],
                                             reduction: .auc, minimize: true)
        #expect(tuned.rows.count == 4)
        for r in tuned.rows { #expect(!r.winner.isEmpty && r.score.isFinite) }
    }
}
