import AllocationCounter
import ExprunCatalogue
import ExprunCore
import ExprunTestSupport
import Foundation
import Testing

/// The external model's oracle call allocates nothing (the brief's hot-path rule): a numpy child
/// (tests/python/oracle_children/misbehave.py, mode clean) answers 1000 minibatch gradient
/// calls and 1000 value calls while the calling thread's mallocs are counted (the first calls,
/// which size the request buffer for the batch, are left out). It holds in debug builds too.
@Suite(.serialized, .enabled(if: exprun_allocation_counter_available() != 0))
struct ExternalOracleAllocations {
    @Test func anOracleCallAllocatesNothing() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
        let command = ["/usr/bin/env", "PYTHONPATH=\(root)/python/exprun", "python3",
                       "\(root)/tests/python/oracle_children/misbehave.py", "clean"]
        let entry = try #require(Catalogue.model("external"))
        let model = try entry.make(try resolve(entry.decl, ["command": command]), .none)
        var x = [Double](repeating: 0, count: model.dimension), g = x
        let rows = [3, 1, 4, 1, 5]
        func calls(_ k: Int) -> Double {
            var sum = 0.0
            x.withUnsafeBufferPointer { xb in
                g.withUnsafeMutableBufferPointer { gb in
                    rows.withUnsafeBufferPointer { rb in
                        for _ in 0..<k {
                            sum += model.batchLossAndGradient(xb, rows: rb, gradient: gb)
                            sum += model.batchLoss(xb, rows: rb, scratch: gb)
                        }
                    }
                }
            }
            return sum
        }
        _ = calls(5)
        exprun_allocation_counter_start()
        let total = calls(1000)
        let allocated = exprun_allocation_counter_stop()
        #expect(total.isFinite && total > 0)
        #expect((model as? any FallibleObjective)?.failure == nil)
        #expect(allocated == 0, "\(allocated) allocations in 2000 oracle calls")
    }
}
