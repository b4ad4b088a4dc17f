import ExprunCore
import Foundation

/// A scratch file a merge writes as it goes and reads back once, in order: what /index and
/// /tables gather from every run (ConsolidatedTables.swift) waits here rather than in memory,
/// so a merge of 100,000 runs holds what one block of rows needs, not all of them.
///
/// The file is unlinked as soon as it is created: nothing is left behind whatever ends the
/// process (kill -9 included), and the space returns when it is closed. It lives next to the
/// results file (same file system as the output, which is sized for it), not in /tmp. Every
/// write is checked: a full disk is a StoreError, and the merge fails leaving results.h5 as it was.
final class SpillFile {
    private let fd: Int32
    /// What is appended and not yet written.
    var out = ByteWriter(capacity: SpillFile.bufferSize + 4096)
    private var written: UInt64 = 0
    private static let bufferSize = 1 << 20

    init(directory: String) throws {
        var template = Array(((directory as NSString).appendingPathComponent(".exprun-spill-XXXXXX")).utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw StoreError("cannot create a scratch file in \(directory): \(String(cString: strerror(errno)))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    }

    deinit { close(fd) }

    /// Bytes appended so far.
    var size: UInt64 { written + UInt64(out.count) }

    /// Writes the buffer out once it is full; call after each record.
    func flushIfFull() throws { if out.count >= Self.bufferSize { try flush() } }

    func flush() throws {
        guard out.withUnsafeBytes({ writeFully(fd, $0, at: written) }) else {
            throw StoreError("cannot write a scratch file of the merge: \(String(cString: strerror(errno)))")
        }
        written += UInt64(out.count)
        out.removeAll()
    }

    /// Reads the file from its start (flushing first), through a window of `bufferSize` bytes.
    func reader() throws -> Reader {
        try flush()
        return Reader(fd: fd, size: written)
    }

    /// Sequential little-endian reads; a read past the end is a StoreError (a bug: the merge
    /// reads back exactly what it wrote).
    final class Reader {
        private let fd: Int32
        private let size: UInt64
        private var window = [UInt8]()
        private var windowStart: UInt64 = 0
        private var at = 0

        fileprivate init(fd: Int32, size: UInt64) {
            self.fd = fd
            self.size = size
            window.reserveCapacity(SpillFile.bufferSize)
        }

        /// Makes `n` bytes available at `at`.
        private func need(_ n: Int) throws {
            if at + n <= window.count { return }
            let start = windowStart + UInt64(at)
            let length = Int(min(UInt64(max(n, SpillFile.bufferSize)), size - min(start, size)))
            guard length >= n else { throw StoreError("a scratch file of the merge ended early") }
            window = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                var done = 0
                while done < length {
                    let r = pread(fd, buffer.baseAddress! + done, length - done, off_t(start) + off_t(done))
                    if r <= 0 { break }
                    done += r
                }
                count = done
            }
            guard window.count == length else { throw StoreError("cannot read a scratch file of the merge: \(String(cString: strerror(errno)))") }
            windowStart = start
            at = 0
        }

        func u8() throws -> UInt8 { try need(1); defer { at += 1 }; return window[at] }
        func u32() throws -> UInt32 {
            try need(4)
            defer { at += 4 }
            return window.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }.littleEndian
        }
        func u64() throws -> UInt64 {
            try need(8)
            defer { at += 8 }
            return window.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) }.littleEndian
        }
        func string() throws -> String {
            let n = Int(try u32())
            try need(n)
            defer { at += n }
            return window.withUnsafeBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[at..<(at + n)]), as: UTF8.self) }
        }

        /// A value written by `SpillFile.value`.
        func value() throws -> Value {
            switch try u8() {
            case 0: return .int(Int(Int64(bitPattern: try u64())))
            case 1: return .double(Double(bitPattern: try u64()))
            case 2: return .bool(try u8() != 0)
            case 3: return .string(try string())
            default:
                let n = Int(try u32())
                var list: [Value] = []
                list.reserveCapacity(min(n, 1 << 16))
                for _ in 0..<n { list.append(try value()) }
                return .list(list)
            }
        }
    }

    /// Appends `v` (a tag, then its bytes; a list's elements recursively).
    func value(_ v: Value) {
        switch v {
        case .int(let x): out.u8(0); out.u64(UInt64(bitPattern: Int64(x)))
        case .double(let x): out.u8(1); out.u64(x.bitPattern)
        case .bool(let x): out.u8(2); out.u8(x ? 1 : 0)
        case .string(let s): out.u8(3); string(s)
        case .list(let list):
            out.u8(4); out.u32(UInt32(list.count))
            for element in list { value(element) }
        }
    }

    func string(_ s: String) {
        var s = s
        s.withUTF8 { bytes in out.u32(UInt32(bytes.count)); out.bytes(bytes) }
    }
}
