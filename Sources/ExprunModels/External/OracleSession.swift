import ExprunCore
import Foundation

/// The conversation with an external model's child: the handshake, then one request and one
/// answer per oracle call, into buffers allocated once (the request buffer grows only when a
/// larger minibatch than any before arrives), with the restart policy:
/// a crash, a bad frame or a timeout kills the child and starts a new one (at most `restarts`
/// times per run), which must describe the same model; the call is then asked again (every
/// request carries the whole x, so a fresh child answers it as the old one would have). An
/// ERROR frame (the model raised) or a changed model is not retried.
final class OracleSession {
    let argv: [String]
    let environment: [String: String]
    let callTimeout: Double
    let startTimeout: Double
    let maxRestarts: Int
    let makeOutput: () -> OracleOutput
    private var process: OracleProcess
    let model: OracleHandshake
    private(set) var restarts = 0
    private(set) var calls = 0
    private var sequence: UInt32 = 0
    private var request: UnsafeMutableRawPointer
    private var requestIndices: Int
    private let reply: UnsafeMutableRawPointer
    private let replyCapacity: Int
    /// The metrics of the last answer that carried them, and the point they are at.
    let metrics: UnsafeMutableBufferPointer<Double>
    let metricsPoint: UnsafeMutableBufferPointer<Double>
    private(set) var hasMetrics = false

    init(argv: [String], environment: [String: String], callTimeout: Double, startTimeout: Double, restarts: Int,
         output: @escaping () -> OracleOutput) throws(OracleFault) {
        self.argv = argv; self.environment = environment
        self.callTimeout = callTimeout; self.startTimeout = startTimeout; maxRestarts = restarts; makeOutput = output
        (process, model) = try Self.start(argv, environment, output(), timeout: startTimeout)
        let d = model.dimension
        requestIndices = 0
        request = .allocateAligned(OracleWire.headerSize + OracleWire.evalPayloadSize(dimension: d, indices: 0) + OracleWire.checkSize)
        replyCapacity = OracleWire.headerSize + max(OracleWire.resultPayloadSize(dimension: d, metrics: model.metrics.count,
                                                                                   flags: [.gradient, .metrics]),
                                                    OracleWire.maxErrorBytes) + OracleWire.checkSize
        reply = .allocateAligned(replyCapacity)
        metrics = .allocate(capacity: model.metrics.count); metrics.initialize(repeating: .nan)
        metricsPoint = .allocate(capacity: d); metricsPoint.initialize(repeating: .nan)
    }

    deinit {
        // BYE, then end-of-file on fd 3: the child may exit cleanly (flush its logs) for a second.
        var bye = [UInt8](repeating: 0, count: OracleWire.headerSize + OracleWire.checkSize)
        bye.withUnsafeMutableBytes { b in
            OracleFrameHeader(type: .bye, flags: 0, payloadSize: 0, sequence: sequence &+ 1).encode(b.baseAddress!)
            b.storeBytes(of: CRC32.checksum(b.baseAddress!, count: OracleWire.headerSize).littleEndian,
                         toByteOffset: OracleWire.headerSize, as: UInt32.self)
            try? process.send(b.baseAddress!, count: b.count, deadline: RunControl.now() + 0.1)
        }
        process.stop(grace: 1)
        request.deallocate(); reply.deallocate(); metrics.deallocate(); metricsPoint.deallocate()
    }

    /// The last lines the current child printed.
    var lastOutput: String { process.output.lastLines() }
    var pid: pid_t { process.pid }

    /// Starts a child and reads its hello.
    private static func start(_ argv: [String], _ environment: [String: String], _ output: OracleOutput,
                              timeout: Double) throws(OracleFault) -> (OracleProcess, OracleHandshake) {
        let process = try OracleProcess(argv: argv, environment: environment, output: output)
        let deadline = RunControl.now() + timeout
        let fixed = OracleWire.headerSize + OracleWire.helloFixedSize
        let head = UnsafeMutableRawPointer.allocateAligned(fixed)
        defer { head.deallocate() }
        try process.receiveAll(head, count: OracleWire.headerSize, deadline: deadline)
        let header = try OracleFrameHeader.decode(head)
        if header.type == .error { throw .modelError(try readMessage(process, header, deadline: deadline, head: head)) }
        guard header.type == .hello else { throw .badFrame("the first frame is of type \(header.type), not a hello") }
        guard header.payloadSize >= OracleWire.helloFixedSize else {
            throw .badFrame("hello payload of \(header.payloadSize) bytes, less than its fixed \(OracleWire.helloFixedSize)")
        }
        // The counts are checked before the rest is read or anything is allocated for it.
        try process.receiveAll(head + OracleWire.headerSize, count: OracleWire.helloFixedSize, deadline: deadline)
        let counts = try OracleHandshake.counts(head + OracleWire.headerSize)
        guard counts.payloadSize == header.payloadSize else {
            throw .badFrame("hello payload of \(header.payloadSize) bytes; its counts imply \(counts.payloadSize)")
        }
        let size = OracleWire.headerSize + header.payloadSize + OracleWire.checkSize
        let frame = UnsafeMutableRawPointer.allocateAligned(size)
        defer { frame.deallocate() }
        frame.copyMemory(from: head, byteCount: fixed)
        try process.receiveAll(frame + fixed, count: size - fixed, deadline: deadline)
        try checkCRC(frame, payloadSize: header.payloadSize)
        return (process, try OracleHandshake.decode(frame + OracleWire.headerSize, size: header.payloadSize))
    }

    private static func checkCRC(_ p: UnsafeRawPointer, payloadSize: Int) throws(OracleFault) {
        let covered = OracleWire.headerSize + payloadSize
        let sent = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: covered, as: UInt32.self))
        let computed = CRC32.checksum(p, count: covered)
        guard sent == computed else {
            throw .badFrame("CRC-32 0x\(String(sent, radix: 16)) does not match the frame's 0x\(String(computed, radix: 16))")
        }
    }

    /// The rest of an ERROR frame whose header (at `head`) is read: its message.
    private static func readMessage(_ process: OracleProcess, _ header: OracleFrameHeader, deadline: Double,
                                    head: UnsafeRawPointer) throws(OracleFault) -> String {
        guard header.payloadSize <= OracleWire.maxErrorBytes else {
            throw .badFrame("error message of \(header.payloadSize) bytes exceeds \(OracleWire.maxErrorBytes)")
        }
        let size = OracleWire.headerSize + header.payloadSize + OracleWire.checkSize
        let frame = UnsafeMutableRawPointer.allocateAligned(size)
        defer { frame.deallocate() }
        frame.copyMemory(from: head, byteCount: OracleWire.headerSize)
        try process.receiveAll(frame + OracleWire.headerSize, count: size - OracleWire.headerSize, deadline: deadline)
        try checkCRC(frame, payloadSize: header.payloadSize)
        let text = UnsafeRawBufferPointer(start: frame + OracleWire.headerSize, count: header.payloadSize)
        return String(decoding: text.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Kills the child and starts another, which must describe the same model.
    func restart() throws(OracleFault) {
        process.stop(grace: 0)
        restarts += 1
        let (fresh, hello) = try Self.start(argv, environment, makeOutput(), timeout: startTimeout)
        process = fresh
        guard hello.dimension == model.dimension, hello.examples == model.examples, hello.blocks == model.blocks,
              hello.metrics == model.metrics, hello.gradient == model.gradient else {
            throw .badHandshake("the restarted child describes another model (dimension \(hello.dimension), "
                                + "\(hello.examples) examples) than the first (dimension \(model.dimension), \(model.examples) examples)")
        }
    }

    /// One call: x, the rows (nil: the whole training set) and what is wanted; the loss is
    /// returned, the gradient written to `gradient` (when asked), the metrics kept in `metrics`.
    func call(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>?, flags: OracleWire.Flags,
              gradient: UnsafeMutablePointer<Double>?) throws(OracleFault) -> Double {
        let d = model.dimension, b = rows?.count ?? 0
        if b > requestIndices {   // the first minibatch (or a larger one): the only growth
            request.deallocate()
            request = .allocateAligned(OracleWire.headerSize + OracleWire.evalPayloadSize(dimension: d, indices: b) + OracleWire.checkSize)
            requestIndices = b
        }
        sequence &+= 1
        let payload = OracleWire.evalPayloadSize(dimension: d, indices: b)
        OracleFrameHeader(type: .eval, flags: flags.rawValue, payloadSize: payload, sequence: sequence).encode(request)
        let body = request + OracleWire.headerSize
        body.storeBytes(of: UInt64(b).littleEndian, as: UInt64.self)
        (body + 8).copyMemory(from: x.baseAddress!, byteCount: 8 * d)   // little-endian hosts (x86-64, arm64)
        if let rows {
            let indices = (body + 8 + 8 * d).assumingMemoryBound(to: Int64.self)
            for k in 0..<b { indices[k] = Int64(rows[k]).littleEndian }
        }
        let covered = OracleWire.headerSize + payload
        request.storeBytes(of: CRC32.checksum(request, count: covered).littleEndian, toByteOffset: covered, as: UInt32.self)
        let deadline = RunControl.now() + callTimeout
        try process.send(request, count: covered + OracleWire.checkSize, deadline: deadline)

        let answered = flags.intersection(.answerParts)
        let resultSize = OracleWire.resultPayloadSize(dimension: d, metrics: model.metrics.count, flags: answered)
        let expected = OracleWire.headerSize + resultSize + OracleWire.checkSize
        var got = 0
        while got < OracleWire.headerSize { got += try process.receive(reply + got, count: expected - got, deadline: deadline) }
        let header = try OracleFrameHeader.decode(reply)
        let total = OracleWire.headerSize + header.payloadSize + OracleWire.checkSize
        if header.type == .error {
            guard total <= replyCapacity else {
                throw .badFrame("error message of \(header.payloadSize) bytes exceeds \(OracleWire.maxErrorBytes)")
            }
            if got < total { try process.receiveAll(reply + got, count: total - got, deadline: deadline) }
            try Self.checkCRC(reply, payloadSize: header.payloadSize)
            let text = UnsafeRawBufferPointer(start: reply + OracleWire.headerSize, count: header.payloadSize)
            throw .modelError(String(decoding: text.prefix { $0 != 0 }, as: UTF8.self))
        }
        guard header.type == .result else { throw .badFrame("a frame of type \(header.type) where a result was due") }
        guard header.sequence == sequence else {
            throw .badFrame("the result answers request \(header.sequence); request \(sequence) was sent")
        }
        guard header.flags == answered.rawValue, header.payloadSize == resultSize else {
            throw .badFrame("result with flags \(header.flags) and \(header.payloadSize) payload bytes; "
                            + "flags \(answered.rawValue) and \(resultSize) bytes were asked")
        }
        if got < total { try process.receiveAll(reply + got, count: total - got, deadline: deadline) }
        try Self.checkCRC(reply, payloadSize: resultSize)
        calls += 1
        let answer = reply + OracleWire.headerSize
        let loss = Double(bitPattern: UInt64(littleEndian: answer.load(as: UInt64.self)))
        var at = 8
        if answered.contains(.gradient) {
            if let gradient { UnsafeMutableRawPointer(gradient).copyMemory(from: answer + at, byteCount: 8 * d) }
            at += 8 * d
        }
        if answered.contains(.metrics) {
            UnsafeMutableRawPointer(metrics.baseAddress!).copyMemory(from: answer + at, byteCount: 8 * metrics.count)
            UnsafeMutableRawPointer(metricsPoint.baseAddress!).copyMemory(from: x.baseAddress!, byteCount: 8 * d)
            hasMetrics = true
        }
        return loss
    }

    /// Whether `metrics` are those at x (the same bits).
    func hasMetrics(at x: UnsafeBufferPointer<Double>) -> Bool {
        hasMetrics && memcmp(metricsPoint.baseAddress!, x.baseAddress!, 8 * x.count) == 0
    }
}

private extension UnsafeMutableRawPointer {
    /// `bytes` bytes aligned for doubles, zeroed.
    static func allocateAligned(_ bytes: Int) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        return p
    }
}
