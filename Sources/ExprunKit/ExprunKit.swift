// ExprunKit: the exprun command line as a library, for a researcher's own package. Its
// public surface is `main(extra:)` and the declarations the built-in components use, which
// it re-exports: ExprunCore (ComponentDecl, ParamDecl, Params, the entries, Objective,
// Optimizer, Schedule, ProblemEntry, ...), ExprunLoop (the run loop, for a new problem kind)
// and ExprunCatalogue (ExtraComponent, and the catalogue itself for tests).
@_exported import ExprunCore
@_exported import ExprunLoop
@_exported import ExprunCatalogue
import Foundation
import ArgumentParser

/// Runs the exprun command line on the process's arguments, with `extra` components beside
/// the built-in ones, and exits with the command's code. A researcher's `main.swift` is
/// `ExprunKit.main(extra: [.optimizer(MyMethod.entry), .model(MyModel.entry)])`; the plain
/// exprun binary is `ExprunKit.main()`.
///
/// The added components go everywhere the built-in ones do: parsing and validation (with
/// file:line:col), capabilities, `exprun list`, `exprun schema`, the runner and results.h5
/// (whose root attribute `added_components` lists them). An added kind named like a built-in
/// one of its family (or another added one) stops the binary at start-up, before any command,
/// with exit code 2 and a message naming both.
public func main(extra: [ExtraComponent] = []) -> Never {
    do { try Catalogue.register(extra) } catch {
        FileHandle.standardError.write("error: the components added to this exprun binary conflict:\n\(error)\n".data(using: .utf8)!)
        Foundation.exit(Exit.badInput)
    }
    // Argument errors exit 2 (the contract), not ArgumentParser's 64.
    CLIDefects.rejectUnknownHelpTopic(Exprun.configuration.subcommands.map { $0._commandName })
    do {
        var command = try Exprun.parseAsRoot()
        try command.run()
    } catch {
        let code = Exprun.exitCode(for: error)
        if code == .success {
            Exprun.exit(withError: error)
        }
        if error is ExitCode { Exprun.exit(withError: error) }
        FileHandle.standardError.write((Exprun.fullMessage(for: error) + "\n").data(using: .utf8)!)
        Foundation.exit(code == .validationFailure ? Exit.badInput : Exit.runFailed)
    }
    Foundation.exit(Exit.ok)
}
