import Foundation

/// Sizes read from input files, checked against this machine's memory before they are allocated.
public enum MemoryBudget {
    /// Physical memory in bytes.
    public static var physicalBytes: UInt64 { ProcessInfo.processInfo.physicalMemory }

    /// A run keeps some tens of vectors of the parameter dimension (iterate, gradient, optimizer
    /// state, iterate views, per-class weights): one such vector may use at most 1/64 of memory.
    public static let vectorsPerRun: UInt64 = 64

    /// nil when `count` Float64 values per vector (times `copies`) fit; else why not, in words.
    public static func vectorProblem(count: Int, copies: Int = 1, what: String) -> String? {
        let bytes = UInt64(max(count, 0)).multipliedReportingOverflow(by: 8 * UInt64(max(copies, 1)))
        let limit = physicalBytes / vectorsPerRun
        guard bytes.overflow || bytes.partialValue > limit else { return nil }
        let gb = { (b: UInt64) in String(format: "%.1f GB", Double(b) / 1e9) }
        return "\(what) needs \(bytes.overflow ? "more than 10^19 bytes" : gb(bytes.partialValue)) per vector, "
            + "and a run keeps tens of them; this machine has \(gb(physicalBytes)) of memory"
    }
}
