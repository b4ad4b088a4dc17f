import ExprunCore

extension SEAEnvironment {
    /// Declaration and factory of the SEA environment.
    public static let entry = EnvironmentEntry(
        ComponentDecl(.environment, "sea",
                      doc: "stochastically extended adversarial losses centred at μ_t + σξ_t (Sachs et al. 2022)",
                      params: [
                          .choice("loss", SEALoss.allCases.map(\.rawValue), "squared",
                                  "squared ½||x-c||², logistic log(1+e^{-<c,x>}), absolute ||x-c||_1, strongly_convex logistic + (l2/2)||x||²"),
                          .int("dim", 10, .atLeastOne, "dimension d"),
                          .choice("domain", DomainShape.allCases.map(\.rawValue), "ball", "decision set X"),
                          .double("radius", 1, .positive, "ball radius or box half-width (ignored on the simplex)"),
                          .double("sigma", 0.1, .nonNegative, "stochastic scale: c_t = μ_t + σξ_t, ξ_t ~ N(0, I/d)"),
                          .double("variation", 0.5, .nonNegative, "adversarial amplitude a: μ_t = offset·e_2 ± a·e_1"),
                          .choice("pattern", SEAPattern.allCases.map(\.rawValue), "alternating",
                                  "fixed, alternating every period, drift a·cos(2πt/period), random flips (prob 1/period), adaptive (against the last play)"),
                          .int("period", 10, .nonNegative, "rounds between switches (0: never)"),
                          .double("offset", 0.3, .any, "fixed component of the mean along e_2"),
                          .double("l2", 0.1, .positive, "λ of the strongly_convex loss"),
                      ]),
        provides: { p in
            let loss = p.string("loss")
            var out: Set<Capability> = [domainCapability(DomainShape(rawValue: p.string("domain"))!)]
            if loss == "squared" || loss == "strongly_convex" { out.insert(.stronglyConvex) }
            // The absolute loss is not exp-concave (the environment reports α = 0 for it).
            if loss != "absolute" { out.insert(.expConcave) }
            return out
        },
        make: { p, build in
            SEAEnvironment(loss: SEALoss(rawValue: p.string("loss"))!, dimension: p.int("dim"),
                           domain: DomainShape(rawValue: p.string("domain"))!, radius: p.double("radius"),
                           sigma: p.double("sigma"), variation: p.double("variation"),
                           pattern: SEAPattern(rawValue: p.string("pattern"))!, period: p.int("period"),
                           offset: p.double("offset"), l2: p.double("l2"), seed: build.seed, horizon: build.horizon)
        })
}

extension StreamEnvironment {
    /// Declaration and factory of the data-stream environment.
    public static let entry = EnvironmentEntry(
        ComponentDecl(.environment, "stream",
                      doc: "replays a data set's rows as the loss sequence (file order or seeded shuffles)",
                      params: [
                          .reference("dataset", .dataset, "the data set to replay (training split)"),
                          .choice("loss", StreamLoss.allCases.map(\.rawValue), "logistic",
                                  "squared ½(<a,x>-y)², logistic log(1+e^{-y<a,x>}), hinge max(0, 1-y<a,x>)"),
                          .choice("order", ["file", "shuffled"], "file", "file order, or a fresh seeded permutation per pass"),
                          .choice("domain", DomainShape.allCases.map(\.rawValue), "ball", "decision set X"),
                          .double("radius", 10, .positive, "ball radius or box half-width (ignored on the simplex)"),
                      ]),
        provides: { p in
            var out: Set<Capability> = [domainCapability(DomainShape(rawValue: p.string("domain"))!)]
            // The hinge loss is not exp-concave (the environment reports α = 0 for it).
            if p.string("loss") != "hinge" { out.insert(.expConcave) }
            return out
        },
        make: { p, build in
            guard let data = build.dataset else { throw ComponentError("stream: no data set was built for it") }
            return try StreamEnvironment(dataset: data, loss: StreamLoss(rawValue: p.string("loss"))!,
                                         shuffled: p.string("order") == "shuffled",
                                         domain: DomainShape(rawValue: p.string("domain"))!, radius: p.double("radius"),
                                         seed: build.seed)
        })
}
