import COpenBLAS
import ExprunCore
import Foundation

/// A small two-tower contrastive model, the CLIPMasterPrints spec's synthetic stand-in for
/// CLIP (specs-b section 7), built and trained from a fixed seed:
/// - semantics: class latents u_j ~ N(0, I_L); a real input of class j is x = A u_j + σ ε
///   (A fixed, entries N(0, 1/L); σ = `inputNoise`);
/// - image tower: e(x) = norm(W2 tanh(W1 x + b1) + g_I);
/// - text tower: a prompt with latent u has t = norm(U u + g_T);
/// - g_I and g_T: fixed, independent random offsets of norm `gap`, which the towers must work
///   against: they create the cone and modality-gap structure of CLIP's embeddings;
/// - training: `trainSteps` Adam steps (lr 0.01) on the symmetric InfoNCE loss at temperature τ
///   of one fresh real input per class against the class prompts, with hand-written
///   backpropagation through both normalisations (checked against finite differences).
public final class TwoTowerModel: @unchecked Sendable {
    public let inputDim: Int, latentDim: Int, hidden: Int, embedding: Int, classes: Int
    public let temperature: Double
    public let inputNoise: Double
    /// A, inputDim x latentDim (row-major).
    public let mixing: [Double]
    /// The class latents u_j, classes x latentDim.
    public let classLatents: [Double]
    public let imageOffset: [Double], textOffset: [Double]
    /// Trained weights θ = [W1 (hidden x inputDim), b1 (hidden), W2 (embedding x hidden), U (embedding x latentDim)].
    public private(set) var theta: [Double]
    /// The InfoNCE loss of the first and the last training batch.
    public private(set) var initialLoss = Double.nan, finalLoss = Double.nan
    public let b1Offset: Int, w2Offset: Int, uOffset: Int
    var rng: RNG

    public init(inputDim: Int, latentDim: Int, hidden: Int, embedding: Int, classes: Int, gap: Double,
                inputNoise: Double, temperature: Double, trainSteps: Int, seed: UInt64) {
        self.inputDim = inputDim; self.latentDim = latentDim; self.hidden = hidden; self.embedding = embedding
        self.classes = classes; self.temperature = temperature; self.inputNoise = inputNoise
        rng = RNG(seed: seed, purpose: "two_tower")
        var r = rng.split("structure")
        mixing = (0..<(inputDim * latentDim)).map { _ in r.normal() / Double(latentDim).squareRoot() }
        classLatents = (0..<(classes * latentDim)).map { _ in r.normal() }
        func offset() -> [Double] {
            let v = (0..<embedding).map { _ in r.normal() }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { gap * $0 / n }
        }
        imageOffset = offset(); textOffset = offset()
        b1Offset = hidden * inputDim; w2Offset = b1Offset + hidden; uOffset = w2Offset + embedding * hidden
        var w = [Double](repeating: 0, count: uOffset + embedding * latentDim)
        var ri = rng.split("init")
        for i in 0..<b1Offset { w[i] = ri.normal() / Double(inputDim).squareRoot() }
        for i in w2Offset..<uOffset { w[i] = ri.normal() / Double(hidden).squareRoot() }
        for i in uOffset..<w.count { w[i] = ri.normal() / Double(latentDim).squareRoot() }
        theta = w
        train(steps: trainSteps)
    }

    public var parameterCount: Int { theta.count }

    /// A real input of class j: A u_j + σ ε, ε from `rng`.
    public func realInput(_ j: Int, _ rng: inout RNG) -> [Double] {
        var x = [Double](repeating: 0, count: inputDim)
        for i in 0..<inputDim {
            var s = 0.0
            for l in 0..<latentDim { s += mixing[i * latentDim + l] * classLatents[j * latentDim + l] }
            x[i] = s + inputNoise * rng.normal()
        }
        return x
    }

    /// The image tower before normalisation at x: h = tanh(W1 x + b1), v = W2 h + g_I.
    /// Returns ||v||. `h` has `hidden` and `v` `embedding` floats. θ is `theta` or a trial copy.
    func image(_ w: UnsafePointer<Double>, _ x: UnsafePointer<Double>, h: UnsafeMutablePointer<Double>,
               v: UnsafeMutablePointer<Double>) -> Double {
        h.update(from: w + b1Offset, count: hidden)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(hidden), Int32(inputDim), 1, w, Int32(inputDim), x, 1, 1, h, 1)
        for i in 0..<hidden { h[i] = tanh(h[i]) }
        for i in 0..<embedding { v[i] = imageOffset[i] }
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(embedding), Int32(hidden), 1, w + w2Offset, Int32(hidden), h, 1, 1, v, 1)
        var n = 0.0
        for i in 0..<embedding { n += v[i] * v[i] }
        return n.squareRoot()
    }

    /// The text tower before normalisation for latent u: U u + g_T (into `out`); returns its norm.
    func text(_ w: UnsafePointer<Double>, _ u: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) -> Double {
        var n = 0.0
        for i in 0..<embedding {
            var s = textOffset[i]
            for l in 0..<latentDim { s += w[uOffset + i * latentDim + l] * u[l] }
            out[i] = s
            n += s * s
        }
        return n.squareRoot()
    }

    /// The normalised text embedding of latent u (with the trained weights).
    public func textEmbedding(_ u: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: embedding)
        let n = theta.withUnsafeBufferPointer { w in u.withUnsafeBufferPointer { text(w.baseAddress!, $0.baseAddress!, into: &out) } }
        return out.map { $0 / n }
    }

    /// The normalised image embedding and the raw one (before the norm) at x, trained weights.
    public func imageEmbedding(_ x: [Double]) -> (e: [Double], v: [Double]) {
        var h = [Double](repeating: 0, count: hidden), v = [Double](repeating: 0, count: embedding)
        let n = theta.withUnsafeBufferPointer { w in x.withUnsafeBufferPointer { image(w.baseAddress!, $0.baseAddress!, h: &h, v: &v) } }
        return (v.map { $0 / n }, v)
    }

    /// The symmetric InfoNCE loss of N pairs (inputs xs: N x inputDim, prompt latents us: N x
    /// latentDim; pair a is image a with prompt a) at θ = w, and its gradient into `g` (θ-sized,
    /// overwritten) when given:
    /// L = 1/(2N) Σ_a [logΣ_b exp S_ab − S_aa] + 1/(2N) Σ_b [logΣ_a exp S_ab − S_bb], S_ab = e_a·t_b / τ.
    public func infoNCE(_ w: UnsafePointer<Double>, inputs xs: [Double], latents us: [Double],
                        gradient g: UnsafeMutablePointer<Double>?) -> Double {
        let n = us.count / latentDim, E = embedding, H = hidden, D = inputDim, L = latentDim
        var hs = [Double](repeating: 0, count: n * H), vs = [Double](repeating: 0, count: n * E)
        var es = [Double](repeating: 0, count: n * E), ts = [Double](repeating: 0, count: n * E)
        var ws = [Double](repeating: 0, count: n * E)
        var vn = [Double](repeating: 0, count: n), wn = [Double](repeating: 0, count: n)
        xs.withUnsafeBufferPointer { xb in
            us.withUnsafeBufferPointer { ub in
                for a in 0..<n {
                    vn[a] = hs.withUnsafeMutableBufferPointer { hb in vs.withUnsafeMutableBufferPointer { vb in
                        image(w, xb.baseAddress! + a * D, h: hb.baseAddress! + a * H, v: vb.baseAddress! + a * E) } }
                    wn[a] = ws.withUnsafeMutableBufferPointer { text(w, ub.baseAddress! + a * L, into: $0.baseAddress! + a * E) }
                    for i in 0..<E { es[a * E + i] = vs[a * E + i] / vn[a]; ts[a * E + i] = ws[a * E + i] / wn[a] }
                }
            }
        }
        var s = [Double](repeating: 0, count: n * n)
        for a in 0..<n { for b in 0..<n {
            var d = 0.0
            for i in 0..<E { d += es[a * E + i] * ts[b * E + i] }
            s[a * n + b] = d / temperature
        } }
        // Row and column softmaxes; G = dL/dS.
        var loss = 0.0
        var gS = [Double](repeating: 0, count: n * n)
        let half = 0.5 / Double(n)
        // Cross-entropy of row r of the logits against its diagonal entry, where entry (r, c) is
        // s[at(r, c)]: the image-to-text rows, then (transposed) the text-to-image columns.
        func crossEntropy(_ at: (Int, Int) -> Int) {
            for r in 0..<n {
                var m = -Double.infinity
                for c in 0..<n { m = max(m, s[at(r, c)]) }
                var z = 0.0
                for c in 0..<n { z += exp(s[at(r, c)] - m) }
                loss += half * (m + log(z) - s[at(r, r)])
                for c in 0..<n { gS[at(r, c)] += half * (exp(s[at(r, c)] - m) / z - (r == c ? 1 : 0)) }
            }
        }
        crossEntropy { r, c in r * n + c }
        crossEntropy { r, c in c * n + r }
        guard let g else { return loss }
        g.update(repeating: 0, count: theta.count)
        var de = [Double](repeating: 0, count: E), dv = [Double](repeating: 0, count: E)
        var dh = [Double](repeating: 0, count: H)
        for a in 0..<n {
            // Image a: de = Σ_b G_ab t_b / τ, through the normalisation, W2, tanh, W1.
            for i in 0..<E {
                var acc = 0.0
                for b in 0..<n { acc += gS[a * n + b] * ts[b * E + i] }
                de[i] = acc / temperature
            }
            var dot = 0.0
            for i in 0..<E { dot += es[a * E + i] * de[i] }
            for i in 0..<E { dv[i] = (de[i] - es[a * E + i] * dot) / vn[a] }
            for j in 0..<H {
                var acc = 0.0
                for i in 0..<E {
                    g[w2Offset + i * H + j] += dv[i] * hs[a * H + j]
                    acc += w[w2Offset + i * H + j] * dv[i]
                }
                dh[j] = acc * (1 - hs[a * H + j] * hs[a * H + j])
            }
            for j in 0..<H {
                g[b1Offset + j] += dh[j]
                for k in 0..<D { g[j * D + k] += dh[j] * xs[a * D + k] }
            }
            // Prompt a: dt = Σ_b G_ba e_b / τ, through the normalisation and U.
            for i in 0..<E {
                var acc = 0.0
                for b in 0..<n { acc += gS[b * n + a] * es[b * E + i] }
                de[i] = acc / temperature
            }
            dot = 0
            for i in 0..<E { dot += ts[a * E + i] * de[i] }
            for i in 0..<E {
                let dw = (de[i] - ts[a * E + i] * dot) / wn[a]
                for l in 0..<L { g[uOffset + i * L + l] += dw * us[a * L + l] }
            }
        }
        return loss
    }

    /// Adam (lr 0.01, β = (0.9, 0.999), ε = 1e-8) on InfoNCE, one fresh real input per class per step.
    func train(steps: Int) {
        guard steps > 0 else { return }
        let p = theta.count
        var m = [Double](repeating: 0, count: p), v = [Double](repeating: 0, count: p), g = [Double](repeating: 0, count: p)
        var data = rng.split("train")
        for step in 0..<steps {
            var xs: [Double] = []
            xs.reserveCapacity(classes * inputDim)
            for j in 0..<classes { xs += realInput(j, &data) }
            let loss = theta.withUnsafeBufferPointer { w in
                g.withUnsafeMutableBufferPointer { infoNCE(w.baseAddress!, inputs: xs, latents: classLatents, gradient: $0.baseAddress!) }
            }
            if step == 0 { initialLoss = loss }
            finalLoss = loss
            let c1 = 1 - pow(0.9, Double(step + 1)), c2 = 1 - pow(0.999, Double(step + 1))
            for i in 0..<p {
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
                theta[i] -= 0.01 * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8)
            }
        }
    }
}
