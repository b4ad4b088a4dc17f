import ExprunCore
import Foundation
import Testing
@testable import ExprunData

@Suite struct CSVTests {
    let entry = CSVDataset.entry

    func load(_ text: String, _ overrides: [String: Value] = [:]) throws -> Dataset {
        let dir = try temporaryDirectory()
        try writeText(text, to: dir + "/t.csv")
        var o = overrides
        o["path"] = .string("t.csv")
        return try entry.make(resolvedParams(entry, o), context(base: dir))
    }

    @Test func headerAutoDetected() throws {
        let data = try load("a, b ,\"label\"\r\n1,2,0\r\n3.5,-4e1,1\r\n\r\n")
        #expect(data.task == .binary && data.train.targets == [-1, 1])
        #expect(dense(data.train.features).values == [1, 2, 3.5, -40])
        #expect(data.info["columns"] == .list([.string("a"), .string("b"), .string("label")]))
        let noHeader = try load("1,2,0\n3,4,1\n")
        #expect(noHeader.train.count == 2 && noHeader.info["columns"] == nil)
        // header: yes drops a numeric first line; header: no keeps it.
        #expect(try load("9,9,5\n1,2,0\n3,4,1\n", ["header": .string("yes")]).train.count == 2)
        #expect(try load("1,2,0\n3,4,1\n", ["header": .string("no")]).train.count == 2)
    }

    @Test func targetColumnDelimiterAndTask() throws {
        let data = try load("0;1.5;2\n2;2.5;3\n1;3.5;4\n", ["target_column": .int(0), "delimiter": .string(";")])
        #expect(data.task == .multiclass(classes: 3) && data.train.targets == [0, 2, 1])
        #expect(dense(data.train.features).values == [1.5, 2, 2.5, 3, 3.5, 4])
        let tabs = try load("1\t2\t0.5\n3\t4\t0.25\n5\t6\t1\n", ["delimiter": .string("\\t")])
        #expect(tabs.task == .regression && tabs.train.targets == [0.5, 0.25, 1])
        let spaces = try load("  1   2  7\n3 4 8\n", ["delimiter": .string(" "), "task": .string("regression")])
        #expect(dense(spaces.train.features).values == [1, 2, 3, 4] && spaces.train.targets == [7, 8])
        #expect(entry.decl.check?(resolvedParams(entry, ["path": .string("x"), "delimiter": .string(";;")])).map(\.param) == ["delimiter"])
    }

    @Test func errorsNameFileLineAndColumn() {
        func message(_ text: String, _ o: [String: Value] = [:]) -> String {
            componentErrorMessage { _ = try load(text, o) } ?? "no error"
        }
        // The column is the 1-based character column of the bad cell (of where a missing one
        // would start; of the first extra one), counted in characters, not bytes.
        #expect(message("x,y\n1,2\n3\n").hasSuffix("t.csv:3:2: expected 2 fields, found 1"))
        #expect(message("x,y\n1,2\n3,4,5\n").hasSuffix("t.csv:3:5: expected 2 fields, found 3"))
        #expect(message("1,2\n3,abc\n").hasSuffix("t.csv:2:3: field 2: expected a number, found 'abc'"))
        #expect(message("1,2\n3,\n").hasSuffix("t.csv:2:3: field 2: expected a number, found an empty field"))
        #expect(message("1,2,3\n4,  \"x\" ,6\n").hasSuffix("t.csv:2:5: field 2: expected a number, found 'x'"))
        #expect(message("é,ü,z\n1,2,3\n1,2,né\n").hasSuffix("t.csv:3:5: field 3: expected a number, found 'né'"))
        #expect(message("é;ü;z\n1;2;3\nü;2;x\n", ["delimiter": .string(";")]).hasSuffix("t.csv:3:1: field 1: expected a number, found 'ü'"))
        #expect(message("  1   2  7\n3 4 q\n", ["delimiter": .string(" ")]).hasSuffix("t.csv:2:5: field 3: expected a number, found 'q'"))
        #expect(message("h1,h2\n1,2\n", ["target_column": .int(5)]).hasSuffix("t.csv:2:1: target_column 5 is out of range for 2 columns"))
        #expect(message("h1,h2\n").hasSuffix("t.csv: no data rows"))
        #expect(message("1,0.5\n2,1.5\n", ["task": .string("multiclass")]).contains("task multiclass needs integer labels"))
    }

    /// Standardization uses the training rows' statistics only: the test rows are scaled by
    /// them (so their own mean is not 0), and a constant column becomes 0.
    @Test func standardizationUsesTrainStatistics() throws {
        var text = "f,c,y\n"
        for i in 0..<40 { text += "\(Double(i * i) / 7),5,\(Double(i) * 0.5)\n" }
        let data = try load(text, ["standardize": .bool(true), "test_fraction": .double(0.25), "split_seed": .int(1)])
        let raw = try load(text, ["test_fraction": .double(0.25), "split_seed": .int(1)])
        let train = dense(data.train.features), test = dense(data.test!.features)
        let rawTrain = dense(raw.train.features), rawTest = dense(raw.test!.features)
        let column = (0..<train.rows).map { rawTrain[$0, 0] }
        let mean = column.reduce(0, +) / Double(column.count)
        let sd = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)).squareRoot()
        for i in 0..<train.rows { #expect(abs(train[i, 0] - (rawTrain[i, 0] - mean) / sd) < 1e-12) }
        for i in 0..<test.rows { #expect(abs(test[i, 0] - (rawTest[i, 0] - mean) / sd) < 1e-12) }
        #expect((0..<train.rows).allSatisfy { train[$0, 1] == 0 } && (0..<test.rows).allSatisfy { test[$0, 1] == 0 })
        let testMean = (0..<test.rows).map { test[$0, 0] }.reduce(0, +) / Double(test.rows)
        #expect(abs(testMean) > 1e-3)
        #expect(data.train.targets == raw.train.targets)
    }
}
