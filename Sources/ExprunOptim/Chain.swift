import ExprunCore

/// An optimizer made of gradient transforms applied in order, once per step:
/// u = g; for each transform: u = transform(u); x += u.
/// The learning rate comes from the schedule and reaches the transforms in `StepContext`.
public final class Chain: Optimizer {
    public let transforms: [any GradientTransform]
    public let schedule: any Schedule
    public let layout: [ParamBlock]
    public private(set) var currentLR: Double
    /// Set when the schedule cycles the momentum (onecycle): read once per step.
    let momentumSchedule: (any MomentumSchedule)?

    public init(_ transforms: [any GradientTransform], schedule: any Schedule, layout: [ParamBlock] = []) {
        self.transforms = transforms; self.schedule = schedule; self.layout = layout
        currentLR = schedule.lr(at: 0)
        momentumSchedule = schedule.cycledMomentum
    }

    public var stateSize: Int { transforms.reduce(0) { $0 + $1.stateSize } }

    public func step(_ x: UnsafeMutableBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>, t: Int) {
        let lr = schedule.lr(at: t)
        currentLR = lr
        let context = StepContext(t: t, lr: lr, layout: layout, momentum: momentumSchedule?.momentum(at: t))
        let params = UnsafeBufferPointer(x)
        // The gradient buffer is the caller's scratch: the update is built in place there.
        for transform in transforms { transform.apply(g, params: params, context: context) }
        let n = x.count
        guard let xp = x.baseAddress, let up = g.baseAddress else { return }
        for i in 0..<n { xp[i] += up[i] }
    }
}
