import Foundation
import ExprunConfig

/// Small command-line behaviours that sit outside any one subcommand.
enum CLIDefects {
    /// One line per distinct problem (an override checked once per component that uses it
    /// must not print the same line for each), with a hint for a comma list in `--set`:
    /// `--set a=0.1,0.01` is one string; a sweep axis is written `--set 'a=[0.1,0.01]'`.
    static func deduplicated(_ list: DiagnosticList) -> DiagnosticList {
        var seen = Set<String>(), items: [Diagnostic] = []
        for var d in list.items where seen.insert(d.description).inserted {
            if d.location?.description.hasPrefix("--set") == true, let r = d.message.range(of: "got string '"),
               d.message[r.upperBound...].contains(","), d.message.contains("must be") {
                let value = d.message[r.upperBound...].dropLast()
                d.message += " (for a sweep axis write a list: --set 'path=[\(value)]')"
            }
            items.append(d)
        }
        return DiagnosticList(items)
    }

    /// `exprun help TOPIC` with an unknown topic prints an error and exits 2 (ArgumentParser
    /// prints the root help and exits 0).
    static func rejectUnknownHelpTopic(_ subcommands: [String]) {
        let args = Array(CommandLine.arguments.dropFirst())
        guard args.first == "help", args.count >= 2, !args[1].hasPrefix("-"), !subcommands.contains(args[1]) else { return }
        let hint = closestMatch(args[1], in: subcommands).map { " (did you mean '\($0)'?)" } ?? ""
        FileHandle.standardError.write("error: no help topic '\(args[1])'\(hint); topics: \(subcommands.joined(separator: ", "))\n"
            .data(using: .utf8)!)
        exit(2)
    }
}
