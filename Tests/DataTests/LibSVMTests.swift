import ExprunCore
import Foundation
import Testing
@testable import ExprunData

@Suite struct LibSVMTests {
    let entry = LibSVMDataset.entry

    func sparse(_ f: FeatureMatrix) throws -> CSRMatrix {
        guard case .sparse(let m) = f else { throw PythonFailure(description: "expected sparse features") }
        return m
    }

    func load(_ text: String, _ overrides: [String: Value] = [:], file: String = "a.svm") throws -> Dataset {
        let dir = try temporaryDirectory()
        try writeText(text, to: dir + "/" + file)
        var o = overrides
        o["path"] = .string(file)
        return try entry.make(resolvedParams(entry, o), context(base: dir))
    }

    @Test func smallFileExactValuesOneBased() throws {
        let text = """
            # a comment line
            +1 1:0.5 3:-1.25e2 7:3

            -1 2:1e-3 qid:4 5:.25   # trailing comment\r
            1 4:12345678901234567890.5
            """
        let data = try load(text)
        let m = try sparse(data.train.features)
        #expect(data.task == .binary && data.train.targets == [1, -1, 1])
        #expect(m.rows == 3 && m.cols == 7 && m.nonZeros == 6)
        #expect(m.rowStart == [0, 3, 5, 6])
        #expect(m.columns == [0, 2, 6, 1, 4, 3])
        #expect(m.values == [0.5, -125, 3, 0.001, 0.25, 12345678901234567890.5])
        #expect(data.info["nonzeros"] == .int(6))
    }

    @Test func zeroBasedIndicesAndGivenDim() throws {
        let data = try load("3 0:1 2:2\n5 1:4\n", ["zero_based": .bool(true), "dim": .int(10)])
        let m = try sparse(data.train.features)
        #expect(m.cols == 10 && m.columns == [0, 2, 1])
        #expect(data.train.targets == [-1, 1])   // 2 distinct labels: smaller -> -1
    }

    @Test func unsortedRowIsSorted() throws {
        let m = try sparse(load("1 5:5 2:2 9:9\n0 1:1\n").train.features)
        #expect(m.columns == [1, 4, 8, 0] && m.values == [2, 5, 9, 1])
    }

    @Test func labelMappings() throws {
        let multi = try load("3 1:1\n1 1:1\n7 1:1\n3 1:1\n")
        #expect(multi.task == .multiclass(classes: 3) && multi.train.targets == [1, 0, 2, 1])
        let regression = try load("0.5 1:1\n1.5 1:1\n2.25 1:1\n")
        #expect(regression.task == .regression && regression.train.targets == [0.5, 1.5, 2.25])
        let forced = try load("1 1:1\n2 1:1\n", ["task": .string("regression")])
        #expect(forced.task == .regression && forced.train.targets == [1, 2])
        let msg = componentErrorMessage { _ = try load("1 1:1\n2 1:1\n3 1:1\n", ["task": .string("binary")]) }
        #expect(msg?.contains("a.svm: task binary needs exactly 2 distinct labels, found 3") == true, "\(msg ?? "")")
    }

    @Test func errorsNameFileLineAndColumn() throws {
        func message(_ text: String, _ o: [String: Value] = [:]) -> String {
            componentErrorMessage { _ = try load(text, o) } ?? "no error"
        }
        #expect(message("1 1:1\n\n1 2:x\n").hasSuffix("a.svm:3:5: bad feature value 'x'"))
        #expect(message("1 1:1\nfoo 1:2\n").hasSuffix("a.svm:2:1: bad label 'foo'"))
        #expect(message("1 1:1 2\n").hasSuffix("a.svm:1:7: expected index:value, found '2'"))
        #expect(message("1 0:1\n").contains("a.svm:1:3: feature index 0 in a 1-based file"))
        #expect(message("1 -3:1\n").hasSuffix("a.svm:1:3: bad feature index '-3'"))
        #expect(message("1 1:1\n1 11:1\n", ["dim": .int(10)]).hasSuffix("a.svm:2:3: feature index 11 is out of range for dim 10"))
        #expect(message("1 2:1 2:3\n").hasSuffix("a.svm:1:7: feature index 2 appears twice"))
        #expect(message("1 3:1 1:2 3:4 2:1\n").hasSuffix("a.svm:1:11: feature index 3 appears twice"))
        #expect(message("  -1 1:0.5\t2:é\n").hasSuffix("a.svm:1:14: bad feature value 'é'"))
        #expect(message("1 1:1 # é comment\n1 é:1\n").hasSuffix("a.svm:2:3: bad feature index 'é'"))
        #expect(message("1 qid:3 2:1 x\n").hasSuffix("a.svm:1:13: expected index:value, found 'x'"))
        #expect(message("1 1:nan\n").hasSuffix("a.svm:1:5: bad feature value 'nan'"))
        let missing = componentErrorMessage {
            _ = try entry.make(resolvedParams(entry, ["path": .string("/nonexistent/x.svm")]), context())
        }
        #expect(missing == "/nonexistent/x.svm: cannot read file: No such file or directory")
    }

    @Test func testFileSharesMappingAndDim() throws {
        let dir = try temporaryDirectory()
        try writeText("2 1:1\n4 2:1\n", to: dir + "/train.svm")
        try writeText("4 9:1\n", to: dir + "/test.svm")
        let p = resolvedParams(entry, ["path": .string("train.svm"), "test_path": .string("test.svm")])
        let files = entry.inputFiles(p, context(base: dir))
        #expect(files.map(\.param) == ["path", "test_path"] && files[1].path == dir + "/test.svm")
        let data = try entry.make(p, context(base: dir))
        #expect(data.dimension == 9 && data.test?.dimension == 9)
        #expect(data.test?.targets == [1] && data.train.targets == [-1, 1])
        // Both given is a declaration-level problem, reported at test_fraction.
        var both = p; both.values["test_fraction"] = .double(0.5)
        #expect(entry.decl.check?(both).map(\.param) == ["test_fraction"])
    }

    @Test func splitAndBiasStaySparse() throws {
        var text = ""
        for i in 0..<20 { text += "\(i % 2) \(i + 1):\(i)\n" }
        let data = try load(text, ["test_fraction": .double(0.25), "split_seed": .int(3), "bias": .bool(true)])
        let train = try sparse(data.train.features), test = try sparse(data.test!.features)
        #expect(train.rows == 15 && test.rows == 5 && train.cols == 21)
        // Each row has its feature and the bias 1 in the last column; rows are disjoint.
        #expect(train.nonZeros == 30 && test.nonZeros == 10)
        let trainColumns = Set((0..<15).map { train.columns[train.rowStart[$0]] })
        let testColumns = Set((0..<5).map { test.columns[test.rowStart[$0]] })
        #expect(trainColumns.isDisjoint(with: testColumns) && trainColumns.count + testColumns.count == 20)
        #expect((0..<15).allSatisfy { train.columns[train.rowStart[$0 + 1] - 1] == 20 && train.values[train.rowStart[$0 + 1] - 1] == 1 })
    }

    /// A 100k x 50k file with ~20 nonzeros per row (~2M) loads sparse, with every count right.
    @Test func largeFileLoadsSparse() throws {
        let rows = 100_000, dim = 50_000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(40 << 20)
        var state: UInt64 = 12345
        var expectedNonZeros = 0
        var valueSum = 0.0
        func appendInt(_ v: Int) {
            var digits: [UInt8] = []
            var x = v
            repeat { digits.append(UInt8(48 + x % 10)); x /= 10 } while x > 0
            bytes.append(contentsOf: digits.reversed())
        }
        for i in 0..<rows {
            bytes.append(i % 2 == 0 ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            var column = 0
            for _ in 0..<20 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                column += 1 + Int((state >> 33) % 2400)
                if column > dim { break }
                bytes.append(UInt8(ascii: " ")); appendInt(column); bytes.append(UInt8(ascii: ":"))
                let eighths = Int((state >> 20) % 64) + 1
                appendInt(eighths); bytes.append(contentsOf: Array("e-1".utf8))
                valueSum += Double(eighths) / 10
                expectedNonZeros += 1
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        let dir = try temporaryDirectory()
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/big.svm"))
        let start = Date()
        let data = try entry.make(resolvedParams(entry, ["path": .string("big.svm"), "dim": .int(dim)]), context(base: dir))
        let seconds = Date().timeIntervalSince(start)
        let m = try sparse(data.train.features)
        #expect(m.rows == rows && m.cols == dim && m.nonZeros == expectedNonZeros)
        #expect(expectedNonZeros > 1_900_000)
        #expect(abs(m.values.reduce(0, +) - valueSum) < 1e-6 * valueSum)
        #expect(data.task == .binary)
        print("libsvm: parsed \(bytes.count >> 20) MiB, \(expectedNonZeros) nonzeros in \(seconds) s")
    }
}
