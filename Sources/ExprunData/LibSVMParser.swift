import ExprunCore

/// The rows of one LIBSVM/SVMlight file, still sparse: raw labels and CSR arrays.
struct LibSVMRows {
    var labels: [Double] = []
    var rowStart: [Int] = [0]
    var columns: [Int32] = []
    var values: [Double] = []
    /// Largest 0-based column seen, -1 when the file has no features.
    var maxColumn = -1
}

/// Parses LIBSVM text ("label index:value index:value ... # comment" per line) at byte level:
/// the file is read once, tokens are found by scanning bytes, numbers are parsed in place.
/// Blank lines and comments are skipped; `qid:` tokens (SVMlight ranking) are ignored; a
/// row whose indices are not ascending is sorted, and a repeated index is an error.
/// Every error reads "path:line: message".
func parseLibSVM(path: String, zeroBased: Bool, dim: Int?) throws -> LibSVMRows {
    let bytes = try readFileBytes(path)
    return try bytes.withUnsafeBufferPointer { buffer -> LibSVMRows in
        guard let p = buffer.baseAddress else { return LibSVMRows() }
        return try parseLibSVMBytes(p, buffer.count, path: path, zeroBased: zeroBased, dim: dim)
    }
}

private let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r")
private let newline = UInt8(ascii: "\n"), hash = UInt8(ascii: "#"), colon = UInt8(ascii: ":")

@inline(__always) private func isBlank(_ b: UInt8) -> Bool { b == space || b == tab || b == cr }

private func parseLibSVMBytes(_ p: UnsafePointer<UInt8>, _ count: Int, path: String, zeroBased: Bool,
                              dim: Int?) throws -> LibSVMRows {
    var rows = LibSVMRows()
    // One pass counting ':' and newlines sizes the arrays, so appends never reallocate.
    var colons = 0, lines = 0
    for i in 0..<count {
        let b = p[i]
        if b == colon { colons += 1 } else if b == newline { lines += 1 }
    }
    rows.columns.reserveCapacity(colons)
    rows.values.reserveCapacity(colons)
    rows.labels.reserveCapacity(lines + 1)
    rows.rowStart.reserveCapacity(lines + 2)

    let indexLimit = Int(Int32.max) - 1
    let offset = zeroBased ? 0 : 1
    var line = 1
    var i = 0
    while i < count {
        // Leading blanks; then a blank line or a comment line is skipped.
        while i < count, isBlank(p[i]) { i += 1 }
        if i >= count { break }
        if p[i] == newline { line += 1; i += 1; continue }
        if p[i] == hash {
            while i < count, p[i] != newline { i += 1 }
            continue
        }
        // The label.
        var end = i
        while end < count, !isBlank(p[end]), p[end] != newline { end += 1 }
        guard let label = parseDecimal(p, i, end) else {
            throw ComponentErrorText.at(path, line, "bad label \(ComponentErrorText.token(p, i, end))")
        }
        rows.labels.append(label)
        i = end
        let rowFirst = rows.columns.count
        var previous = -1
        var ascending = true
        // The index:value pairs.
        while true {
            while i < count, isBlank(p[i]) { i += 1 }
            if i >= count || p[i] == newline { break }
            if p[i] == hash {
                while i < count, p[i] != newline { i += 1 }
                break
            }
            var stop = i, split = -1
            while stop < count, !isBlank(p[stop]), p[stop] != newline {
                if p[stop] == colon, split < 0 { split = stop }
                stop += 1
            }
            if split < 0 {
                throw ComponentErrorText.at(path, line, "expected index:value, found \(ComponentErrorText.token(p, i, stop))")
            }
            if split - i == 3, p[i] == UInt8(ascii: "q"), p[i + 1] == UInt8(ascii: "i"), p[i + 2] == UInt8(ascii: "d") {
                i = stop
                continue
            }
            guard let index = parseIndex(p, i, split, limit: indexLimit) else {
                throw ComponentErrorText.at(path, line, "bad feature index \(ComponentErrorText.token(p, i, split))")
            }
            if index < offset {
                throw ComponentErrorText.at(path, line, "feature index 0 in a 1-based file (set zero_based: true for 0-based indices)")
            }
            let column = index - offset
            if let dim, column >= dim {
                throw ComponentErrorText.at(path, line, "feature index \(index) is out of range for dim \(dim)")
            }
            guard let value = parseDecimal(p, split + 1, stop) else {
                throw ComponentErrorText.at(path, line, "bad feature value \(ComponentErrorText.token(p, split + 1, stop))")
            }
            if column <= previous { ascending = false }
            previous = column
            rows.columns.append(Int32(truncatingIfNeeded: column))
            rows.values.append(value)
            i = stop
        }
        if !ascending { try sortRow(&rows, from: rowFirst, path: path, line: line, offset: offset) }
        // Rows are ascending now, so a row's last column is its largest.
        if rows.columns.count > rowFirst { rows.maxColumn = max(rows.maxColumn, Int(rows.columns[rows.columns.count - 1])) }
        rows.rowStart.append(rows.columns.count)
    }
    return rows
}

/// Sorts one row's entries by column (rare: LIBSVM files are normally ascending).
@inline(never)
private func sortRow(_ rows: inout LibSVMRows, from first: Int, path: String, line: Int, offset: Int) throws {
    let range = first..<rows.columns.count
    let entries = range.map { (rows.columns[$0], rows.values[$0]) }.sorted { $0.0 < $1.0 }
    for (k, entry) in entries.enumerated() {
        if k > 0, entries[k - 1].0 == entry.0 {
            throw ComponentErrorText.at(path, line, "feature index \(Int(entry.0) + offset) appears twice")
        }
        rows.columns[first + k] = entry.0
        rows.values[first + k] = entry.1
    }
}
