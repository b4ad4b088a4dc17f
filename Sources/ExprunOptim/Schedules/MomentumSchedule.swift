import ExprunCore

/// A schedule that also sets the optimizer's momentum each step, as torch's OneCycleLR does
/// with `cycle_momentum`: it writes `momentum` into SGD's param group and `betas[0]` into an
/// Adam-type one. The chain reads it once per step and hands it to its transforms in
/// `StepContext.momentum`; a transform with a momentum coefficient uses it in place of its own.
public protocol MomentumSchedule: Schedule {
    /// Whether `momentum(at:)` is in effect (false: the optimizer keeps its own momentum).
    var cyclesMomentum: Bool { get }
    /// The momentum (SGD's mu, beta1 of Adam-type methods) during the 0-based step t.
    func momentum(at t: Int) -> Double
}

public extension Capability {
    /// An optimizer whose momentum (SGD) or beta1 (Adam, AdamW) a schedule may set each step.
    /// torch's OneCycleLR raises for an optimizer with neither; here the Spec refuses the pair.
    static let cycledMomentum = Capability("cycled_momentum", "an optimizer with a momentum or beta1 to cycle (sgd, adam, adamw)")
}

extension Schedule {
    /// The schedule as one that cycles momentum, when it does.
    var cycledMomentum: (any MomentumSchedule)? {
        guard let m = self as? any MomentumSchedule, m.cyclesMomentum else { return nil }
        return m
    }
}
