import ExprunCore
import Foundation
import Testing
@testable import ExprunData

@Suite struct TeacherStudentTests {
    let entry = TeacherStudentDataset.entry

    @Test func shapesAndTasks() throws {
        let binary = try entry.make(resolvedParams(entry, ["n": .int(500), "dim": .int(8)]), context())
        #expect(binary.task == .binary)
        #expect(binary.train.count == 400 && binary.test?.count == 100 && binary.dimension == 8)
        #expect(Set(binary.train.targets + binary.test!.targets) == [-1, 1])
        #expect(binary.trueWeights == nil)

        let multi = try entry.make(resolvedParams(entry, ["n": .int(600), "dim": .int(5), "classes": .int(4),
                                                          "hidden": .list([.int(7), .int(6)])]), context())
        #expect(multi.task == .multiclass(classes: 4))
        #expect(Set(multi.train.targets) == [0, 1, 2, 3])

        let regression = try entry.make(resolvedParams(entry, ["n": .int(50), "dim": .int(3), "task": .string("regression"),
                                                               "test_fraction": .double(0), "bias": .bool(true)]), context())
        #expect(regression.task == .regression && regression.test == nil)
        #expect(regression.train.count == 50 && regression.dimension == 4)
        #expect(dense(regression.train.features).values[3] == 1, "the bias column is appended")
    }

    @Test func determinism() throws {
        let p = resolvedParams(entry, ["n": .int(60), "dim": .int(4), "noise": .double(0.3), "classes": .int(3)])
        let a = try entry.make(p, context(seed: 1)), b = try entry.make(p, context(seed: 1))
        let c = try entry.make(p, context(seed: 2))
        #expect(dense(a.train.features).values == dense(b.train.features).values && a.train.targets == b.train.targets)
        #expect(dense(a.train.features).values != dense(c.train.features).values)
        var fixed = p; fixed.values["seed"] = .int(1)
        let d = try entry.make(fixed, context(seed: 50))
        #expect(dense(d.train.features).values == dense(a.train.features).values && d.train.targets == a.train.targets)
        // A different teacher (another width) relabels the very same inputs.
        var wider = p; wider.values["hidden"] = .list([.int(40)])
        let e = try entry.make(wider, context(seed: 1))
        #expect(dense(e.train.features).values != dense(a.train.features).values || e.train.targets != a.train.targets)
    }

    /// Standardized logits make classes about equally likely, for every activation and depth.
    @Test(arguments: ["relu", "tanh", "gelu"], [2, 3, 10])
    func classesAreBalanced(activation: String, classes: Int) throws {
        let p = resolvedParams(entry, ["n": .int(4000), "dim": .int(10), "classes": .int(classes),
                                       "activation": .string(activation), "hidden": .list([.int(32), .int(16)]),
                                       "test_fraction": .double(0)])
        let data = try entry.make(p, context(seed: 3))
        let labels = classes == 2 ? data.train.targets.map { $0 > 0 ? 1 : 0 } : data.train.targets.map { Int($0) }
        var counts = [Int](repeating: 0, count: classes)
        for c in labels { counts[c] += 1 }
        let share = counts.map { Double($0) * Double(classes) / 4000 }
        #expect(share.allSatisfy { $0 > 0.4 && $0 < 1.6 }, "\(activation) K=\(classes): \(counts)")
    }

    @Test func errorsAreComponentErrors() throws {
        let p = resolvedParams(entry, ["n": .int(1 << 20), "dim": .int(1 << 12)])
        #expect(componentErrorMessage { _ = try entry.make(p, context()) }?.contains("too large") == true)
    }

    /// numpy recomputes the teacher from its parameters (torch's out x in layout): the labels
    /// are the argmax of its outputs, regression targets are its output, and on fresh inputs
    /// every output has mean 0 and variance 1.
    @Test(arguments: ["relu", "gelu"]) func teacherMatchesNumpy(activation: String) throws {
        for task in ["classification", "regression"] {
            let p = resolvedParams(entry, ["n": .int(300), "dim": .int(6), "classes": .int(5), "task": .string(task),
                                           "activation": .string(activation), "hidden": .list([.int(9), .int(7)]),
                                           "test_fraction": .double(0)])
            let data = try entry.make(p, context(seed: 4))
            let teacher = try TeacherNetwork(params: p, root: RNG(seed: 4, purpose: DataStreams.purpose(p)))
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try writeDoubles(teacher.parameters, to: dir + "/w")
            try writeDoubles(dense(data.train.features).values, to: dir + "/x")
            try writeDoubles(data.train.targets, to: dir + "/y")
            let script = """
            import sys, numpy as np
            from scipy.special import erf
            d, widths, act, task = sys.argv[1], [int(v) for v in sys.argv[2].split(",")], sys.argv[3], sys.argv[4]
            w, y = np.fromfile(d + "/w"), np.fromfile(d + "/y")
            f = {"relu": lambda z: np.maximum(z, 0), "gelu": lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2)))}[act]
            def forward(h):
                o = 0
                for l in range(len(widths) - 1):
                    W = w[o:o + widths[l] * widths[l + 1]].reshape(widths[l + 1], widths[l]); o += W.size
                    b = w[o:o + widths[l + 1]]; o += widths[l + 1]
                    h = h @ W.T + b
                    if l < len(widths) - 2: h = f(h)
                assert o == w.size
                return h
            z = forward(np.fromfile(d + "/x").reshape(-1, widths[0]))
            if task == "regression":
                mismatch = np.abs(z[:, 0] - y).max()
            else:
                mismatch = float((z.argmax(axis=1) != y).sum())
            fresh = forward(np.random.default_rng(0).standard_normal((20000, widths[0])))
            print(mismatch, np.abs(fresh.mean(axis=0)).max(), np.abs(fresh.std(axis=0) - 1).max())
            """
            let r = numbers(try runPython(script, [dir, teacher.widths.map(String.init).joined(separator: ","),
                                                  activation, task]))
            #expect(r.count == 3)
            if task == "regression" { #expect(r[0] < 1e-12, "\(activation) \(task)") } else { #expect(r[0] == 0) }
            #expect(r[1] < 0.05 && r[2] < 0.05, "\(activation) \(task): standardization \(r)")
        }
    }
}
