import Foundation
import Testing
import ExprunCore
import ExprunOptim
@testable import ExprunCatalogue

/// Added components: the checks `Catalogue.register` makes, on the built-in catalogue of this
/// process (nothing is installed here: the test process keeps the plain catalogue, which the
/// other suites read).
@Suite struct RegistrationTests {
    static func optimizer(_ kind: String, counters: [CounterDecl] = [], family: Family = .optimizer) -> ExtraComponent {
        .optimizer(OptimizerEntry(ComponentDecl(family, kind, doc: "an added method", params: [], counters: counters)) { _, _ in
            throw ComponentError("not built in this test")
        })
    }

    /// The problems of adding `extra` to the built-in catalogue (as `register` sees it once installed).
    static func problems(_ extra: [ExtraComponent]) -> [String] {
        Catalogue.registrationProblems(extra, catalogue: { family in
            Catalogue.decls(family) + extra.compactMap(\.component).filter { $0.family == family }.map(\.decl)
        })
    }

    @Test func aNewKindIsAccepted() {
        #expect(Self.problems([Self.optimizer("my_method"), Self.optimizer("my_other_method")]).isEmpty)
    }

    @Test func aClashWithABuiltInKindNamesBoth() throws {
        let sgdDoc = try #require(Catalogue.decl(.optimizer, kind: "sgd")).doc
        let problems = Self.problems([Self.optimizer("my_method"), Self.optimizer("sgd")])
        #expect(problems.count == 1)
        let message = try #require(problems.first)
        #expect(message.contains("the added optimizer 'sgd' (an added method)"))
        #expect(message.contains("the built-in optimizer 'sgd' (\(sgdDoc))"))
    }

    @Test func aKindOfAnotherFamilyDoesNotClash() {
        // `constant` is a built-in schedule; an optimizer may have that name.
        #expect(Catalogue.decl(.schedule, kind: "constant") != nil)
        #expect(Self.problems([Self.optimizer("constant")]).isEmpty)
    }

    @Test func twoAddedComponentsWithOneKindClash() throws {
        let problems = Self.problems([Self.optimizer("my_method"), Self.optimizer("my_method")])
        #expect(problems == ["2 added optimizers have the same kind: 'my_method' (an added method) and 'my_method' (an added method)"])
    }

    @Test func aDeclarationOfAnotherFamilyIsRefused() throws {
        let message = try #require(Self.problems([Self.optimizer("my_schedule", family: .schedule)]).first)
        #expect(message.contains("the added optimizer 'my_schedule' is declared as a schedule"))
    }

    @Test func aCounterNamedLikeAMetricOfAKindIsRefused() throws {
        let problems = Self.problems([Self.optimizer("my_method", counters: [CounterDecl("train_loss", "hides the metric")])])
        let message = try #require(problems.first)
        #expect(message.contains("the counter 'train_loss' of the added optimizer 'my_method'"))
        #expect(message.contains("stochastic kind's metric 'train_loss'"))
    }

    @Test func aProblemKindNamedLikeABuiltInOneClashes() throws {
        let stochastic = try #require(Catalogue.problem("stochastic"))
        let copy = ProblemEntry(ProblemDecl("stochastic", doc: "my kind", roles: stochastic.decl.roles, metrics: [],
                                            defaultMetrics: [], views: false), run: stochastic.run)
        let message = try #require(Self.problems([.problem(copy)]).first)
        #expect(message.contains("the added problem kind 'stochastic' (my kind) clashes with the built-in problem kind 'stochastic' (\(stochastic.decl.doc))"))
    }
}
