// swift-tools-version:6.0
import PackageDescription

// Modules follow the data flow: Config -> Spec (+Grid) -> Runner -> Store -> Report, over Core.
// Component families (data, models, optimizers, online) sit beside Core; problem kinds
// (Sources/Problems/<kind>: roles, step, metrics) sit over them. ExprunCatalogue gathers both:
// the one registry that drives parsing, validation, `exprun list`, the schema and the runner.
//
// Every module builds with checked arithmetic and bounds (-O): a violated precondition stops
// with a message instead of corrupting memory. -Ounchecked on every module against none
// does not pay: on bench/sgd_logistic.yaml it saved 1.3% of the loop's instructions (callgrind,
// 20,000 steps) and 4% of data generation, on bench/mlp.yaml 0.7% (the time is in BLAS).
// Release builds stay whole-module optimised (SwiftPM's default for -c release, spelled out here).
let optimize: [SwiftSetting] = [.unsafeFlags(["-wmo"], .when(configuration: .release))]

let package = Package(
    name: "exprun",
    platforms: [.macOS(.v13)],
    products: [.executable(name: "exprun", targets: ["exprun"]), .library(name: "ExprunKit", targets: ["ExprunKit"])],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
        // Picks OpenBLAS's kernels from the CPU's features when the library falls back to generic ones.
        .target(name: "CBLASCore", path: "Sources/CBLASCore"),
        // dot and axpy in AVX, chosen at run time, bit-identical to the baseline Swift loops.
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(name: "ExprunCore", dependencies: ["COpenBLAS", "CBLASCore", "CKernels"], swiftSettings: optimize),
        .target(name: "ExprunData", dependencies: ["ExprunCore"], swiftSettings: optimize),
        .target(name: "ExprunModels", dependencies: ["ExprunCore"], swiftSettings: optimize),
        .target(name: "ExprunOptim", dependencies: ["ExprunCore"], swiftSettings: optimize),
        .target(name: "ExprunOnline", dependencies: ["ExprunCore"], swiftSettings: optimize),
        .target(name: "ExprunBlackBox", dependencies: ["ExprunCore", "ExprunOptim"], swiftSettings: optimize),
        // The one run loop (clock, log points, views, checks, recorder), generic over a kind's
        // kernel and @inlinable, so each problem kind's module specialises it.
        .target(name: "ExprunLoop", dependencies: ["ExprunCore"], swiftSettings: optimize),
        .target(name: "ProblemStochastic", dependencies: ["ExprunCore", "ExprunLoop"], path: "Sources/Problems/Stochastic",
                swiftSettings: optimize),
        .target(name: "ProblemOnline", dependencies: ["ExprunCore", "ExprunLoop", "ExprunOnline"], path: "Sources/Problems/Online",
                swiftSettings: optimize),
        .target(name: "ProblemBlackBox", dependencies: ["ExprunCore", "ExprunLoop", "ExprunModels", "ExprunBlackBox", "ProblemStochastic"],
                path: "Sources/Problems/BlackBox", swiftSettings: optimize),
        .target(name: "ProblemTokenWalk", dependencies: ["ExprunCore", "ExprunLoop", "ExprunModels", "COpenBLAS"],
                path: "Sources/Problems/TokenWalk", swiftSettings: optimize),
        // Simulated federated learning on the loop's simulated clock (clients, server rules).
        .target(name: "ProblemFederated", dependencies: ["ExprunCore", "ExprunLoop"], path: "Sources/Problems/Federated",
                swiftSettings: optimize),
        .target(name: "ExprunCatalogue",
                dependencies: ["ExprunCore", "ExprunData", "ExprunModels", "ExprunOptim", "ExprunOnline", "ExprunBlackBox",
                               "ProblemStochastic", "ProblemOnline", "ProblemBlackBox", "ProblemTokenWalk", "ProblemFederated"]),
        .target(name: "ExprunConfig", dependencies: ["ExprunCore", .product(name: "Yams", package: "Yams")]),
        .target(name: "ExprunSpec", dependencies: ["ExprunCore", "ExprunConfig", "ExprunCatalogue"]),
        .target(name: "ExprunStore", dependencies: ["ExprunCore", "CHDF5"]),
        .target(name: "ExprunRunner",
                dependencies: ["ExprunCore", "ExprunSpec", "ExprunCatalogue", "ExprunStore"]),
        .target(name: "ExprunReport", dependencies: ["ExprunCore", "ExprunStore"]),
        // The command line, as a library: the exprun executable and researchers' own binaries call its main.
        .target(name: "ExprunKit",
                dependencies: ["ExprunCore", "ExprunLoop", "ExprunConfig", "ExprunSpec", "ExprunCatalogue",
                               "ExprunRunner", "ExprunStore", "ExprunReport", "ProblemTokenWalk",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "exprun", dependencies: ["ExprunKit"]),
        // What the test targets share: the real validator's Params, numerics, the python runner.
        .target(name: "ExprunTestSupport", dependencies: ["ExprunCore", "ExprunConfig", "ExprunSpec", "ExprunCatalogue"],
                path: "Tests/Support"),
        // An exprun binary built with ExprunKit (an added optimizer, transform and schedule), run by KitTests.
        .executableTarget(name: "KitFixture", dependencies: ["ExprunKit", "ExprunOptim"], path: "Tests/KitFixture"),
        // A malloc counter (the test executable forwards malloc to glibc, counting per thread).
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "CoreTests", dependencies: ["ExprunCore", "CBLASCore", "COpenBLAS", "CKernels"], path: "Tests/CoreTests"),
        .testTarget(name: "DataTests", dependencies: ["ExprunCore", "ExprunData"], path: "Tests/DataTests"),
        .testTarget(name: "ModelTests", dependencies: ["ExprunCore", "ExprunData", "ExprunModels", "ExprunTestSupport"],
                    path: "Tests/ModelTests"),
        .testTarget(name: "OptimTests", dependencies: ["ExprunCore", "ExprunOptim", "ExprunTestSupport"],
                    path: "Tests/OptimTests"),
        .testTarget(name: "OnlineTests", dependencies: ["ExprunCore", "ExprunOnline", "ExprunData", "ExprunTestSupport",
                                                       "ProblemOnline"],
                    path: "Tests/OnlineTests"),
        .testTarget(name: "SpecTests", dependencies: ["ExprunCore", "ExprunConfig", "ExprunSpec", "ExprunCatalogue",
                                                     "ExprunTestSupport"],
                    path: "Tests/SpecTests"),
        .testTarget(name: "StoreTests", dependencies: ["ExprunCore", "ExprunStore"], path: "Tests/StoreTests"),
        .testTarget(name: "ReportTests", dependencies: ["ExprunCore", "ExprunStore", "ExprunReport", "ExprunTestSupport"],
                    path: "Tests/ReportTests"),
        // The catalogue-wide contract every declared component meets (no list of kinds).
        .testTarget(name: "ContractTests",
                    dependencies: ["ExprunCore", "ExprunCatalogue", "ExprunOptim", "ExprunOnline", "ExprunSpec", "ExprunTestSupport"],
                    path: "Tests/ContractTests"),
        .testTarget(name: "BlackBoxTests",
                    dependencies: ["ExprunCore", "ExprunModels", "ExprunBlackBox", "ExprunTestSupport"],
                    path: "Tests/BlackBoxTests"),
        .testTarget(name: "TokenWalkTests",
                    dependencies: ["ExprunCore", "ProblemTokenWalk", "ExprunTestSupport", "AllocationCounter"],
                    path: "Tests/TokenWalkTests"),
        .testTarget(name: "FederatedTests",
                    dependencies: ["ExprunCore", "ExprunLoop", "ProblemFederated", "ExprunCatalogue", "ExprunSpec",
                                   "ExprunRunner", "ExprunConfig", "ExprunTestSupport"],
                    path: "Tests/FederatedTests"),
        .testTarget(name: "KitTests", dependencies: ["ExprunCore", "ExprunCatalogue", "ExprunOptim", "ExprunStore", "ExprunKit"],
                    path: "Tests/KitTests"),
        .testTarget(name: "RunnerTests",
                    dependencies: ["ExprunCore", "ExprunSpec", "ExprunCatalogue", "ExprunRunner", "ExprunStore",
                                   "ExprunConfig", "ExprunTestSupport", "ProblemStochastic", "ExprunLoop",
                                   "AllocationCounter"],
                    path: "Tests/RunnerTests"),
    ]
)
