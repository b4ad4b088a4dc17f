import ExprunCore

/// A method that asks for the function values of a population of points each step and is
/// told them (CMA-ES, CBO, consensus hopping): pycma's ask/tell interface. The kind evaluates
/// the points, counts every evaluation (`function_evals`) and never hands the method a gradient.
public protocol PopulationMethod: Method {
    /// The most points one `ask` writes (the kind's buffer is this many rows of `dimension`).
    var maxPopulation: Int { get }
    /// Starts from the model's initial point x0 (the mean, or the centre of the particle cloud).
    func start(_ x0: UnsafeBufferPointer<Double>)
    /// Writes the points to evaluate at step t (row-major, count x dimension); returns count.
    func ask(_ points: UnsafeMutableBufferPointer<Double>, t: Int) -> Int
    /// Takes the values of the points of the last `ask` (in its order), updates the state and
    /// writes the method's current estimate (CMA-ES's mean, CBO's consensus point) into x.
    func tell(_ values: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>, t: Int)
}

/// A method that sees the minibatch loss only, at points it perturbs in place (SPSA, MeZO,
/// one-byte distributed SPSA). `loss(x, batch)` is the loss at x on the run's minibatch
/// number `batch` of the current step (batch 0 is the step's own batch, the one a gradient
/// method of the same sweep sees; a distributed method gives each simulated sample its own).
/// Every call is one function evaluation.
public protocol ZerothOrderMethod: Method {
    func step(_ x: UnsafeMutableBufferPointer<Double>, t: Int,
              loss: (UnsafeMutableBufferPointer<Double>, Int) -> Double)
}

/// The parameters black-box methods share.
enum BlackBoxParams {
    static let seedDoc = "the method draws from the run's seed (stream named after the method)"
}
