import Foundation

/// The names of a scaffolded package: the package and its binary (`my-methods`), and the
/// module of its components (`MyMethodsComponents`).
struct ScaffoldNames {
    var package: String
    var executable: String
    var module: String

    init(requested: String) {
        // SwiftPM names: letters, digits, - and _, starting with a letter; not exprun's own.
        var name = String(requested.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
        if name.isEmpty || !(name.first!.isLetter) { name = "lab-" + name }
        if name.lowercased().hasPrefix("exprun") { name = "my-" + name }
        package = name; executable = name
        let words = name.split(whereSeparator: { $0 == "-" || $0 == "_" })
        module = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() + "Components"
    }
}

/// How the scaffold depends on exprun.
enum ScaffoldDependency {
    case path(String)
    case url(String, branch: String)

    /// The `.package(...)` line and the package identity `.product(name:package:)` needs
    /// (SwiftPM derives it from the last path component of the path or URL).
    var manifest: (line: String, identity: String) {
        switch self {
        case .path(let p):
            return (".package(path: \(Self.quoted(p)))", URL(fileURLWithPath: p).lastPathComponent.lowercased())
        case .url(let u, let branch):
            var last = URL(string: u)?.lastPathComponent ?? "exprun"
            if last.hasSuffix(".git") { last.removeLast(4) }
            // A branch, not a version: exprun's manifest uses unsafe flags, which SwiftPM allows
            // in path and branch dependencies only.
            return (".package(url: \(Self.quoted(u)), branch: \(Self.quoted(branch)))", last.lowercased())
        }
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// The files of a new package, by path relative to its folder.
enum Scaffold {
    static func files(names: ScaffoldNames, dependency: ScaffoldDependency) -> [(path: String, contents: String)] {
        let (line, identity) = dependency.manifest
        func fill(_ template: String) -> String {
            template.replacingOccurrences(of: "{{PACKAGE}}", with: names.package)
                .replacingOccurrences(of: "{{EXECUTABLE}}", with: names.executable)
                .replacingOccurrences(of: "{{MODULE}}", with: names.module)
                .replacingOccurrences(of: "{{DEPENDENCY}}", with: line)
                .replacingOccurrences(of: "{{IDENTITY}}", with: identity)
        }
        let m = names.module
        return [
            ("Package.swift", fill(packageSwift)),
            ("Sources/\(names.executable)/main.swift", fill(mainSwift)),
            ("Sources/\(m)/NormalizedMomentum.swift", ScaffoldComponents.optimizer),
            ("Sources/\(m)/PseudoHuberRegression.swift", ScaffoldComponents.model),
            ("Tests/\(m)Tests/ComponentTests.swift", fill(testsSwift)),
            ("configs/example.yaml", fill(exampleConfig)),
            ("README.md", fill(readme)),
            (".gitignore", ".build/\nPackage.resolved\nruns/\nschema.json\n"),
        ]
    }

    static let packageSwift = #"""
        // swift-tools-version:6.0
        import PackageDescription

        // An exprun binary with your own components beside the built-in ones (made by `exprun init`).
        let package = Package(
            name: "{{PACKAGE}}",
            platforms: [.macOS(.v13)],
            dependencies: [
                {{DEPENDENCY}},
            ],
            targets: [
                // Your components, one file each, each with its declaration (`static let entry`).
                .target(name: "{{MODULE}}", dependencies: [.product(name: "ExprunKit", package: "{{IDENTITY}}")]),
                // The binary: exprun with everything built in, plus the components main.swift adds.
                .executableTarget(name: "{{EXECUTABLE}}",
                                  dependencies: ["{{MODULE}}", .product(name: "ExprunKit", package: "{{IDENTITY}}")]),
                .testTarget(name: "{{MODULE}}Tests", dependencies: ["{{MODULE}}"]),
            ]
        )

        """#

    static let mainSwift = #"""
        import ExprunKit
        import {{MODULE}}

        // exprun, with everything built in plus these. An added kind named like a built-in one
        // stops the binary at start-up with a message naming both.
        ExprunKit.main(extra: [
            .optimizer(NormalizedMomentum.entry),
            .model(PseudoHuberRegression.entry),
        ])

        """#

    static let testsSwift = #"""
        import Testing
        import ExprunKit
        @testable import {{MODULE}}

        /// A small deterministic generator (the tests must not depend on the system's).
        struct SplitMix {
            var state: UInt64
            mutating func next() -> Double {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) * 2 - 1
            }
        }

        /// The hand-written gradient against central differences of the loss, coordinate by
        /// coordinate, at a point where residuals fall in both regimes of the loss.
        @Test func pseudoHuberGradientMatchesFiniteDifferences() throws {
            var rng = SplitMix(state: 7)
            let n = 40, d = 6
            let a = (0..<(n * d)).map { _ in rng.next() }
            let y = (0..<n).map { _ in 3 * rng.next() }
            let data = Dataset(train: DataSplit(features: .dense(DenseMatrix(rows: n, cols: d, values: a)), targets: y),
                               task: .regression)
            let params = Params(kind: "pseudo_huber", values: ["dataset": .string("d"), "delta": .double(0.7), "l2": .double(0.1)])
            let model = try PseudoHuberRegression(params: params, dataset: data)
            var x = (0..<d).map { _ in rng.next() }
            var g = [Double](repeating: 0, count: d)
            _ = x.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { model.fullLossAndGradient(xb, gradient: $0) } }
            for j in 0..<d {
                let h = 1e-5, xj = x[j]
                x[j] = xj + h
                let up = x.withUnsafeBufferPointer { model.fullLoss($0) }
                x[j] = xj - h
                let down = x.withUnsafeBufferPointer { model.fullLoss($0) }
                x[j] = xj
                let fd = (up - down) / (2 * h)
                #expect(abs(fd - g[j]) <= 1e-7 * max(1, abs(g[j])), "coordinate \(j): \(g[j]) vs \(fd)")
            }
            // The minibatch oracle over every row is the full-batch one.
            var gb = [Double](repeating: 0, count: d)
            let rows = Array(0..<n)
            let fb = x.withUnsafeBufferPointer { xb in
                rows.withUnsafeBufferPointer { r in gb.withUnsafeMutableBufferPointer { model.batchLossAndGradient(xb, rows: r, gradient: $0) } }
            }
            #expect(abs(fb - x.withUnsafeBufferPointer { model.fullLoss($0) }) <= 1e-12)
            #expect(zip(g, gb).allSatisfy { abs($0 - $1) <= 1e-12 })
        }

        struct ConstantLR: Schedule { let lr: Double; func lr(at t: Int) -> Double { lr } }

        /// Two steps worked by hand: m1 = (1 - beta) g1 = (1.5, 2), ||m1|| = 2.5, x1 = x0 - 0.1 (0.6, 0.8);
        /// m2 = beta m1 + (1 - beta) g2 = (0.75, 0), x2 = x1 - 0.1 (1, 0).
        @Test func normalizedMomentumStepsByHand() {
            let context = OptimizerContext(dimension: 2, layout: [ParamBlock(name: "w", offset: 0, rows: 2, cols: 1)],
                                           schedule: ConstantLR(lr: 0.1), seed: 0)
            let method = NormalizedMomentum(params: Params(kind: "normalized_momentum", values: ["lr": .double(0.1), "beta": .double(0.5)]),
                                            context: context)
            var x = [1.0, 2.0]
            var g = [3.0, 4.0]
            x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { method.step(xb, gradient: $0, t: 0) } }
            #expect(abs(x[0] - 0.94) <= 1e-15 && abs(x[1] - 1.92) <= 1e-15)
            #expect(method.counter(0) == 2.5)
            g = [0.0, -2.0]
            x.withUnsafeMutableBufferPointer { xb in g.withUnsafeMutableBufferPointer { method.step(xb, gradient: $0, t: 1) } }
            #expect(abs(x[0] - 0.84) <= 1e-15 && abs(x[1] - 1.92) <= 1e-15)
        }

        """#

    static let exampleConfig = #"""
        # Your optimizer (normalized_momentum) against a built-in baseline (sgd with momentum),
        # on your model (pseudo_huber) and a built-in one (least_squares), on data with
        # heavy-tailed noise. Run: .build/release/{{EXECUTABLE}} configs/example.yaml
        # Editor completion: .build/release/{{EXECUTABLE}} schema > schema.json, then
        # yaml-language-server: $schema=../schema.json
        name: example
        description: normalized SGD with momentum vs SGD with momentum, pseudo-Huber vs least squares
        seeds: 3
        run:
          steps: 2000
          batch_size: 16
          log: {points: 20}
          metrics: [train_loss, test_loss, grad_norm, lr, momentum_norm]
        summary: {metric: train_loss}

        datasets:
          reg: {kind: synthetic_regression, n: 1000, dim: 20, noise: 1.0, noise_distribution: laplace, test_fraction: 0.2}
        models:
          huber: {kind: pseudo_huber, dataset: reg, delta: 1.0, l2: 1.0e-3}
          ridge: {kind: least_squares, dataset: reg, l2: 1.0e-3}
        optimizers:
          nsgdm: {kind: normalized_momentum, lr: 0.01, beta: 0.9}
          sgd: {kind: sgd, lr: 0.01, momentum: 0.9}

        sweep:
          model: [huber, ridge]
          optimizer: [nsgdm, sgd]
          optimizer.lr: {logspace: [-3, -1, 3]}

        """#

    static let readme = #"""
        # {{PACKAGE}}

        An exprun binary with your own components beside every built-in one (made by `exprun init`).
        Everything exprun does applies to them: sweeps, common random numbers, validation with
        `file:line:col`, crash-safe resumable runs, results.h5, summaries, plots and reports.

            Sources/{{MODULE}}/NormalizedMomentum.swift     an optimizer (kind normalized_momentum)
            Sources/{{MODULE}}/PseudoHuberRegression.swift  a model with a hand-written gradient (kind pseudo_huber)
            Sources/{{EXECUTABLE}}/main.swift                exprun + these: ExprunKit.main(extra: [...])
            Tests/{{MODULE}}Tests                            the gradient against finite differences, steps by hand
            configs/example.yaml                             both, against built-in baselines

        ## Build, test, run

            swift build -c release
            swift test
            .build/release/{{EXECUTABLE}} configs/example.yaml --jobs 2
            .build/release/{{EXECUTABLE}} summary runs/example/results.h5 --best-over optimizer.lr
            .build/release/{{EXECUTABLE}} list normalized_momentum
            .build/release/{{EXECUTABLE}} schema > schema.json

        ## Adding a component

        Write a type conforming to exprun's protocol for its family (`Optimizer`, `Objective`,
        `Schedule`, ...), give it a `static let entry` (its `ComponentDecl`: kind, doc, declared
        parameters with defaults and ranges, and its factory), and add it to the list in
        main.swift. Its kind must not be a built-in one's. exprun's docs/extending.md walks
        through every step.

        """#
}
