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
/// Every error reads "path:line:col: message", the column being that of the bad token.
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
    var line = 1, lineStart = 0
    var i = 0
    while i < count {
        // Leading blanks; then a blank line or a comment line is skipped.
        while i < count, isBlank(p[i]) { i += 1 }
        if i >= count { break }
        if p[i] == newline { line += 1; i += 1; lineStart = i; continue }
        if p[i] == hash {
            while i < count, p[i] != newline { i += 1 }
            continue
        }
        // The label.
        var end = i
        while end < count, !isBlank(p[end]), p[end] != newline { end += 1 }
        guard let label = parseDecimal(p, i, end) else {
            throw located(path, line, p, lineStart, i, "bad label \(ComponentErrorText.token(p, i, end))")
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
                throw located(path, line, p, lineStart, i, "expected index:value, found \(ComponentErrorText.token(p, i, stop))")
            }
            if split - i == 3, p[i] == UInt8(ascii: "q"), p[i + 1] == UInt8(ascii: "i"), p[i + 2] == UInt8(ascii: "d") {
                i = stop
                continue
            }
            guard let index = parseIndex(p, i, split, limit: indexLimit) else {
                throw located(path, line, p, lineStart, i, "bad feature index \(ComponentErrorText.token(p, i, split))")
            }
            if index < offset {
                throw located(path, line, p, lineStart, i, "feature index 0 in a 1-based file (set zero_based: true for 0-based indices)")
            }
            let column = index - offset
            if let dim, column >= dim {
                throw located(path, line, p, lineStart, i, "feature index \(index) is out of range for dim \(dim)")
            }
            guard let value = parseDecimal(p, split + 1, stop) else {
                throw located(path, line, p, lineStart, split + 1, "bad feature value \(ComponentErrorText.token(p, split + 1, stop))")
            }
            if column <= previous { ascending = false }
            previous = column
            rows.columns.append(Int32(truncatingIfNeeded: column))
            rows.values.append(value)
            i = stop
        }
        if !ascending, let repeated = sortRow(&rows, from: rowFirst) {
            throw located(path, line, p, lineStart, secondOccurrence(of: repeated + offset, p, from: lineStart, count),
                        "feature index \(repeated + offset) appears twice")
        }
        // Rows are ascending now, so a row's last column is its largest.
        if rows.columns.count > rowFirst { rows.maxColumn = max(rows.maxColumn, Int(rows.columns[rows.columns.count - 1])) }
        rows.rowStart.append(rows.columns.count)
    }
    return rows
}

/// An error at byte `position` of the line that starts at byte `lineStart`.
@inline(never)
private func located(_ path: String, _ line: Int, _ p: UnsafePointer<UInt8>, _ lineStart: Int, _ position: Int,
                     _ message: String) -> ComponentError {
    ComponentErrorText.at(path, line, ComponentErrorText.column(p, lineStart: lineStart, position), message)
}

/// Sorts one row's entries by column (rare: LIBSVM files are normally ascending). Returns
/// a column that appears twice, if any.
@inline(never)
private func sortRow(_ rows: inout LibSVMRows, from first: Int) -> Int? {
    let range = first..<rows.columns.count
    let entries = range.map { (rows.columns[$0], rows.values[$0]) }.sorted { $0.0 < $1.0 }
    for (k, entry) in entries.enumerated() {
        if k > 0, entries[k - 1].0 == entry.0 { return Int(entry.0) }
        rows.columns[first + k] = entry.0
        rows.values[first + k] = entry.1
    }
    return nil
}

/// Where `index` appears for the second time in the line starting at `lineStart`: the error
/// path of a repeated index re-reads the line rather than recording every token's position.
@inline(never)
private func secondOccurrence(of index: Int, _ p: UnsafePointer<UInt8>, from lineStart: Int, _ count: Int) -> Int {
    var i = lineStart, seen = 0
    while true {
        while i < count, isBlank(p[i]) { i += 1 }
        if i >= count || p[i] == newline || p[i] == hash { break }
        let start = i
        var split = -1
        while i < count, !isBlank(p[i]), p[i] != newline {
            if p[i] == colon, split < 0 { split = i }
            i += 1
        }
        if split > start, parseIndex(p, start, split, limit: Int(Int32.max)) == index {
            seen += 1
            if seen == 2 { return start }
        }
    }
    return lineStart
}
