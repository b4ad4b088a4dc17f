import Foundation
import ExprunCore
import ExprunStore
import ExprunSpec

/// Where a sweep writes, such that the results of another config are never replaced silently.
///
/// A folder belongs to the resolved config that first ran in it (its config.yaml, else the
/// `config` attribute of its results.h5). Re-running the same resolved config resumes there.
/// A different one (a `--set` variant, or an edited file) goes to runs/<name>-<hash>, a folder
/// of its own named by the hash of its resolved config (so running the variant again resumes
/// it), and says so. An explicit `--out` that belongs to another config is refused (exit 2)
/// with both configs named. `--fresh` replaces the folder, as asked.
enum FolderOwnership {
    static func choose(experiment: Experiment, requested: String?, fresh: Bool) -> String {
        let standard = requested ?? "runs/\(experiment.name)"
        guard !fresh, let existing = configOfFolder(standard), existing != experiment.resolvedConfig else { return standard }
        let differences = describeDifferences(existing, experiment.resolvedConfig)
        if let out = requested {
            failWith("--out \(out) holds the results of another config (\(out)/config.yaml; \(differences)); "
                     + "choose another --out, or add --fresh to replace them")
        }
        let own = standard + "-" + String(format: "%08x", UInt32(truncatingIfNeeded: stableHash64(experiment.resolvedConfig)))
        stderr("\(standard) holds the results of another config (\(differences)); "
               + "this run writes to \(own) (its own folder; \(standard) is kept). Use --out to choose, --fresh to replace.")
        return own
    }

    /// The resolved config that made the folder, or nil for a new (or empty) folder.
    static func configOfFolder(_ folder: String) -> String? {
        if let text = try? String(contentsOfFile: folder + "/config.yaml", encoding: .utf8) { return text }
        guard FileManager.default.fileExists(atPath: folder + "/results.h5"),
              let file = try? ResultsFile(path: folder + "/results.h5") else { return nil }
        return file.config.isEmpty ? nil : file.config
    }

    /// The first few lines that differ between two resolved configs, for the message.
    static func describeDifferences(_ old: String, _ new: String) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false), b = new.split(separator: "\n", omittingEmptySubsequences: false)
        let removed = a.filter { !b.contains($0) }.map { $0.trimmingCharacters(in: .whitespaces) }
        let added = b.filter { !a.contains($0) }.map { $0.trimmingCharacters(in: .whitespaces) }
        var parts: [String] = []
        if !removed.isEmpty { parts.append("was: " + removed.prefix(3).joined(separator: "; ")) }
        if !added.isEmpty { parts.append("now: " + added.prefix(3).joined(separator: "; ")) }
        return parts.isEmpty ? "the configs differ" : parts.joined(separator: ", ")
    }
}
