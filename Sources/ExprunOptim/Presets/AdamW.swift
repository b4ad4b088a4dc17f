import ExprunCore

/// torch AdamW (Loshchilov & Hutter 2019): Adam with decoupled decay x *= 1 - lr*wd; state 2d (3d AMSGrad).
public enum AdamW {
    public static let entry = Adam.torchAdam(
        kind: "adamw", doc: "torch AdamW (Loshchilov & Hutter 2019): Adam with decoupled decay x *= 1 - lr*wd; state 2d (3d AMSGrad).",
        weightDecay: 0.01, decoupled: true)
}
