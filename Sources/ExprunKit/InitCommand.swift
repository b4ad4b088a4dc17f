import Foundation
import ArgumentParser
import ExprunConfig

/// `exprun init DIR`: scaffolds a Swift package that builds its own exprun binary with a
/// custom optimizer and a custom model beside the built-in components (ExprunKit).
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scaffold a Swift package with your own components (an exprun binary built with ExprunKit).",
        discussion: """
        Writes Package.swift (depending on this exprun checkout by path, or on --exprun-url), one
        custom optimizer, one custom model with a hand-written gradient, their tests (the gradient
        against finite differences, two optimizer steps by hand), a config using both beside a
        built-in baseline, and a README. DIR must be empty or absent. See docs/extending.md.
        Examples:
          exprun init ../my-methods
          exprun init ../my-methods --exprun-path ~/src/exprun
          exprun init ../my-methods --exprun-url https://github.com/me/exprun --exprun-branch main
          cd ../my-methods && swift build -c release && .build/release/my-methods configs/example.yaml
        """)

    @Argument(help: "The folder of the new package (created; must be empty or absent).") var dir: String
    @Option(help: "The package and binary name (default: the folder's name).") var name: String?
    @Option(help: "The exprun checkout to depend on (default: the one this binary was built from).") var exprunPath: String?
    @Option(help: "Depend on exprun by git URL instead of a path.") var exprunUrl: String?
    @Option(help: "The branch of --exprun-url.") var exprunBranch = "main"

    func validate() throws {
        if exprunPath != nil && exprunUrl != nil { throw ValidationError("give --exprun-path or --exprun-url, not both") }
    }

    func run() throws {
        let target = Self.checkTarget(dir)
        let names = ScaffoldNames(requested: name ?? URL(fileURLWithPath: absolute(dir)).lastPathComponent)
        let dependency: ScaffoldDependency
        if let url = exprunUrl {
            dependency = .url(url, branch: exprunBranch)
        } else {
            let path = absolute(exprunPath ?? Self.thisCheckout)
            guard Self.isExprunCheckout(path) else {
                failWith("\(path): not an exprun checkout (no Package.swift naming the package exprun)",
                         suggestion: "--exprun-path DIR (a clone of exprun) or --exprun-url URL")
            }
            dependency = .path(path)
        }
        let fm = FileManager.default
        for file in Scaffold.files(names: names, dependency: dependency) {
            let path = target + "/" + file.path
            do {
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try file.contents.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                failWith("\(path): cannot write (\(error.localizedDescription))")
            }
        }
        print("""
            created \(dir): package \(names.package), binary \(names.executable), components in Sources/\(names.module)
              cd \(dir)
              swift build                      # or -c release for real sweeps
              .build/debug/\(names.executable) configs/example.yaml --jobs 2
            """)
    }

    /// The absolute path of DIR, which must be absent or an empty folder (exit 2 otherwise,
    /// naming what is in it).
    static func checkTarget(_ dir: String) -> String {
        let path = absolute(dir)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return path }
        guard isDir.boolValue else { failWith("\(dir): exists and is not a folder; exprun init writes a new package into an empty or absent folder") }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        if !entries.isEmpty {
            let shown = entries.prefix(5).joined(separator: ", ") + (entries.count > 5 ? ", ..." : "")
            failWith("\(dir): the folder is not empty (\(entries.count) entr\(entries.count == 1 ? "y" : "ies"): \(shown)); "
                     + "exprun init writes a new package into an empty or absent folder")
        }
        return path
    }

    /// The checkout this binary's sources are in (Sources/ExprunKit/InitCommand.swift, two levels up).
    static let thisCheckout: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func isExprunCheckout(_ path: String) -> Bool {
        guard let manifest = try? String(contentsOfFile: path + "/Package.swift", encoding: .utf8) else { return false }
        return manifest.contains(#"name: "exprun""#)
    }
}
