import ExprunCore

/// The external oracle's wire format, version 1 (docs/external_oracle.md is its specification):
/// little-endian frames `header (16 bytes) | payload (a multiple of 8 bytes) | CRC-32 (4 bytes)`.
///
///     header: u32 magic "EXOR" | u16 type | u16 flags | u32 payload bytes | u32 sequence
///
/// The CRC-32 (zlib's: IEEE polynomial, reflected, initial and final xor 0xFFFFFFFF) covers the
/// header and the payload. Every size is checked against the limits below before anything is
/// allocated for it, so a child that sends garbage costs a precise error, never a crash.
public enum OracleWire {
    /// "EXOR" read as a little-endian u32.
    public static let magic: UInt32 = 0x524F_5845
    public static let version: UInt32 = 1
    public static let headerSize = 16
    public static let checkSize = 4

    public enum FrameType: UInt16, Sendable {
        /// child -> exprun, once, first: the model's description (`OracleHandshake`).
        case hello = 1
        /// exprun -> child: x and the minibatch's example indices (or the whole training set).
        case eval = 2
        /// child -> exprun: the loss, then the gradient and the metrics when asked.
        case result = 3
        /// child -> exprun: the model raised; the payload is a UTF-8 message (the run fails).
        case error = 4
        /// exprun -> child: the run is over; exit.
        case bye = 5
    }

    /// Flags of an `eval` request (and of its `result`, which echoes those it answers).
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// The gradient is wanted (else the value alone: zeroth-order methods, train_loss).
        public static let gradient = Flags(rawValue: 1)
        /// The model's named metrics at x are wanted (at log points, with `full`).
        public static let metrics = Flags(rawValue: 2)
        /// The whole training set: no indices follow x.
        public static let full = Flags(rawValue: 4)
        /// The parts a result can carry (a constant: an array literal would allocate per call in debug builds).
        public static let answerParts = Flags(rawValue: 3)
    }

    // Limits, checked before allocating (a handshake beyond them is refused with its value).
    public static let maxDimension = 1 << 24
    public static let maxExamples = 1 << 40
    public static let maxBlocks = 4096
    public static let maxMetrics = 64
    /// Block and metric names: NUL-padded fields of this many bytes.
    public static let nameSize = 64
    public static let maxErrorBytes = 65_536
    /// The hello's fixed part: version, capabilities, d, n, blocks, metrics, init, reserved.
    public static let helloFixedSize = 40
    /// One block record: u64 rows, u64 cols, name.
    public static let blockRecordSize = 16 + nameSize
    /// Capability bits of the hello.
    public static let capabilityGradient: UInt32 = 1

    /// Payload bytes of a hello with these counts.
    public static func helloPayloadSize(dimension d: Int, blocks: Int, metrics: Int, hasInitialPoint: Bool) -> Int {
        helloFixedSize + blocks * blockRecordSize + metrics * nameSize + (hasInitialPoint ? 8 * d : 0)
    }
    /// Payload bytes of an eval request: u64 b, x, b indices.
    public static func evalPayloadSize(dimension d: Int, indices b: Int) -> Int { 8 + 8 * d + 8 * b }
    /// Payload bytes of a result answering `flags`.
    public static func resultPayloadSize(dimension d: Int, metrics m: Int, flags: Flags) -> Int {
        8 + (flags.contains(.gradient) ? 8 * d : 0) + (flags.contains(.metrics) ? 8 * m : 0)
    }
    /// The largest payload any frame may announce (a hello of maximal size): a larger length is
    /// refused from the header alone.
    public static var maxPayload: Int {
        helloPayloadSize(dimension: maxDimension, blocks: maxBlocks, metrics: maxMetrics, hasInitialPoint: true)
    }
}

/// What went wrong talking to the child: each case says so in words a user can act on.
public enum OracleFault: Error, CustomStringConvertible, Sendable {
    /// The bytes are not a valid frame (wrong magic, CRC, type, size, sequence).
    case badFrame(String)
    /// The handshake is valid but not acceptable (a size beyond a limit, a layout that does not add up).
    case badHandshake(String)
    /// No (complete) answer within the timeout.
    case timeout(String)
    /// The child closed its end or exited.
    case crashed(String)
    /// The child reported an error of the model itself (an ERROR frame).
    case modelError(String)
    /// The child cannot be started.
    case cannotStart(String)

    public var description: String {
        switch self {
        case .badFrame(let s): return "bad frame from the child: \(s)"
        case .badHandshake(let s): return "bad handshake: \(s)"
        case .timeout(let s): return "timeout: \(s)"
        case .crashed(let s): return "the child died: \(s)"
        case .modelError(let s): return "the model raised: \(s)"
        case .cannotStart(let s): return "cannot start the child: \(s)"
        }
    }
    /// Whether restarting the child may help (not for the model's own error, nor a bad handshake).
    public var isTransient: Bool {
        switch self {
        case .badFrame, .timeout, .crashed: return true
        case .badHandshake, .modelError, .cannotStart: return false
        }
    }
}

/// A frame header, decoded and checked against the limits (the CRC is checked once the payload is in).
public struct OracleFrameHeader: Equatable, Sendable {
    public var type: OracleWire.FrameType
    public var flags: UInt16
    public var payloadSize: Int
    public var sequence: UInt32

    public init(type: OracleWire.FrameType, flags: UInt16, payloadSize: Int, sequence: UInt32) {
        self.type = type; self.flags = flags; self.payloadSize = payloadSize; self.sequence = sequence
    }

    /// Decodes the 16 bytes at `p`.
    public static func decode(_ p: UnsafeRawPointer) throws(OracleFault) -> OracleFrameHeader {
        let magic = UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))
        guard magic == OracleWire.magic else {
            throw .badFrame("magic 0x\(String(magic, radix: 16)) is not \"EXOR\" (something else wrote to the protocol channel)")
        }
        let raw = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard let type = OracleWire.FrameType(rawValue: raw) else { throw .badFrame("unknown frame type \(raw)") }
        let size = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        guard size % 8 == 0 else { throw .badFrame("payload size \(size) is not a multiple of 8") }
        guard size <= OracleWire.maxPayload else {
            throw .badFrame("payload size \(size) exceeds the protocol's limit \(OracleWire.maxPayload)")
        }
        return OracleFrameHeader(type: type, flags: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self)),
                                 payloadSize: size,
                                 sequence: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
    }

    /// Writes the 16 bytes at `p`.
    public func encode(_ p: UnsafeMutableRawPointer) {
        p.storeBytes(of: OracleWire.magic.littleEndian, as: UInt32.self)
        p.storeBytes(of: type.rawValue.littleEndian, toByteOffset: 4, as: UInt16.self)
        p.storeBytes(of: flags.littleEndian, toByteOffset: 6, as: UInt16.self)
        p.storeBytes(of: UInt32(payloadSize).littleEndian, toByteOffset: 8, as: UInt32.self)
        p.storeBytes(of: sequence.littleEndian, toByteOffset: 12, as: UInt32.self)
    }
}

/// The model a child describes in its hello: what exprun checks and allocates for.
public struct OracleHandshake: Equatable, Sendable {
    public var version: UInt32
    public var gradient: Bool
    public var dimension: Int
    public var examples: Int
    public var blocks: [ParamBlock]
    public var metrics: [String]
    /// The child's starting point, when it sends one.
    public var initialPoint: [Double]?

    /// The counts of the hello's fixed part (its first `helloFixedSize` payload bytes), checked
    /// against the limits; returns them with the payload size they imply.
    public static func counts(_ p: UnsafeRawPointer) throws(OracleFault)
        -> (dimension: Int, examples: Int, blocks: Int, metrics: Int, hasInitialPoint: Bool, payloadSize: Int) {
        let version = UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))
        guard version == OracleWire.version else {
            throw .badHandshake("protocol version \(version); this exprun speaks version \(OracleWire.version)")
        }
        let d = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let n = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let b = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt32.self))
        let m = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 28, as: UInt32.self))
        let initFlag = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 32, as: UInt32.self))
        guard d >= 1, d <= UInt64(OracleWire.maxDimension) else {
            throw .badHandshake("dimension \(d) is outside 1...\(OracleWire.maxDimension)")
        }
        guard n >= 1, n <= UInt64(OracleWire.maxExamples) else {
            throw .badHandshake("example count \(n) is outside 1...\(OracleWire.maxExamples)")
        }
        guard b >= 1, b <= UInt32(OracleWire.maxBlocks) else {
            throw .badHandshake("parameter block count \(b) is outside 1...\(OracleWire.maxBlocks)")
        }
        guard m <= UInt32(OracleWire.maxMetrics) else {
            throw .badHandshake("metric count \(m) exceeds \(OracleWire.maxMetrics)")
        }
        guard initFlag <= 1 else { throw .badHandshake("initial-point flag \(initFlag) is neither 0 nor 1") }
        let size = OracleWire.helloPayloadSize(dimension: Int(d), blocks: Int(b), metrics: Int(m), hasInitialPoint: initFlag == 1)
        return (Int(d), Int(n), Int(b), Int(m), initFlag == 1, size)
    }

    /// Decodes a whole hello payload (`size` bytes at `p`; `counts` has accepted its fixed part).
    public static func decode(_ p: UnsafeRawPointer, size: Int) throws(OracleFault) -> OracleHandshake {
        let c = try counts(p)
        guard size == c.payloadSize else {
            throw .badFrame("hello payload of \(size) bytes; its counts imply \(c.payloadSize)")
        }
        let capabilities = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        var at = OracleWire.helloFixedSize
        var blocks: [ParamBlock] = [], offset = 0
        for k in 0..<c.blocks {
            let rows = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            let cols = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))
            let name = try Self.name(p + at + 16, what: "block \(k)")
            guard rows >= 1, cols >= 1, rows <= UInt64(c.dimension), cols <= UInt64(c.dimension),
                  rows * cols <= UInt64(c.dimension - offset) else {
                throw .badHandshake("block \(name) (\(rows) x \(cols)) does not fit in the \(c.dimension - offset) "
                                    + "coordinates left of dimension \(c.dimension)")
            }
            blocks.append(ParamBlock(name: name, offset: offset, rows: Int(rows), cols: Int(cols)))
            offset += Int(rows * cols)
            at += OracleWire.blockRecordSize
        }
        guard offset == c.dimension else {
            throw .badHandshake("the blocks cover \(offset) coordinates; the dimension is \(c.dimension)")
        }
        guard Set(blocks.map(\.name)).count == blocks.count else { throw .badHandshake("two blocks have the same name") }
        var metrics: [String] = []
        for k in 0..<c.metrics {
            metrics.append(try Self.name(p + at, what: "metric \(k)"))
            at += OracleWire.nameSize
        }
        guard Set(metrics).count == metrics.count else { throw .badHandshake("two metrics have the same name") }
        var initial: [Double]?
        if c.hasInitialPoint {
            let x = (0..<c.dimension).map { j in
                Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at + 8 * j, as: UInt64.self)))
            }
            if let bad = x.firstIndex(where: { !$0.isFinite }) {
                throw .badHandshake("initial point coordinate \(bad) is \(x[bad])")
            }
            initial = x
        }
        return OracleHandshake(version: OracleWire.version, gradient: capabilities & OracleWire.capabilityGradient != 0,
                               dimension: c.dimension, examples: c.examples, blocks: blocks, metrics: metrics,
                               initialPoint: initial)
    }

    /// A NUL-padded name field: 1...64 bytes of [A-Za-z0-9_.-].
    static func name(_ p: UnsafeRawPointer, what: String) throws(OracleFault) -> String {
        let bytes = UnsafeRawBufferPointer(start: p, count: OracleWire.nameSize)
        let length = bytes.firstIndex(of: 0) ?? OracleWire.nameSize
        let allowed = { (b: UInt8) in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2E || b == 0x2D
        }
        guard length > 0, bytes[..<length].allSatisfy(allowed), bytes[length...].allSatisfy({ $0 == 0 }) else {
            throw .badHandshake("\(what): a name must be 1 to \(OracleWire.nameSize) characters of A-Z a-z 0-9 _ . - "
                                + "padded with NUL bytes")
        }
        return String(decoding: bytes[..<length], as: UTF8.self)
    }
}
