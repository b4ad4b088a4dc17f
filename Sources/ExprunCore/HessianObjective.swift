/// A model whose objective has exact Hessian-vector products, written by hand (the
/// R-operator through a network, the closed form of a linear model): what curvature metrics
/// (sharpness, Hessian trace, spectral density) call. Its catalogue entry provides
/// `.hessianVectorProduct`, so the Spec refuses curvature metrics on a model without it.
///
/// The Hessian is that of the same function the gradient oracles differentiate: the mean
/// loss over the rows plus the regulariser. A ReLU network's Hessian is the one of the
/// piecewise-smooth function where it is twice differentiable (the activation's second
/// derivative is 0 off the kinks), as autograd's double backward computes it.
/// Calls allocate nothing after the first (scratch buffers are owned by the model).
public protocol HessianObjective: Objective {
    /// out = ∇²f_S(x) v, f_S the mean loss over `rows` plus the regulariser.
    func batchHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, rows: UnsafeBufferPointer<Int>,
                                   vector v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>)
    /// out = ∇²f(x) v for the full training objective.
    func fullHessianVectorProduct(_ x: UnsafeBufferPointer<Double>, vector v: UnsafeBufferPointer<Double>,
                                  into out: UnsafeMutableBufferPointer<Double>)
}
