import ExprunCore
import Foundation
import Testing
@testable import ExprunData

@Suite struct SharedHelpersTests {
    @Test func splitSizesDisjointAndDeterministic() {
        for (n, fraction, expectedTest) in [(100, 0.25, 25), (10, 0.01, 1), (3, 0.9, 2), (1, 0.5, 0), (7, 0.0, 0)] {
            let s = TrainTestSplit(count: n, testFraction: fraction, seed: 4)
            #expect(s.test.count == expectedTest && s.train.count == n - expectedTest)
            #expect(Set(s.train).isDisjoint(with: s.test) && Set(s.train + s.test) == Set(0..<n))
            #expect(s.train == s.train.sorted() && s.test == s.test.sorted())
        }
        let a = TrainTestSplit(count: 1000, testFraction: 0.3, seed: 1)
        #expect(a == TrainTestSplit(count: 1000, testFraction: 0.3, seed: 1))
        #expect(a != TrainTestSplit(count: 1000, testFraction: 0.3, seed: 2))
    }

    @Test func labelMappingRules() throws {
        let binary = try LabelMapping.infer([5, 2, 5], task: "auto")
        #expect(binary.task == .binary && binary.apply([5, 2]) == [1, -1])
        let multi = try LabelMapping.infer([10, -1, 3, 3], task: "auto")
        #expect(multi.task == .multiclass(classes: 3) && multi.apply([10, -1, 3]) == [2, 0, 1])
        #expect(try LabelMapping.infer((0..<101).map(Double.init), task: "auto").task == .regression)
        #expect(try LabelMapping.infer((0..<100).map(Double.init), task: "auto").task == .multiclass(classes: 100))
        #expect(try LabelMapping.infer([0.5, 1, 2], task: "auto").task == .regression)
        #expect(try LabelMapping.infer([1, 1, 1], task: "auto").task == .regression)
        #expect(try LabelMapping.infer([0, 1], task: "multiclass").task == .multiclass(classes: 2))
        #expect(throws: ComponentError.self) { try LabelMapping.infer([1, 1], task: "binary") }
    }

    /// The byte parser agrees with strtod bit for bit, on the fast path and the slow one.
    @Test func decimalParsingMatchesStrtod() {
        var texts = ["0", "-0", "1", "+2.5", "0.1", ".5", "5.", "1e10", "1E-10", "-3.25e+2", "123456789012345678",
                     "0.30000000000000004", "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308",
                     "9007199254740993", "12345678901234567890123", "0.000000000000000000000000001234"]
        var state: UInt64 = 7
        for _ in 0..<2000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let mantissa = state >> 12, exponent = Int((state >> 3) % 60) - 30
            texts.append("\(mantissa % 1_000_000_007).\(mantissa % 97)e\(exponent)")
            texts.append(String(Double(bitPattern: state >> 2)))
        }
        for text in texts {
            let bytes = Array(text.utf8)
            let parsed = bytes.withUnsafeBufferPointer { parseDecimal($0.baseAddress!, 0, bytes.count) }
            let reference = strtod(text, nil)
            if reference.isFinite {
                #expect(parsed?.bitPattern == reference.bitPattern, "\(text)")
            } else {
                #expect(parsed == nil, "\(text)")
            }
        }
        for bad in ["", "-", ".", "e5", "1e", "1.2.3", "1x", "inf", "nan", "0x10", "1e400"] {
            let bytes = Array(bad.utf8) + [0]
            #expect(bytes.withUnsafeBufferPointer { parseDecimal($0.baseAddress!, 0, bytes.count - 1) } == nil, "\(bad)")
        }
    }

    /// Kinds, docs and default ranges are the catalogue contract's (Tests/ContractTests);
    /// what is particular to data sets: every kind offers the bias column.
    @Test func catalogueDeclarations() {
        for entry in datasetCatalogue {
            #expect(entry.decl.param("bias") != nil, "bias is uniform across kinds (\(entry.decl.kind))")
        }
    }
}
