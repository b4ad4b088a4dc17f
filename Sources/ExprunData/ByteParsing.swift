import ExprunCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole file into memory once; loaders then parse its bytes without building
/// a String per token.
func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "rb") else {
        throw ComponentErrorText.file(path, String(cString: strerror(errno)))
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    if fseek(file, 0, SEEK_END) == 0 {
        let size = ftell(file)
        if size > 0 { bytes.reserveCapacity(size) }
        rewind(file)
    }
    let chunk = 1 << 20
    var buffer = [UInt8](repeating: 0, count: chunk)
    while true {
        let got = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, chunk, file) }
        if got > 0 { bytes.append(contentsOf: buffer[0..<got]) }
        if got < chunk {
            if ferror(file) != 0 { throw ComponentErrorText.file(path, String(cString: strerror(errno))) }
            break
        }
    }
    return bytes
}

/// Messages shared by the file loaders: every one of them reads "path:line:col: message",
/// the form of config errors, so an editor jumps to the bad cell or token.
enum ComponentErrorText {
    static func file(_ path: String, _ reason: String) -> ComponentError {
        ComponentError("\(path): cannot read file: \(reason)")
    }
    static func at(_ path: String, _ line: Int, _ column: Int, _ message: String) -> ComponentError {
        ComponentError("\(path):\(line):\(column): \(message)")
    }
    /// The 1-based character column of byte `position` in the line starting at byte
    /// `lineStart`: UTF-8 continuation bytes are not counted, so a column means the same as in
    /// an editor (and in YAML marks). A tab is one character.
    static func column(_ p: UnsafePointer<UInt8>, lineStart: Int, _ position: Int) -> Int {
        var characters = 1
        for k in lineStart..<max(lineStart, position) where p[k] & 0xC0 != 0x80 { characters += 1 }
        return characters
    }
    /// A token quoted for an error message, cut short when long.
    static func token(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> String {
        let shown = min(end - start, 40)
        let text = String(decoding: UnsafeBufferPointer(start: p + start, count: shown), as: UTF8.self)
        return "'" + text + (end - start > shown ? "...'" : "'")
    }
}

// Exact powers of ten: every 10^k with k <= 22 is representable in a Double.
private let exactPowersOfTen: [Double] = (0...22).map { k in
    var x = 1.0
    for _ in 0..<k { x *= 10 }
    return x
}

/// Parses a decimal number (optional sign, digits, optional fraction, optional exponent)
/// from bytes [start, end). Returns nil unless the whole range is one finite number.
///
/// The result is bit-identical to `strtod`: Clinger's fast path (a mantissa below 2^53 times
/// or divided by an exact power of ten at most 10^22 is one correctly rounded operation)
/// covers ordinary data, and anything longer falls back to `strtod` itself.
@inline(__always)
func parseDecimal(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
    var i = start
    if i >= end { return nil }
    var negative = false
    if p[i] == UInt8(ascii: "-") { negative = true; i += 1 } else if p[i] == UInt8(ascii: "+") { i += 1 }
    var mantissa: UInt64 = 0
    var significant = 0
    var digits = 0
    var exponent = 0
    while i < end, p[i] &- 48 < 10 {
        let d = UInt64(p[i] &- 48)
        if mantissa != 0 || d != 0 { significant += 1 }
        if significant <= 19 { mantissa = mantissa &* 10 &+ d } else { exponent += 1 }
        digits += 1; i += 1
    }
    if i < end, p[i] == UInt8(ascii: ".") {
        i += 1
        while i < end, p[i] &- 48 < 10 {
            let d = UInt64(p[i] &- 48)
            if mantissa != 0 || d != 0 { significant += 1 }
            if significant <= 19 { mantissa = mantissa &* 10 &+ d; exponent -= 1 }
            digits += 1; i += 1
        }
    }
    if digits == 0 { return nil }
    if i < end, p[i] | 0x20 == UInt8(ascii: "e") {
        i += 1
        var expNegative = false
        if i < end, p[i] == UInt8(ascii: "-") { expNegative = true; i += 1 } else if i < end, p[i] == UInt8(ascii: "+") { i += 1 }
        var e = 0
        var expDigits = 0
        while i < end, p[i] &- 48 < 10 {
            if e < 100_000 { e = e * 10 + Int(p[i] &- 48) }
            expDigits += 1; i += 1
        }
        if expDigits == 0 { return nil }
        exponent += expNegative ? -e : e
    }
    if i != end { return nil }
    if mantissa == 0 { return negative ? -0.0 : 0.0 }
    if significant <= 19, mantissa <= (1 << 53), exponent >= -22, exponent <= 22 {
        var value = Double(mantissa)
        value = exponent < 0 ? value / exactPowersOfTen[-exponent] : value * exactPowersOfTen[exponent]
        return negative ? -value : value
    }
    return parseDecimalSlow(p, start, end)
}

/// The long-number path: `strtod` on a NUL-terminated copy of the token.
@inline(never)
private func parseDecimalSlow(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
    let count = end - start
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer -> Double? in
        for k in 0..<count { buffer[k] = CChar(bitPattern: p[start + k]) }
        buffer[count] = 0
        var stop: UnsafeMutablePointer<CChar>? = nil
        let value = strtod(buffer.baseAddress!, &stop)
        guard let stop, stop - buffer.baseAddress! == count, value.isFinite else { return nil }
        return value
    }
}

/// Parses a non-negative decimal integer from bytes [start, end); nil if malformed or
/// above `limit`.
@inline(__always)
func parseIndex(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, limit: Int) -> Int? {
    if start >= end { return nil }
    var value = 0
    var i = start
    while i < end {
        let d = p[i] &- 48
        if d >= 10 { return nil }
        value = value * 10 + Int(d)
        if value > limit { return nil }
        i += 1
    }
    return value
}
