import Testing
@testable import ExprunKit

/// What `exprun init` writes, without building it (tests/python/test_kit_scaffold.py builds and runs it).
@Suite struct ScaffoldTests {
    @Test func namesAreValidForSwiftPMAndNotExpruns() {
        let plain = ScaffoldNames(requested: "my-methods")
        #expect((plain.package, plain.executable, plain.module) == ("my-methods", "my-methods", "MyMethodsComponents"))
        #expect(ScaffoldNames(requested: "lab 2 (new)").module == "Lab2NewComponents")
        #expect(ScaffoldNames(requested: "2024").package == "lab-2024")
        // A binary named exprun would clash with the dependency's own target.
        #expect(ScaffoldNames(requested: "exprun").executable == "my-exprun")
    }

    @Test func theDependencyNamesThePackageIdentitySwiftPMDerives() {
        let path = ScaffoldDependency.path("/work/src/Exprun-Fork").manifest
        #expect(path.line == #".package(path: "/work/src/Exprun-Fork")"#)
        #expect(path.identity == "exprun-fork")
        let url = ScaffoldDependency.url("https://github.com/me/exprun.git", branch: "dev").manifest
        #expect(url.line == #".package(url: "https://github.com/me/exprun.git", branch: "dev")"#)
        #expect(url.identity == "exprun")
    }

    @Test func everyFileIsFilledIn() {
        let files = Scaffold.files(names: ScaffoldNames(requested: "my-methods"), dependency: .path("/x/exprun"))
        #expect(files.map(\.path).contains("Sources/my-methods/main.swift"))
        #expect(files.map(\.path).contains("Sources/MyMethodsComponents/NormalizedMomentum.swift"))
        for file in files { #expect(!file.contents.contains("{{"), "\(file.path)") }
        let manifest = files.first { $0.path == "Package.swift" }!.contents
        #expect(manifest.contains(#".product(name: "ExprunKit", package: "exprun")"#))
    }
}
