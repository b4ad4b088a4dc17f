import ExprunCore
import Foundation

/// Namespace of the `TeacherStudentDataset` catalogue entry.
public enum TeacherStudentDataset {
    /// `teacher_student`: inputs x ~ N(0, I_dim) labelled by a fixed random teacher network, the
    /// classic setting for studying how a student network (the `mlp` model) learns a target it
    /// can represent exactly.
    ///
    /// The teacher has widths dim -> hidden... -> K (K = classes, or 1 for regression), weights
    /// N(0, g/fan_in) (g = 2 for relu, 1 otherwise, so activations keep their scale with depth),
    /// biases 0, and a linear output layer. Its outputs are then standardized, each to mean 0 and
    /// variance 1 over a separate calibration draw of 4096 inputs (folded into the output layer,
    /// so the teacher stays an exact network): without this a relu teacher's logits share a
    /// positive offset and one class would dominate. Targets: regression y = out + noise N(0, 1)
    /// (signal variance 1, so the signal-to-noise ratio is 1/noise^2); classification: the argmax
    /// of out + noise N(0, I) (ties to the lower class), -1/+1 for two classes as the other
    /// synthetic kinds. `trueWeights` stays nil: a student's distance to the teacher's parameters
    /// is not meaningful under the permutation symmetry of hidden units (`TeacherNetwork` exposes
    /// them in the `mlp` model's layout for whoever wants them).
    public static let entry = DatasetEntry(
        ComponentDecl(.dataset, "teacher_student",
            doc: "inputs N(0, I) labelled by a fixed random teacher MLP (argmax of its logits, or its output plus noise)",
            params: [
                .int("n", 1000, .atLeastOne, "number of examples (train and test together)"),
                .int("dim", 20, .atLeastOne, "number of input features"),
                .ints("hidden", [32], .atLeastOne, "hidden widths of the teacher, input side first ([] is a linear teacher)"),
                .choice("activation", TeacherNetwork.activations, "relu", "activation of the teacher's hidden layers (gelu is the exact erf form)"),
                .choice("task", ["classification", "regression"], "classification",
                        "classification: labels are the argmax of the teacher's logits; regression: its single output"),
                .int("classes", 2, ValueRange(min: 2), "number of classes (classification): 2 gives labels -1/+1, more give 0..classes-1"),
                .double("noise", 0, .nonNegative, "std of Gaussian noise added to the standardized teacher outputs (before the argmax)"),
                SharedParams.testFraction(0.2),
                SharedParams.seed,
                SharedParams.bias,
            ]),
        make: { params, context in
            let n = params.int("n"), dim = params.int("dim")
            try checkGeneratedSize(n, dim, kind: "teacher_student")
            let classification = params.string("task") == "classification"
            let k = classification ? params.int("classes") : 1
            let noise = params.double("noise")
            let seed = DataStreams.dataSeed(params, context)
            let root = RNG(seed: seed, purpose: DataStreams.purpose(params))
            var featureRNG = root.split("features"), noiseRNG = root.split("noise")
            let teacher = try TeacherNetwork(params: params, root: root)

            var x = [Double](repeating: 0, count: n * dim)
            for j in 0..<x.count { x[j] = featureRNG.normal() }
            let out = teacher.outputs(x, rows: n)
            var y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                if !classification {
                    y[i] = out[i] + noise * noiseRNG.normal()
                    continue
                }
                var best = 0, bestValue = -Double.infinity
                for c in 0..<k {
                    // Always draw, so the noise stream stays aligned whatever the noise level.
                    let v = out[i * k + c] + noise * noiseRNG.normal()
                    if v > bestValue { bestValue = v; best = c }
                }
                y[i] = k == 2 ? (best == 1 ? 1 : -1) : Double(best)
            }
            let task: Task = !classification ? .regression : (k == 2 ? .binary : .multiclass(classes: k))
            let assembly = DatasetAssembly(task: task, info: [
                "teacher": .string(teacher.widths.map(String.init).joined(separator: "-") + " " + teacher.activation),
                "noise": .double(noise),
            ])
            return assembly.assemble(features: .dense(DenseMatrix(rows: n, cols: dim, values: x)), targets: y,
                                     testFraction: params.double("test_fraction"), splitSeed: seed,
                                     standardize: false, bias: params.bool("bias"))
        })
}

/// The fixed random network of `teacher_student`, with standardized outputs.
public struct TeacherNetwork: Sendable {
    public static let activations = ["relu", "tanh", "gelu"]
    /// Inputs drawn to standardize the outputs.
    public static let calibrationRows = 4096

    /// [dim, hidden..., outputs]
    public let widths: [Int]
    public let activation: String
    /// Per layer, the weights (out x in, row-major) then the biases: the `mlp` model's layout.
    /// The output layer already includes the standardization.
    public private(set) var parameters: [Double]

    /// The teacher of a `teacher_student` data set: its widths and activation from the
    /// parameters, its draws from the data set's root stream.
    init(params: Params, root: RNG) throws {
        let k = params.string("task") == "classification" ? params.int("classes") : 1
        var weights = root.split("teacher"), calibration = root.split("calibration")
        try self.init(widths: [params.int("dim")] + params.ints("hidden") + [k], activation: params.string("activation"),
                      rng: &weights, calibration: &calibration)
    }

    /// Draws the weights from `rng`, then standardizes the outputs over `calibrationRows`
    /// inputs N(0, I) drawn from `calibration`.
    public init(widths: [Int], activation: String, rng: inout RNG, calibration: inout RNG) throws {
        guard Self.activations.contains(activation) else {
            throw ComponentError("teacher_student: unknown activation \(activation)")
        }
        if let bad = widths.first(where: { $0 < 1 }) {
            throw ComponentError("teacher_student: layer width \(bad) is not a positive integer")
        }
        var size = 0
        for l in 0..<(widths.count - 1) {
            let (cells, overflow) = widths[l].multipliedReportingOverflow(by: widths[l + 1])
            if overflow || cells > 1 << 28 { throw ComponentError("teacher_student: teacher layer \(l + 1) is too large") }
            size += cells + widths[l + 1]
        }
        self.widths = widths
        self.activation = activation
        parameters = [Double](repeating: 0, count: size)
        let gain = activation == "relu" ? 2.0 : 1.0
        var offset = 0
        for l in 0..<(widths.count - 1) {
            let std = (gain / Double(widths[l])).squareRoot()
            for j in 0..<(widths[l] * widths[l + 1]) { parameters[offset + j] = std * rng.normal() }
            offset += widths[l] * widths[l + 1] + widths[l + 1]
        }

        // Standardize every output over the calibration draw: W_k /= s_k, b_k = (b_k - m_k) / s_k.
        let dim = widths[0], k = widths[widths.count - 1], m = Self.calibrationRows
        var inputs = [Double](repeating: 0, count: m * dim)
        for j in 0..<inputs.count { inputs[j] = calibration.normal() }
        let raw = outputs(inputs, rows: m)
        let fanIn = widths[widths.count - 2]
        let weightStart = size - k - k * fanIn, biasStart = size - k
        for c in 0..<k {
            var mean = 0.0
            for i in 0..<m { mean += raw[i * k + c] }
            mean /= Double(m)
            var variance = 0.0
            for i in 0..<m { variance += (raw[i * k + c] - mean) * (raw[i * k + c] - mean) }
            variance /= Double(m)
            // A dead output (every relu unit off) stays constant at 0 rather than dividing by 0.
            let scale = variance > 1e-300 ? 1 / variance.squareRoot() : 0
            for j in 0..<fanIn { parameters[weightStart + c * fanIn + j] *= scale }
            parameters[biasStart + c] = (parameters[biasStart + c] - mean) * scale
        }
    }

    /// The teacher's outputs (rows x K, row-major) at the rows of x (rows x dim, row-major).
    public func outputs(_ x: [Double], rows: Int) -> [Double] {
        var h = x, width = widths[0]
        parameters.withUnsafeBufferPointer { p in
            var offset = 0
            for l in 0..<(widths.count - 1) {
                let out = widths[l + 1]
                var next = [Double](repeating: 0, count: rows * out)
                let w = p.baseAddress! + offset, b = w + width * out
                h.withUnsafeBufferPointer { hp in
                    next.withUnsafeMutableBufferPointer { np in
                        for i in 0..<rows {
                            let row = hp.baseAddress! + i * width
                            for j in 0..<out { np[i * out + j] = b[j] + Self.dot(w + j * width, row, width) }
                        }
                        if l < widths.count - 2 { Self.activate(activation, np) }
                    }
                }
                offset += width * out + out
                h = next
                width = out
            }
        }
        return h
    }

    /// Applies the hidden activation in place (the `mlp` model's definitions: relu, tanh,
    /// exact erf GELU), switching once per buffer.
    static func activate(_ name: String, _ z: UnsafeMutableBufferPointer<Double>) {
        switch name {
        case "relu": for j in z.indices { z[j] = z[j] > 0 ? z[j] : 0 }
        case "tanh": for j in z.indices { z[j] = tanh(z[j]) }
        default:
            let c = 1 / 2.0.squareRoot()
            for j in z.indices { z[j] = 0.5 * z[j] * (1 + erf(z[j] * c)) }
        }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        VectorKernels.dot(a, b, n)
    }
}
