import ExprunCore
import Foundation
import Testing
@testable import ExprunStore

/// kill -9 of a process writing shards leaves only complete shards (or none) under shard names.
@Suite struct KillTests {
    static let writerDirectory = ProcessInfo.processInfo.environment["EXPRUN_STORE_WRITER_DIR"]

    /// Not a check by itself: the child process of `killedWriterLeavesOnlyCompleteShards`, which
    /// re-runs this test binary with EXPRUN_STORE_WRITER_DIR set. Writes shards until killed.
    @Test(.enabled(if: writerDirectory != nil)) func writerLoop() throws {
        let directory = try #require(Self.writerDirectory)
        let deadline = Date().addingTimeInterval(20)
        var index = 0
        while Date() < deadline {
            try Store.writeShard(sampleRecord(id: "w\(index)", seed: index, lr: 0.1, optimizer: "sgd", points: 2000),
                                 directory: directory)
            index += 1
        }
    }

    @Test func killedWriterLeavesOnlyCompleteShards() throws {
        let binary = try #require(Bundle.main.executablePath ?? CommandLine.arguments.first)
        let manager = FileManager.default
        var killedMidWrite = 0
        // Milliseconds after the first shard appears. On a loaded machine a kill may keep
        // missing the write window, so it keeps trying (up to 16 kills) until one lands mid-write.
        for (attempt, delay) in [0, 7, 23, 61, 1, 3, 5, 11, 13, 17, 29, 41, 2, 4, 6, 9].enumerated() {
            if attempt >= 4 && killedMidWrite > 0 { break }
            let directory = try temporaryDirectory("kill")
            defer { try? manager.removeItem(atPath: directory) }
            let child = Process()
            child.executableURL = URL(fileURLWithPath: binary)
            child.arguments = ["--testing-library", "swift-testing", "--filter", "KillTests/writerLoop"]
            child.environment = ProcessInfo.processInfo.environment.merging(["EXPRUN_STORE_WRITER_DIR": directory]) { $1 }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            let start = Date()
            while Date().timeIntervalSince(start) < 15,
                  ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).filter({ $0.hasSuffix(".h5") && !$0.hasPrefix(".") }).isEmpty {
                usleep(1000)
            }
            usleep(useconds_t(delay * 1000))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)

            let names = try manager.contentsOfDirectory(atPath: directory)
            if names.contains(where: { $0.hasPrefix(".tmp-") }) { killedMidWrite += 1 }
            let shards = names.filter { $0.hasSuffix(".h5") && !$0.hasPrefix(".") }
            #expect(!shards.isEmpty)
            let complete = Store.completedShardIds(directory: directory)
            // Every file under a shard name was complete: nothing had to be discarded.
            #expect(complete == Set(shards.map { String($0.dropLast(3)) }))
            for id in complete {
                let file = try ResultsFile(path: Store.shardPath(runId: id, directory: directory))
                #expect(file.steps(id).count == 2000 && file.series(id, metric: "train_loss")?.count == 2000)
            }
        }
        // The kills did land while a shard was being written (its temporary file was left behind).
        #expect(killedMidWrite > 0)
    }
}
