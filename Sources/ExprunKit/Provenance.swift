import Foundation
import ExprunCore
import ExprunStore

/// Where and with what a sweep ran, stored in the root attributes of results.h5.
enum Provenance {
    static func collect(configDirectory: String) -> [(String, Value)] {
        var out: [(String, Value)] = []
        out.append(("host", .string(ProcessInfo.processInfo.hostName)))
        out.append(("cpu_model", .string(cpuModel())))
        out.append(("cpu_cores", .int(ProcessInfo.processInfo.activeProcessorCount)))
        out.append(("hdf5_version", .string(Store.hdf5Version)))
        out.append(("blas", .string(BLAS.provenance)))
        out.append(("os", .string(ProcessInfo.processInfo.operatingSystemVersionString)))
        if let commit = gitCommit(FileManager.default.currentDirectoryPath) { out.append(("git_commit", .string(commit))) }
        // A binary built with ExprunKit says which components it added to the built-in ones.
        let added = AddedComponents.names
        if !added.isEmpty { out.append(("added_components", .string(added.joined(separator: ", ")))) }
        return out
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        }
        return "unknown"
    }

    /// The commit of the git repository holding the config, with "+dirty" when it has changes.
    /// Best effort: no git, or a config outside a repository, just leaves the attribute out.
    static func gitCommit(_ dir: String) -> String? {
        func git(_ args: String) -> String? {
            let quoted = "'" + dir.replacingOccurrences(of: "'", with: "'\\''") + "'"
            guard let pipe = popen("git -C \(quoted) \(args) 2>/dev/null", "r") else { return nil }
            var out = ""
            var buffer = [CChar](repeating: 0, count: 4096)
            while fgets(&buffer, Int32(buffer.count), pipe) != nil { out += String(cString: buffer) }
            return pclose(pipe) == 0 ? out.trimmingCharacters(in: .whitespacesAndNewlines) : nil
        }
        guard let head = git("rev-parse HEAD"), !head.isEmpty else { return nil }
        let dirty = !(git("status --porcelain --untracked-files=no") ?? "").isEmpty
        return head + (dirty ? "+dirty" : "")
    }
}
