import ExprunCore
import ExprunModels
import ExprunTestSupport
import Foundation
import Testing

/// The external oracle's frame codec and bounds against the byte layout of
/// docs/external_oracle.md written out by hand here (not through the encoder), and the process
/// layer against children written in sh (the Python helper's side is in
/// tests/python/test_external_oracle.py).
@Suite struct ExternalOracleTests {
    /// Little-endian bytes of integers, for frames built by hand.
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    func name(_ s: String) -> [UInt8] { Array(s.utf8) + [UInt8](repeating: 0, count: 64 - s.utf8.count) }
    func hello(d: UInt64, n: UInt64, blocks: [(String, UInt64, UInt64)], metrics: [String] = [], x0: [Double]? = nil,
               version: UInt32 = 1) -> [UInt8] {
        var p = le(version) + le(UInt32(1)) + le(d) + le(n) + le(UInt32(blocks.count)) + le(UInt32(metrics.count))
            + le(UInt32(x0 == nil ? 0 : 1)) + le(UInt32(0))
        for (nm, r, c) in blocks { p += le(r) + le(c) + name(nm) }
        for m in metrics { p += name(m) }
        for v in x0 ?? [] { p += le(v.bitPattern) }
        return p
    }

    @Test("CRC-32 is zlib's: the standard check values")
    func crcCheckValues() {
        let check = Array("123456789".utf8), fox = Array("The quick brown fox jumps over the lazy dog".utf8)
        #expect(check.withUnsafeBytes { CRC32.checksum($0.baseAddress!, count: $0.count) } == 0xCBF4_3926)
        #expect(fox.withUnsafeBytes { CRC32.checksum($0.baseAddress!, count: $0.count) } == 0x414F_A339)
        // Continuing over a split gives the CRC of the whole (the header and payload are one run).
        let whole = fox.withUnsafeBytes { CRC32.checksum($0.baseAddress!, count: $0.count) }
        let split = fox.withUnsafeBytes { b in
            CRC32.checksum(b.baseAddress! + 13, count: b.count - 13, continuing: CRC32.checksum(b.baseAddress!, count: 13))
        }
        #expect(split == whole)
        #expect([UInt8]().withUnsafeBytes { CRC32.checksum($0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, count: 0) } == 0)
    }

    @Test("a header decodes from its bytes; bad magic, type, size are refused")
    func headers() throws {
        let bytes = Array("EXOR".utf8) + le(UInt16(3)) + le(UInt16(1)) + le(UInt32(8024)) + le(UInt32(77))
        let h = try bytes.withUnsafeBytes { try OracleFrameHeader.decode($0.baseAddress!) }
        #expect(h == OracleFrameHeader(type: .result, flags: 1, payloadSize: 8024, sequence: 77))
        var encoded = [UInt8](repeating: 0, count: 16)
        encoded.withUnsafeMutableBytes { h.encode($0.baseAddress!) }
        #expect(encoded == bytes)
        func fault(_ b: [UInt8]) -> String {
            do { _ = try b.withUnsafeBytes { try OracleFrameHeader.decode($0.baseAddress!) }; return "" } catch { return "\(error)" }
        }
        #expect(fault(Array("hello wo".utf8) + bytes[8...]).contains("magic"))
        #expect(fault(Array(bytes[0..<4]) + le(UInt16(9)) + bytes[6...]).contains("unknown frame type 9"))
        #expect(fault(Array(bytes[0..<8]) + le(UInt32(12)) + bytes[12...]).contains("not a multiple of 8"))
        #expect(fault(Array(bytes[0..<8]) + le(UInt32.max - 7) + bytes[12...]).contains("exceeds the protocol's limit"))
    }

    @Test("a hello decodes; every count is bounded before anything is allocated")
    func handshakes() throws {
        let good = hello(d: 6, n: 100, blocks: [("W", 2, 2), ("b", 2, 1)], metrics: ["test_loss"], x0: [1, 2, 3, 4, 5, 6])
        let h = try good.withUnsafeBytes { try OracleHandshake.decode($0.baseAddress!, size: $0.count) }
        #expect(h.dimension == 6 && h.examples == 100 && h.gradient && h.metrics == ["test_loss"])
        #expect(h.blocks == [ParamBlock(name: "W", offset: 0, rows: 2, cols: 2), ParamBlock(name: "b", offset: 4, rows: 2, cols: 1)])
        #expect(h.initialPoint == [1, 2, 3, 4, 5, 6])
        #expect(OracleWire.helloPayloadSize(dimension: 6, blocks: 2, metrics: 1, hasInitialPoint: true) == good.count)
        func fault(_ b: [UInt8]) -> String {
            do { _ = try b.withUnsafeBytes { try OracleHandshake.decode($0.baseAddress!, size: $0.count) }; return "" } catch {
                return "\(error)"
            }
        }
        #expect(fault(hello(d: 6, n: 1, blocks: [("x", 6, 1)], version: 2)).contains("protocol version 2"))
        #expect(fault(hello(d: 0, n: 1, blocks: [("x", 1, 1)])).contains("dimension 0 is outside"))
        #expect(fault(hello(d: 1 << 30, n: 1, blocks: [("x", 1, 1)])).contains("dimension 1073741824 is outside"))
        #expect(fault(hello(d: 2, n: 0, blocks: [("x", 2, 1)])).contains("example count 0"))
        #expect(fault(hello(d: 2, n: 1, blocks: [])).contains("block count 0"))
        #expect(fault(hello(d: 2, n: 1, blocks: [("x", 2, 1)], metrics: (0..<65).map { "m\($0)" })).contains("metric count 65"))
        #expect(fault(hello(d: 6, n: 1, blocks: [("x", 5, 1)])).contains("cover 5 coordinates"))
        #expect(fault(hello(d: 6, n: 1, blocks: [("x", 4, 1), ("y", 4, 1)])).contains("does not fit"))
        #expect(fault(hello(d: 2, n: 1, blocks: [("x", 1 << 62, 1 << 62)])).contains("does not fit"))
        #expect(fault(hello(d: 2, n: 1, blocks: [("a b", 2, 1)])).contains("a name must be"))
        #expect(fault(hello(d: 2, n: 1, blocks: [("x", 1, 1), ("x", 1, 1)])).contains("same name"))
        #expect(fault(hello(d: 2, n: 1, blocks: [("x", 2, 1)], x0: [1, .nan])).contains("coordinate 1 is nan"))
        // A payload whose size disagrees with its counts.
        #expect(fault(Array(good.dropLast(8))).contains("imply"))
    }

    func external(_ script: String, _ extra: [String: Any] = [:]) -> String {
        var given: [String: Any] = ["command": ["/bin/sh", "-c", script], "start_timeout": 2.0, "timeout": 1.0]
        for (k, v) in extra { given[k] = v }
        do {
            _ = try ExternalObjective(params: try resolve(ExternalObjective.decl, given))
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test("a child that is missing, exits, says nothing, or writes garbage fails the model's construction with its reason")
    func childrenThatCannotStart() {
        #expect(external("exit 3").contains("the child died") && external("exit 3").contains("exit status 3"))
        #expect(external("echo starting; echo oops >&2; exit 1").contains("oops"))
        #expect(external("sleep 5", ["start_timeout": 0.3]).contains("timeout"))
        #expect(external("printf 'garbage garbage garbage garbage' >&4; sleep 5").contains("magic"))
        let missing = (try? ExternalObjective(params: resolve(ExternalObjective.decl, ["command": ["/nonexistent/model"]])))
        #expect(missing == nil)
    }

    @Test("a child's hello written by sh is read; the gradient capability is checked against the config")
    func helloFromShell() throws {
        // d = 1, n = 3, one block "x", no metrics, x0 = [0.5], values only (capabilities 0).
        var frame = Array("EXOR".utf8) + le(UInt16(1)) + le(UInt16(0)) + le(UInt32(40 + 80 + 8)) + le(UInt32(0))
        frame += le(UInt32(1)) + le(UInt32(0)) + le(UInt64(1)) + le(UInt64(3)) + le(UInt32(1)) + le(UInt32(0))
            + le(UInt32(1)) + le(UInt32(0)) + le(UInt64(1)) + le(UInt64(1)) + name("x") + le((0.5).bitPattern)
        frame += le(frame.withUnsafeBytes { CRC32.checksum($0.baseAddress!, count: $0.count) })
        let octal = frame.map { "\\" + String($0, radix: 8) }.joined()
        let script = "printf '\(octal)' >&4; sleep 5"
        #expect(external(script).contains("answers values only; set gradient: false"))
        let model = try ExternalObjective(params: resolve(ExternalObjective.decl, ["command": ["/bin/sh", "-c", script],
                                                                                   "gradient": false, "timeout": 0.3]))
        #expect(model.dimension == 1 && model.sampleCount == 3 && model.layout == [ParamBlock(name: "x", offset: 0, rows: 1, cols: 1)])
        var x = [0.0]
        x.withUnsafeMutableBufferPointer { model.initialPoint($0) }
        #expect(x == [0.5])
        // The child never answers: the call times out, the restart's child does the same, the model fails.
        let value = x.withUnsafeBufferPointer { model.fullLoss($0) }
        #expect(value.isNaN)
        #expect(model.failure?.contains("timeout") == true)
        #expect(model.failure?.contains("after 1 of 1 restarts") == true)
    }
}
