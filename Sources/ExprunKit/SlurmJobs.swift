import Foundation
import ExprunCore
import ExprunSpec

/// The batch scripts of a submission and the record of what was submitted (DIR/slurm/), shared
/// by `exprun submit` and `exprun status`.
struct SlurmSubmission: Codable {
    /// Absolute path of the config, and the --set arguments: every task rebuilds the same grid.
    var config: String
    var overrides: [String]
    var dataDirectory: String
    var exprun: String
    var workingDirectory: String
    var tasks: Int
    /// Array task indices submitted, the array job and the merge job (nil until submitted).
    var indices: [Int]
    var arrayJob: String?
    var mergeJob: String?

    static func path(_ dir: String) -> String { dir + "/slurm/submission.json" }

    static func load(_ dir: String) -> SlurmSubmission? {
        guard let data = FileManager.default.contents(atPath: path(dir)) else { return nil }
        return try? JSONDecoder().decode(SlurmSubmission.self, from: data)
    }

    func save(_ dir: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let tmp = Self.path(dir) + ".tmp-\(getpid())"
        try encoder.encode(self).write(to: URL(fileURLWithPath: tmp))
        guard rename(tmp, Self.path(dir)) == 0 else { throw ValidationErrorText("cannot write \(Self.path(dir))") }
    }

    /// The command line of `exprun` for this experiment (quoted for bash), plus `extra`.
    func command(_ dir: String, _ extra: [String]) -> String {
        ([exprun, config] + overrides.flatMap { ["--set", $0] } + ["--out", dir] + extra).map(shellQuote).joined(separator: " ")
    }

    /// The array script: task I runs its slice of the grid, and leaves its exit code beside
    /// its log so `exprun status` can tell a failed task from a finished one without sacct.
    func arrayScript(_ dir: String, name: String, settings: SlurmSettings) -> String {
        var lines = ["#!/bin/bash", "#SBATCH --job-name=exprun-\(name)",
                     "#SBATCH --array=\(ArraySpec.text(indices))\(settings.concurrency.map { "%\($0)" } ?? "")",
                     "#SBATCH --output=\(dir)/slurm/task-%A_%a.out"]
        lines += Self.resourceLines(settings)
        lines += ["", "# exprun submit wrote this; `exprun status \(dir)` reads what it leaves.",
                  "cd \(shellQuote(workingDirectory)) || exit 1",
                  "export EXPRUN_DATA=\(shellQuote(dataDirectory))",
                  command(dir, ["--shard", "${SLURM_ARRAY_TASK_ID}/\(tasks)", "--jobs", "${SLURM_CPUS_PER_TASK:-1}", "--quiet"])
                    .replacingOccurrences(of: "'${SLURM_ARRAY_TASK_ID}/\(tasks)'", with: "\"${SLURM_ARRAY_TASK_ID}/\(tasks)\"")
                    .replacingOccurrences(of: "'${SLURM_CPUS_PER_TASK:-1}'", with: "\"${SLURM_CPUS_PER_TASK:-1}\""),
                  "code=$?",
                  "echo $code > \(shellQuote(dir))/slurm/exit-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}",
                  "exit $code", ""]
        return lines.joined(separator: "\n")
    }

    /// The merge script, run after every array task succeeded: a normal run of the whole grid,
    /// which finds every run finished, merges results.h5 and writes the summary.
    func mergeScript(_ dir: String, name: String, settings: SlurmSettings) -> String {
        var lines = ["#!/bin/bash", "#SBATCH --job-name=exprun-\(name)-merge",
                     "#SBATCH --output=\(dir)/slurm/merge-%j.out"]
        lines += Self.resourceLines(settings).filter { !$0.hasPrefix("#SBATCH --cpus-per-task") }
        lines += ["", "cd \(shellQuote(workingDirectory)) || exit 1",
                  "export EXPRUN_DATA=\(shellQuote(dataDirectory))",
                  command(dir, ["--no-retry", "--jobs", "1"]), ""]
        return lines.joined(separator: "\n")
    }

    static func resourceLines(_ s: SlurmSettings) -> [String] {
        var lines: [String] = []
        if let p = s.partition { lines.append("#SBATCH --partition=\(p)") }
        if let t = s.time { lines.append("#SBATCH --time=\(t)") }
        if let c = s.cpusPerTask { lines.append("#SBATCH --cpus-per-task=\(c)") }
        if let m = s.memPerTask { lines.append("#SBATCH --mem=\(m)") }
        lines += s.extra.map { "#SBATCH \($0)" }
        return lines
    }
}

struct ValidationErrorText: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

func shellQuote(_ s: String) -> String {
    s.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) } && !s.isEmpty
        ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// `0-3,7,9-10`: the compact --array list of sorted indices.
enum ArraySpec {
    static func text(_ indices: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let s = indices.sorted()
        while i < s.count {
            var j = i
            while j + 1 < s.count, s[j + 1] == s[j] + 1 { j += 1 }
            parts.append(i == j ? "\(s[i])" : "\(s[i])-\(s[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

/// Runs a command and returns its exit code and standard output (standard error passes through).
func runProcess(_ argv: [String]) -> (code: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    let pipe = Pipe()
    p.standardOutput = pipe
    do { try p.run() } catch { return (127, "") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
