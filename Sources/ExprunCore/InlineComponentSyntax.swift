/// A literal written as an argument of an inline component: a number, true/false, or a word.
public enum InlineLiteral: Equatable, Sendable {
    case number(Double, text: String)
    case bool(Bool)
    case word(String)

    /// "number 0.9", "word 'high'": for messages.
    public var shown: String {
        switch self {
        case .number(_, let text): return "number \(text)"
        case .bool(let b): return "boolean \(b)"
        case .word(let w): return "word '\(w)'"
        }
    }
    /// Whether the number was written as an integer (no '.', no exponent).
    public var isIntegerText: Bool {
        guard case .number(let d, let text) = self else { return false }
        return d == d.rounded() && abs(d) < 9e15 && !text.contains { $0 == "." || $0 == "e" || $0 == "E" }
    }
}

/// One component written as text: `name` or `name(key=value, ...)`.
public struct InlineComponent: Equatable, Sendable {
    public var name: String
    public var arguments: [Argument]
    /// The entry's text, trimmed, for messages.
    public var text: String

    public struct Argument: Equatable, Sendable {
        public var key: String
        public var value: InlineLiteral
    }
}

/// A syntax error in an inline component list (the message quotes the text at fault).
public struct InlineSyntaxError: Error, Equatable, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ message: String) { description = message }
}

/// The string form of inline components (a chain's `transforms`). The grammar is
///
///     list  := entry (',' entry)*          (when written as one string)
///     entry := NAME [ '(' [arg (',' arg)*] ')' ]
///     arg   := NAME '=' (NUMBER | true | false | NAME)
///
/// with spaces and newlines allowed between tokens. Nested parentheses are errors. It lives in
/// Core because both sides read it: the Spec validates what users write, and factories decode
/// the canonical text (`text(kind:values:)`) the Spec stores as the parameter's value.
public enum InlineComponentSyntax {
    /// Splits one string into entry texts at the commas outside parentheses.
    public static func split(_ text: String) throws(InlineSyntaxError) -> [String] {
        var entries: [String] = []
        var current = ""
        var open = false
        for c in text {
            switch c {
            case "(":
                if open {
                    throw InlineSyntaxError("'\(trimmed(current))(' has a '(' inside the arguments: missing ')' before it?")
                }
                open = true; current.append(c)
            case ")":
                if !open { throw InlineSyntaxError("'\(trimmed(current)))' has a ')' without a matching '('") }
                open = false; current.append(c)
            case "," where !open:
                entries.append(current); current = ""
            default:
                current.append(c)
            }
        }
        if open { throw InlineSyntaxError("'\(trimmed(current))' is missing ')'") }
        entries.append(current)
        return entries
    }

    /// Parses one entry text such as `scale_by_adam(beta1=0.9, amsgrad=true)`.
    public static func entry(_ raw: String) throws(InlineSyntaxError) -> InlineComponent {
        let text = trimmed(raw)
        guard !text.isEmpty else { throw InlineSyntaxError("empty entry (a stray ',' or an empty string?)") }
        let name: String, rest: Substring
        if let paren = text.firstIndex(of: "(") {
            name = trimmed(String(text[..<paren]))
            rest = text[text.index(after: paren)...]
        } else {
            name = text; rest = ""
        }
        guard isName(name) else {
            if text.contains(")") && !text.contains("(") {
                throw InlineSyntaxError("'\(text)' has a ')' without a matching '('")
            }
            throw InlineSyntaxError("'\(name)' is not a name (letters, digits and '_', e.g. scale_by_adam)")
        }
        guard text.contains("(") else { return InlineComponent(name: name, arguments: [], text: text) }
        guard let close = rest.firstIndex(of: ")") else { throw InlineSyntaxError("'\(text)' is missing ')'") }
        if rest.contains("(") { throw InlineSyntaxError("'\(text)' has a '(' inside the arguments") }
        let after = trimmed(String(rest[rest.index(after: close)...]))
        guard after.isEmpty else {
            throw InlineSyntaxError("'\(text)' has '\(after)' after ')' (separate entries with ',')")
        }
        let inside = trimmed(String(rest[..<close]))
        var arguments: [InlineComponent.Argument] = []
        if !inside.isEmpty {
            for piece in inside.split(separator: ",", omittingEmptySubsequences: false) {
                let arg = trimmed(String(piece))
                guard let eq = arg.firstIndex(of: "=") else {
                    throw InlineSyntaxError("'\(text)': expected key=value, got '\(arg)'")
                }
                let key = trimmed(String(arg[..<eq])), valueText = trimmed(String(arg[arg.index(after: eq)...]))
                guard isName(key) else { throw InlineSyntaxError("'\(text)': '\(key)' is not a parameter name") }
                guard !valueText.isEmpty else { throw InlineSyntaxError("'\(text)': \(key) has no value after '='") }
                guard let value = literal(valueText) else {
                    throw InlineSyntaxError("'\(text)': cannot read '\(valueText)' as a number, true/false or a word")
                }
                arguments.append(InlineComponent.Argument(key: key, value: value))
            }
        }
        return InlineComponent(name: name, arguments: arguments, text: text)
    }

    /// The canonical text of a resolved component: `name` or `name(k=v,...)` with the values'
    /// canonical forms, in the given (declaration) order. `entry` reads it back.
    public static func text(kind: String, values: [(String, Value)]) -> String {
        values.isEmpty ? kind : kind + "(" + values.map { "\($0.0)=\($0.1.canonical)" }.joined(separator: ",") + ")"
    }

    static func literal(_ s: String) -> InlineLiteral? {
        if s == "true" { return .bool(true) }
        if s == "false" { return .bool(false) }
        if let first = s.first, first.isNumber || first == "-" || first == "+" || first == "." {
            guard let d = Double(s), d.isFinite else { return nil }
            return .number(d, text: s)
        }
        return isName(s) ? .word(s) : nil
    }

    public static func isName(_ s: String) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    static func trimmed(_ s: String) -> String {
        var sub = Substring(s)
        while let c = sub.first, c.isWhitespace { sub = sub.dropFirst() }
        while let c = sub.last, c.isWhitespace { sub = sub.dropLast() }
        return String(sub)
    }
}
