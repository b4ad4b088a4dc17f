import ExprunCore

/// A numeric table read from delimited text: every field of every data row, row-major.
struct CSVTable {
    var header: [String]?
    var columns = 0
    var rows = 0
    var values: [Double] = []
    /// File line of each data row, for errors found after parsing (e.g. labels).
    var lineOfRow: [Int32] = []
}

/// How the first line is treated.
enum CSVHeader: String { case auto, yes, no }

/// Parses delimited numeric text at byte level. Fields may be padded with blanks and wrapped
/// in double quotes; CRLF line ends and blank lines are accepted. With a blank delimiter
/// (space or tab) runs of blanks count as one separator. `auto` takes the first line as a
/// header when any of its fields is not a number. Errors read "path:line:col: message", the
/// column being that of the bad cell.
func parseCSV(path: String, delimiter: UInt8, header: CSVHeader) throws -> CSVTable {
    let bytes = try readFileBytes(path)
    return try bytes.withUnsafeBufferPointer { buffer -> CSVTable in
        guard let p = buffer.baseAddress else { throw ComponentError("\(path): the file is empty") }
        return try parseCSVBytes(p, buffer.count, path: path, delimiter: delimiter, header: header)
    }
}

/// Parses a delimiter given as text: one character, or `\t` / `tab` for a tab.
func csvDelimiter(_ text: String) -> UInt8? {
    if text == "\\t" || text == "tab" { return UInt8(ascii: "\t") }
    let utf8 = Array(text.utf8)
    guard utf8.count == 1, utf8[0] != UInt8(ascii: "\n"), utf8[0] != UInt8(ascii: "\""),
          utf8[0] != UInt8(ascii: "\r") else { return nil }
    return utf8[0]
}

private func parseCSVBytes(_ p: UnsafePointer<UInt8>, _ count: Int, path: String, delimiter: UInt8,
                           header: CSVHeader) throws -> CSVTable {
    let newline = UInt8(ascii: "\n"), quote = UInt8(ascii: "\"")
    let blankDelimiter = delimiter == UInt8(ascii: " ") || delimiter == UInt8(ascii: "\t")
    @inline(__always) func isPad(_ b: UInt8) -> Bool {
        (b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r")) && b != delimiter
    }
    var table = CSVTable()
    // Each field: its value's bytes [start, end) and where the cell begins (a quote included).
    var fields: [(start: Int, end: Int, cell: Int)] = []
    var line = 0
    var i = 0
    var firstLine = true
    while i < count {
        line += 1
        let lineStart = i
        var lineEnd = i
        while lineEnd < count, p[lineEnd] != newline { lineEnd += 1 }
        // Split the line into trimmed, unquoted field ranges.
        fields.removeAll(keepingCapacity: true)
        var a = i
        if blankDelimiter { while a < lineEnd, p[a] == delimiter || p[a] == UInt8(ascii: "\r") { a += 1 } }
        var blankLine = true
        for k in i..<lineEnd where !(p[k] == UInt8(ascii: " ") || p[k] == UInt8(ascii: "\t") || p[k] == UInt8(ascii: "\r")) {
            blankLine = false; break
        }
        if !blankLine {
            while true {
                var b = a
                while b < lineEnd, p[b] != delimiter { b += 1 }
                var s = a, e = b
                while s < e, isPad(p[s]) { s += 1 }
                while e > s, isPad(p[e - 1]) { e -= 1 }
                let cell = s
                if e - s >= 2, p[s] == quote, p[e - 1] == quote { s += 1; e -= 1 }
                fields.append((s, e, cell))
                if b >= lineEnd { break }
                a = b + 1
                if blankDelimiter {
                    while a < lineEnd, p[a] == delimiter || p[a] == UInt8(ascii: "\r") { a += 1 }
                    if a >= lineEnd { break }
                }
            }
        }
        i = lineEnd + 1
        if blankLine { continue }

        if firstLine {
            firstLine = false
            table.columns = fields.count
            let numeric = fields.allSatisfy { parseDecimal(p, $0.start, $0.end) != nil }
            if header == .yes || (header == .auto && !numeric) {
                table.header = fields.map { String(decoding: UnsafeBufferPointer(start: p + $0.start, count: $0.end - $0.start), as: UTF8.self) }
                continue
            }
        }
        if fields.count != table.columns {
            // At the first extra cell, or where the first missing one would begin (the line's end).
            var at = lineEnd
            if fields.count > table.columns { at = fields[table.columns].cell } else { while at > lineStart, isPad(p[at - 1]) { at -= 1 } }
            throw ComponentErrorText.at(path, line, ComponentErrorText.column(p, lineStart: lineStart, at),
                                        "expected \(table.columns) fields, found \(fields.count)")
        }
        for (k, field) in fields.enumerated() {
            guard let value = parseDecimal(p, field.start, field.end) else {
                let shown = field.start == field.end ? "an empty field" : ComponentErrorText.token(p, field.start, field.end)
                throw ComponentErrorText.at(path, line, ComponentErrorText.column(p, lineStart: lineStart, field.cell),
                                            "field \(k + 1): expected a number, found \(shown)")
            }
            table.values.append(value)
        }
        table.rows += 1
        table.lineOfRow.append(Int32(truncatingIfNeeded: line))
    }
    if table.rows == 0 { throw ComponentError("\(path): no data rows") }
    return table
}

extension CSVTable {
    /// Features (every column but `target`) and targets (column `target`).
    func split(target: Int) -> (features: DenseMatrix, targets: [Double]) {
        let d = columns - 1
        var features = [Double](repeating: 0, count: rows * d)
        var targets = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            var k = 0
            for c in 0..<columns {
                let v = values[r * columns + c]
                if c == target { targets[r] = v } else { features[r * d + k] = v; k += 1 }
            }
        }
        return (DenseMatrix(rows: rows, cols: d, values: features), targets)
    }
}
