import Foundation
import ExprunCore
import ExprunCatalogue
import ExprunRunner

/// Reads every data file a sweep uses, once, before any run starts: a content error (a
/// non-numeric CSV cell, a LIBSVM index too large for memory, /etc/passwd given as a CSV) is
/// then one located error and exit 2, not the same failure once per run.
enum DataCheck {
    /// Problems, one per data set instance that reads files and cannot be built, each as the
    /// loader's "file:line:col: message" naming the data set.
    static func problems(_ runs: [RunSpec]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for spec in runs {
            guard let instance = spec.datasetInstance, let entry = Catalogue.dataset(instance.params.kind) else { continue }
            let context = DatasetContext(seed: DatasetCache.effectiveSeed(instance, runSeed: spec.seed),
                                         baseDirectory: spec.baseDirectory, dataDirectory: spec.dataDirectory)
            // Generated data sets have no files to get wrong.
            guard !entry.inputFiles(instance.params, context).isEmpty else { continue }
            // The file content does not depend on the seed: one parse per instance.
            let key = DatasetCache.key(instance, runSeed: 0, baseDirectory: spec.baseDirectory, dataDirectory: spec.dataDirectory)
            guard seen.insert(key).inserted else { continue }
            do { _ = try ComponentFactory.catalogue.makeDataset(instance, context) }
            // The location first (file:line:col: ...), as a config error reads.
            catch { out.append("\(error) (dataset '\(instance.name)')") }
        }
        return out
    }
}

/// SIGINT/SIGTERM before the sweep runner installs its trap (while the grid is expanded and
/// data files are checked): nothing is written yet, so the process exits 130 at once, instead
/// of SIGTERM's default death (143).
enum EarlySignals {
    static func exitOnSignal() {
        for s in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in _exit(130) }
            sigemptyset(&action.sa_mask)
            sigaction(s, &action, nil)
        }
    }
}
