import ExprunConfig

/// The `slurm:` section: how `exprun submit --slurm` asks for resources. Every key can also be
/// given on the command line, which wins. Validated with the rest of the config, so a typo
/// fails `exprun validate`, not the submission.
public struct SlurmSettings: Sendable, Equatable {
    /// Array tasks (each runs `exprun CONFIG --shard I/N`); nil: one per run, at most 1000.
    public var tasks: Int?
    public var partition: String?
    /// sbatch --time, e.g. "01:00:00".
    public var time: String?
    public var cpusPerTask: Int?
    /// sbatch --mem, e.g. "4G".
    public var memPerTask: String?
    /// At most this many array tasks at once (`--array=0-N%k`).
    public var concurrency: Int?
    /// Extra `#SBATCH` lines, written as given (`--account=x`, `--qos=y`).
    public var extra: [String] = []

    public init() {}

    public static let keys = ["tasks", "partition", "time", "cpus_per_task", "mem_per_task", "concurrency", "extra"]
}

public enum SlurmSection {
    /// Parses the section; problems are located at the offending value.
    public static func parse(_ node: ConfigNode?, problems: inout [Diagnostic]) -> SlurmSettings {
        var s = SlurmSettings()
        guard let node else { return s }
        guard let entries = node.entries else {
            problems.append(Diagnostic(node.location, "slurm must be a mapping ({partition: ..., time: ..., ...})"))
            return s
        }
        func positive(_ e: ConfigEntry) -> Int? {
            if case .int(let n)? = e.value.scalar, n >= 1 { return n }
            problems.append(Diagnostic(e.value.location, "slurm.\(e.key) must be an integer >= 1, got \(e.value.scalar?.text ?? e.value.kindName)"))
            return nil
        }
        func word(_ e: ConfigEntry) -> String? {
            if let t = e.value.scalar?.text, e.value.scalar != .null, !t.isEmpty, !t.contains(where: { $0 == "\n" || $0 == " " }) { return t }
            problems.append(Diagnostic(e.value.location, "slurm.\(e.key) must be one word, got \(e.value.scalar?.text ?? e.value.kindName)"))
            return nil
        }
        for e in entries {
            switch e.key {
            case "tasks": s.tasks = positive(e)
            case "partition": s.partition = word(e)
            case "time": s.time = word(e)
            case "cpus_per_task": s.cpusPerTask = positive(e)
            case "mem_per_task": s.memPerTask = word(e)
            case "concurrency": s.concurrency = positive(e)
            case "extra":
                for item in e.value.items ?? [e.value] {
                    guard let line = item.string, !line.contains("\n") else {
                        problems.append(Diagnostic(item.location, "slurm.extra lines must be strings like \"--account=x\""))
                        continue
                    }
                    s.extra.append(line)
                }
            default:
                problems.append(Diagnostic(e.keyLocation, "unknown slurm setting '\(e.key)'", suggestion: closestMatch(e.key, in: SlurmSettings.keys)))
            }
        }
        return s
    }
}
