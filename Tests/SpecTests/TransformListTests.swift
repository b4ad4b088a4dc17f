import ExprunTestSupport
import ExprunCore
import ExprunConfig
import ExprunSpec
import Testing

// A chain's `transforms` through the Spec's validator: every entry is a component of the
// `transform` family, written as a map or as a string, and every problem is located.

/// The messages for `transforms: <yaml>` (the YAML text of the value), with their locations.
func transformProblems(_ yaml: String) throws -> [Diagnostic] {
    try problems(.optimizer, "chain", yaml: "lr: 0.1\ntransforms: \(yaml)\n")
}

func expectProblem(_ yaml: String, _ fragments: String..., line: Int = 2, column: Int? = nil) throws {
    let found = try transformProblems(yaml)
    #expect(found.count == 1, "\(yaml): \(found)")
    guard let d = found.first else { return }
    for f in fragments { #expect(d.description.contains(f), "\(yaml): '\(d)' lacks '\(f)'") }
    #expect(d.location?.line == line, "\(yaml): \(d)")
    if let column { #expect(d.location?.column == column, "\(yaml): \(d)") }
}

/// The chain's resolved `transforms`: the canonical texts, every parameter included.
func resolvedTransforms(_ yaml: String) throws -> [String] {
    let tree = try ConfigLoader.parse("lr: 0.1\ntransforms: \(yaml)\n", file: "c.yaml")
    return try ComponentParams.resolve(.optimizer, "chain", tree.entries ?? [])["transforms"]?.asList?.compactMap(\.asString) ?? []
}

@Test func mapAndStringFormsResolveToTheSameParameters() throws {
    let fromMaps = try resolvedTransforms("[{clip_by_global_norm: {max_norm: 1.0}}, scale_by_adam, {add_decoupled_weight_decay: {weight_decay: 0.01}}]")
    let fromStrings = try resolvedTransforms("[\"clip_by_global_norm(max_norm=1.0)\", \"scale_by_adam(beta1=0.9)\", \"add_decoupled_weight_decay(weight_decay=0.01)\"]")
    let fromOneString = try resolvedTransforms("\"clip_by_global_norm(max_norm=1), scale_by_adam, add_decoupled_weight_decay(weight_decay=1.0e-2)\"")
    #expect(fromMaps == ["clip_by_global_norm(max_norm=1.0)", "scale_by_adam(beta1=0.9,beta2=0.999,eps=1e-08,amsgrad=false)",
                         "add_decoupled_weight_decay(weight_decay=0.01,fixed=false)"])
    #expect(fromStrings == fromMaps)
    #expect(fromOneString == fromMaps)
    // Block style, a kind with null parameters, and an empty mapping are the same entries too.
    #expect(try resolvedTransforms("\n  - trace: {momentum: 0.5, nesterov: true}\n  - scale_by_sign:\n  - negate: {}") ==
            ["trace(momentum=0.5,dampening=0.0,nesterov=true)", "scale_by_sign", "negate"])
}

@Test func validChainsHaveNoProblems() throws {
    #expect(try transformProblems("\"clip_by_global_norm(max_norm=1.0), scale_by_adam(beta1=0.9, beta2=0.999, eps=1e-8), add_decoupled_weight_decay(weight_decay=0.01)\"") == [])
    #expect(try transformProblems("\"  trace( momentum = 0.9 ,\\n nesterov=true )  \"") == [])
    #expect(try transformProblems("[scale_by_sign, scale_by_learning_rate]") == [])
    #expect(try transformProblems("[{scale_by_swan: {ns_steps: 5}}]") == [])
}

@Test func unknownTransformSuggestsTheClosestAtItsKey() throws {
    try expectProblem("[{scale_by_adm: {beta1: 0.9}}]", "transforms entry 1: unknown transform 'scale_by_adm'",
                      "(did you mean 'scale_by_adam'?)", column: 15)
    try expectProblem("[\"clip_by_global_norm(max_norm=1), tracee\"]", "entry 1: unknown transform 'tracee'", "did you mean 'trace'?")
    try expectProblem("[clip_by_global_norm: {max_norm: 1}, frobnicate]", "entry 2: unknown transform 'frobnicate' (see `exprun list transforms`)")
}

@Test func unknownParameterListsTheDeclaredOnes() throws {
    try expectProblem("[{scale_by_adam: {beta3: 0.9}}]", "scale_by_adam) has no parameter 'beta3'", "did you mean 'beta1'?",
                      "it takes beta1, beta2, eps, amsgrad", column: 31)
    try expectProblem("[\"scale_by_sign(x=1)\"]", "scale_by_sign) has no parameter 'x'; it takes no parameters")
    try expectProblem("[\"trace(momentum=0.9, momentum=0.5)\"]", "trace): momentum is given twice")
}

@Test func wrongTypeSaysWhatWasExpectedAtTheValue() throws {
    try expectProblem("[{scale_by_adam: {beta1: high}}]", "(scale_by_adam): beta1 must be a number, got string 'high'", column: 38)
    try expectProblem("[\"scale_by_adam(amsgrad=1)\"]", "amsgrad must be true or false, got integer '1'")
    try expectProblem("[{scale_by_swan: {ns_steps: 2.5}}]", "ns_steps must be an integer, got number '2.5'")
    try expectProblem("[\"scale_by_adam(beta1=0.9.1)\"]", "cannot read '0.9.1' as a number, true/false or a word")
    try expectProblem("[{scale_by_adam: 3}]", "the parameters of scale_by_adam must be a mapping {key: value}, got integer")
    try expectProblem("[{scale_by_adam: {}, trace: {}}]", "a transform written as a mapping has one key")
    try expectProblem("[[scale_by_adam]]", "entry 1: must be a transform name")
    try expectProblem("3", "transforms must be a list of transforms, got integer '3'")
}

@Test func outOfRangeShowsTheRange() throws {
    try expectProblem("[{scale_by_adam: {beta1: 1.5}}]", "beta1 must be [0, 1), got 1.5")
    try expectProblem("[\"clip_by_global_norm(max_norm=0)\"]", "max_norm must be > 0, got 0")
    try expectProblem("[{add_weight_decay: {weight_decay: -1.0e-3}}]", "weight_decay must be >= 0, got -0.001")
    try expectProblem("[clip_by_value]", "(clip_by_value): missing required parameter 'limit'")
}

@Test func parenthesisAndSyntaxErrors() throws {
    try expectProblem("[\"scale_by_adam(beta1=0.9\"]", "'scale_by_adam(beta1=0.9' is missing ')'")
    try expectProblem("[\"scale_by_adam(beta1=0.9, clip_by_value(limit=1)\"]", "has a '(' inside the arguments: missing ')' before it?")
    try expectProblem("[\"scale_by_adam)\"]", "has a ')' without a matching '('")
    try expectProblem("[\"scale_by_adam(beta1)\"]", "expected key=value, got 'beta1'")
    try expectProblem("[\"scale_by_adam(beta1=)\"]", "beta1 has no value after '='")
    try expectProblem("[\"scale_by_adam,\"]", "entry 1: empty entry")
    try expectProblem("[]", "transforms lists no transform")
    try expectProblem("[trace, \"scale_by_adam(eps=1\"]", "entry 2: 'scale_by_adam(eps=1' is missing ')'")
}

@Test func orderOfDecayAndLearningRateIsChecked() throws {
    try expectProblem("[{add_decoupled_weight_decay: {weight_decay: 0.1}}, scale_by_adam]",
                      "add_decoupled_weight_decay must come after every other transform")
    try expectProblem("[scale_by_adam, {add_decoupled_weight_decay: {weight_decay: 0.1}}, scale_by_learning_rate]",
                      "add_decoupled_weight_decay must come after scale_by_learning_rate")
    try expectProblem("[scale_by_learning_rate, scale_by_learning_rate]", "scale_by_learning_rate is listed 2 times")
    try expectProblem("[{add_decoupled_weight_decay: {weight_decay: 0.1}}]", "lists only decoupled decay")
    // The cross-parameter check points at the parameter it is about.
    try expectProblem("[{trace: {momentum: 0, nesterov: true}}]", "(trace): nesterov = true requires momentum > 0", column: 33)
}
