import Foundation
import ExprunConfig
import ExprunSpec

/// `exprun validate A.yaml B.yaml ...`: every config checked on its own (one bad file does not
/// hide the next), "PATH: ok (N runs)" or its located problems; exit 2 when any has a problem.
enum ValidateConfigs {
    static func run(_ configs: [String], overrides: [String], data: Bool) {
        var bad = 0
        for config in configs {
            do {
                let e = try ExperimentBuilder.load(path: config, overrides: overrides, dataDirectory: dataDirectory())
                let dataProblems = data ? DataCheck.problems(e.runs) : []
                if dataProblems.isEmpty {
                    print("\(config): ok (\(e.runs.count) runs\(data ? ", data read" : ""))")
                } else {
                    bad += 1
                    dataProblems.forEach { stderr($0) }
                }
            } catch let list as DiagnosticList {
                bad += 1
                stderr(list.description)
            } catch {
                bad += 1
                stderr("\(config): \(error)")
            }
            fflush(nil)   // results in file order when stdout and stderr share a pipe
        }
        if bad > 0 {
            stderr("\(bad) of \(configs.count) config\(configs.count == 1 ? "" : "s") with problems; nothing was run or written.")
            Foundation.exit(Exit.badInput)
        }
    }
}
