import ExprunCore
@testable import ExprunOptim
import Testing

/// The messages `exprun validate` shows at `transforms:` (through the chain's check).
func chainProblems(_ transforms: Value) -> [String] {
    let params = Params(kind: "chain", values: ["lr": .double(0.1), "transforms": transforms])
    let problems = ChainOptimizer.entry.decl.check?(params) ?? []
    #expect(problems.allSatisfy { $0.param == "transforms" })
    return problems.map(\.message)
}

func expectProblem(_ transforms: String, _ fragments: String...) {
    let messages = chainProblems(.string(transforms))
    #expect(messages.count == 1, "\(transforms): \(messages)")
    for f in fragments { #expect(messages.first?.contains(f) == true, "\(transforms): '\(messages)' lacks '\(f)'") }
}

@Test func validChainsHaveNoProblems() {
    #expect(chainProblems(.string("clip_by_global_norm(max_norm=1.0), scale_by_adam(beta1=0.9, beta2=0.999, eps=1e-8), add_decoupled_weight_decay(weight_decay=0.01)")) == [])
    #expect(chainProblems(.string("  trace( momentum = 0.9 ,\n nesterov=true )  ")) == [])
    #expect(chainProblems(.list([.string("scale_by_sign"), .string("scale_by_learning_rate")])) == [])
    #expect(chainProblems(.string("scale_by_swan(ns_steps=5)")) == [])
}

@Test func unknownTransformSuggestsTheClosest() {
    expectProblem("scale_by_adm(beta1=0.9)", "unknown transform 'scale_by_adm'", "did you mean 'scale_by_adam'?")
    expectProblem("clip_by_global_norm(max_norm=1), tracee", "entry 2:", "unknown transform 'tracee'", "did you mean 'trace'?")
    expectProblem("frobnicate", "unknown transform 'frobnicate'; known: negate,")
}

@Test func unknownParameterListsTheDeclaredOnes() {
    expectProblem("scale_by_adam(beta3=0.9)", "scale_by_adam has no parameter 'beta3'", "did you mean 'beta1'?",
                  "it takes beta1, beta2, eps, amsgrad")
    expectProblem("scale_by_sign(x=1)", "scale_by_sign has no parameter 'x'; it takes no parameters")
    expectProblem("trace(momentum=0.9, momentum=0.5)", "trace: momentum is given twice")
}

@Test func wrongTypeSaysWhatWasExpected() {
    expectProblem("scale_by_adam(beta1=high)", "scale_by_adam: beta1 must be a number, got word 'high'")
    expectProblem("scale_by_adam(amsgrad=1)", "scale_by_adam: amsgrad must be true or false, got number 1")
    expectProblem("scale_by_swan(ns_steps=2.5)", "scale_by_swan: ns_steps must be an integer, got number 2.5")
    expectProblem("scale_by_adam(beta1=0.9.1)", "cannot read '0.9.1' as a number, true/false or a word")
}

@Test func outOfRangeShowsTheRange() {
    expectProblem("scale_by_adam(beta1=1.5)", "scale_by_adam: beta1 must be [0, 1), got 1.5")
    expectProblem("clip_by_global_norm(max_norm=0)", "clip_by_global_norm: max_norm must be > 0, got 0")
    expectProblem("add_weight_decay(weight_decay=-1e-3)", "add_weight_decay: weight_decay must be >= 0, got -1e-3")
    expectProblem("clip_by_value", "clip_by_value: missing required parameter limit")
}

@Test func parenthesisAndSyntaxErrors() {
    expectProblem("scale_by_adam(beta1=0.9", "'scale_by_adam(beta1=0.9' is missing ')'")
    expectProblem("scale_by_adam(beta1=0.9, clip_by_value(limit=1)", "has a '(' inside the arguments: missing ')' before it?")
    expectProblem("scale_by_adam)", "has a ')' without a matching '('")
    expectProblem("scale_by_adam(beta1)", "expected key=value, got 'beta1'")
    expectProblem("scale_by_adam(beta1=)", "beta1 has no value after '='")
    expectProblem("scale_by_adam,", "entry 2: empty entry")
    expectProblem("", "lists no transform")
    #expect(chainProblems(.list([.string("scale_by_adam(eps=1"), .string("trace")])).first?.contains("entry 1: 'scale_by_adam(eps=1' is missing ')'") == true)
}

@Test func orderOfDecayAndLearningRateIsChecked() {
    expectProblem("add_decoupled_weight_decay(weight_decay=0.1), scale_by_adam",
                  "add_decoupled_weight_decay must come after every other transform")
    expectProblem("scale_by_adam, add_decoupled_weight_decay(weight_decay=0.1), scale_by_learning_rate",
                  "add_decoupled_weight_decay must come after scale_by_learning_rate")
    expectProblem("scale_by_learning_rate, scale_by_learning_rate", "scale_by_learning_rate is listed 2 times")
    expectProblem("add_decoupled_weight_decay(weight_decay=0.1)", "lists only decoupled decay")
    expectProblem("trace(momentum=0, nesterov=true)", "trace: nesterov = true requires momentum > 0")
}
