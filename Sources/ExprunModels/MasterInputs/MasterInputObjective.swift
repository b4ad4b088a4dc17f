import COpenBLAS
import ExprunCore
import Foundation

/// Mining a master input (CLIPMasterPrints, specs-b section 7): one input x that a
/// contrastive model (`TwoTowerModel`) scores highly against many prompts at once.
///
/// The input seen by the model is c(x) = clamp(x, box), the box being the coordinate-wise range
/// of the real inputs (the official "SGD" clamps raw pixels to [0, 1] the same way). With
/// s_j(x) = <t_j, e(c(x))> for the K training prompts (the class prompts), the objective is
/// f(x) = −min_j s_j(x) (`aggregate: min`, the paper's) or −mean_j s_j(x); its (sub)gradient
/// is −∂s_j*/∂x through the image tower (j* the first worst prompt), zero where the clamp is
/// active. With `radius`, the domain is also the L∞ ball of radius `radius` × box width
/// around x_0 (the official PGD's budget): every iterate of a gradient method is projected
/// onto it, so `signsgd` on this model is the paper's sign-PGD.
///
/// Held-out related prompts: `related` paraphrases per class, latents u_j + `related_spread` δ
/// (δ ~ N(0, I)), never seen by the objective. A prompt's true score is the mean cosine of
/// `true_inputs` real inputs of its class with it.
public final class MasterInputObjective: DeterministicObjective, ConstrainedObjective, PointDiagnostics {
    public let towers: TwoTowerModel
    public let dimension: Int
    public var layout: [ParamBlock] { [ParamBlock(name: "x", offset: 0, rows: dimension, cols: 1)] }
    public let cacheKey: String
    let usesMin: Bool
    /// Training prompts (K x E) and held-out ones (K·related x E), normalised; their true scores.
    public let prompts: [Double], heldout: [Double]
    public let trueScores: [Double], heldoutTrueScores: [Double]
    /// Raw (unnormalised) training prompt embeddings and the modality means, for re-centred scores.
    let rawPrompts: [Double]
    let imageMean: [Double], textMean: [Double]
    let centredTrueScores: [Double]
    public let lower: [Double], upper: [Double]
    /// The domain of a budgeted run (the box when there is no radius).
    let domainLower: [Double], domainUpper: [Double]
    public let start: [Double]
    public let modalityGap: Double
    /// Fraction of the true inputs whose best-scoring training prompt is their own class.
    public let retrievalAccuracy: Double
    public let recordTowers: Bool
    // Scratch (allocated once; the oracles allocate nothing).
    let c: UnsafeMutablePointer<Double>, h: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>
    let dv: UnsafeMutablePointer<Double>, dh: UnsafeMutablePointer<Double>

    public init(params p: Params) throws {
        let k = p.int("classes"), d = p.int("input_dim"), hidden = p.int("hidden")
        guard d * hidden <= 10_000_000 else { throw ComponentError("master_input: input_dim x hidden exceeds 1e7 weights") }
        towers = TwoTowerModel(inputDim: d, latentDim: p.int("latent_dim"), hidden: hidden, embedding: p.int("embedding"),
                               classes: k, gap: p.double("gap"), inputNoise: p.double("input_noise"),
                               temperature: p.double("temperature"), trainSteps: p.int("train_steps"),
                               seed: UInt64(bitPattern: Int64(p.int("model_seed"))))
        dimension = d
        usesMin = p.string("aggregate") == "min"
        recordTowers = p.bool("record_towers")
        let E = towers.embedding, L = towers.latentDim
        var rng = RNG(seed: UInt64(bitPattern: Int64(p.int("model_seed"))), purpose: "master_input:prompts")
        var promptList: [Double] = [], raw: [Double] = [], held: [Double] = []
        for j in 0..<k {
            let u = Array(towers.classLatents[(j * L)..<((j + 1) * L)])
            promptList += towers.textEmbedding(u)
            let (w, _) = Self.rawText(towers, u)
            raw += w
            for _ in 0..<p.int("related") {
                held += towers.textEmbedding(u.map { $0 + p.double("related_spread") * rng.normal() })
            }
        }
        prompts = promptList; heldout = held; rawPrompts = raw
        // True inputs: `true_inputs` per class, their embeddings, the box and the true scores.
        let perClass = p.int("true_inputs")
        var trueRNG = RNG(seed: UInt64(bitPattern: Int64(p.int("model_seed"))), purpose: "master_input:true_inputs")
        var lo = [Double](repeating: .infinity, count: d), hi = [Double](repeating: -.infinity, count: d)
        var embeddings: [[Double]] = [], raws: [[Double]] = [], labels: [Int] = []
        for j in 0..<k {
            for _ in 0..<perClass {
                let x = towers.realInput(j, &trueRNG)
                for i in 0..<d { lo[i] = min(lo[i], x[i]); hi[i] = max(hi[i], x[i]) }
                let (e, vRaw) = towers.imageEmbedding(x)
                embeddings.append(e); raws.append(vRaw); labels.append(j)
            }
        }
        lower = lo; upper = hi
        func dot(_ a: ArraySlice<Double>, _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        func scoreOfClass(_ table: [Double], _ row: Int, _ j: Int) -> Double {
            var s = 0.0
            for (e, label) in zip(embeddings, labels) where label == j { s += dot(table[(row * E)..<((row + 1) * E)], e) }
            return s / Double(perClass)
        }
        trueScores = (0..<k).map { scoreOfClass(promptList, $0, $0) }
        let related = p.int("related")
        heldoutTrueScores = (0..<(k * related)).map { scoreOfClass(held, $0, $0 / related) }
        var correct = 0
        for (e, label) in zip(embeddings, labels) {
            var best = 0, bestScore = -Double.infinity
            for j in 0..<k { let s = dot(promptList[(j * E)..<((j + 1) * E)], e); if s > bestScore { best = j; bestScore = s } }
            if best == label { correct += 1 }
        }
        retrievalAccuracy = Double(correct) / Double(embeddings.count)
        // Modality gap (Liang et al. 2022): || mean image embedding − mean prompt embedding ||.
        var gap = 0.0
        for i in 0..<E {
            let mi = embeddings.reduce(0) { $0 + $1[i] } / Double(embeddings.count)
            let mt = (0..<k).reduce(0) { $0 + promptList[$1 * E + i] } / Double(k)
            gap += (mi - mt) * (mi - mt)
        }
        modalityGap = gap.squareRoot()
        // Re-centring (the spec's mitigation): subtract each modality's mean raw embedding.
        let im = (0..<E).map { i in raws.reduce(0) { $0 + $1[i] } / Double(raws.count) }
        let tm = (0..<E).map { i in (0..<k).reduce(0) { $0 + raw[$1 * E + i] } / Double(k) }
        imageMean = im; textMean = tm
        centredTrueScores = (0..<k).map { j in
            var s = 0.0
            for (vRaw, label) in zip(raws, labels) where label == j {
                s += Self.cosine(vRaw.enumerated().map { $1 - im[$0] }, (0..<E).map { raw[j * E + $0] - tm[$0] })
            }
            return s / Double(perClass)
        }
        // x_0: uniform in the box, or a real input of class start_seed mod K.
        var startRNG = RNG(seed: UInt64(bitPattern: Int64(p.int("start_seed"))), purpose: "master_input:start")
        let x0 = p.string("start") == "noise" ? (0..<d).map { lo[$0] + (hi[$0] - lo[$0]) * startRNG.uniform() }
            : towers.realInput(p.int("start_seed") % k, &startRNG)
        start = x0
        if let r = p.optionalDouble("radius") {
            domainLower = (0..<d).map { max(lo[$0], x0[$0] - r * (hi[$0] - lo[$0])) }
            domainUpper = (0..<d).map { min(hi[$0], x0[$0] + r * (hi[$0] - lo[$0])) }
        } else {
            domainLower = []; domainUpper = []
        }
        func alloc(_ n: Int) -> UnsafeMutablePointer<Double> {
            let b = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1)); b.initialize(repeating: 0, count: max(n, 1)); return b
        }
        c = alloc(d); h = alloc(hidden); v = alloc(E); dv = alloc(E); dh = alloc(hidden)
        let parts = p.values.keys.sorted().filter { $0 != "record_towers" }.map { "\($0)=\(p.values[$0]!.canonical)" }
        cacheKey = "master_input(" + parts.joined(separator: ",") + ")"
    }
    deinit { c.deallocate(); h.deallocate(); v.deallocate(); dv.deallocate(); dh.deallocate() }

    static func rawText(_ t: TwoTowerModel, _ u: [Double]) -> ([Double], Double) {
        var w = [Double](repeating: 0, count: t.embedding)
        let n = t.theta.withUnsafeBufferPointer { th in u.withUnsafeBufferPointer { t.text(th.baseAddress!, $0.baseAddress!, into: &w) } }
        return (w, n)
    }
    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<a.count { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i] }
        return ab / (aa * bb).squareRoot()
    }

    /// Embeds c(x): v (raw) and returns ||v||.
    @inline(__always)
    func embed(_ x: UnsafePointer<Double>) -> Double {
        for i in 0..<dimension { c[i] = min(max(x[i], lower[i]), upper[i]) }
        return towers.theta.withUnsafeBufferPointer { towers.image($0.baseAddress!, c, h: h, v: v) }
    }
    /// Scores of the normalised embedding (v / norm) against the rows of `table`: (min, argmin, mean).
    func scores(_ table: [Double], norm: Double) -> (min: Double, argmin: Int, mean: Double) {
        let E = towers.embedding, rows = table.count / E
        var lo = Double.infinity, arg = 0, sum = 0.0
        for j in 0..<rows {
            var s = 0.0
            for i in 0..<E { s += table[j * E + i] * v[i] }
            s /= norm
            sum += s
            if s < lo { lo = s; arg = j }
        }
        return (lo, arg, sum / Double(max(rows, 1)))
    }

    func value(_ x: UnsafePointer<Double>, gradient g: UnsafeMutablePointer<Double>?) -> Double {
        let n = embed(x)
        let s = scores(prompts, norm: n)
        guard let g else { return usesMin ? -s.min : -s.mean }
        // q: the prompt direction whose score is the objective (t_j*, or the mean prompt).
        let E = towers.embedding, H = towers.hidden, d = dimension
        var eq = 0.0
        for i in 0..<E {
            var q = 0.0
            if usesMin { q = prompts[s.argmin * E + i] } else {
                for j in 0..<towers.classes { q += prompts[j * E + i] }
                q /= Double(towers.classes)
            }
            dv[i] = q
            eq += q * v[i] / n
        }
        // ds/dv = (q − e (e·q)) / ||v||, then −W2ᵀ, tanh', W1ᵀ (the minus: f = −s).
        for i in 0..<E { dv[i] = -(dv[i] - v[i] / n * eq) / n }
        towers.theta.withUnsafeBufferPointer { tb in
            let w = tb.baseAddress!
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(E), Int32(H), 1, w + towers.w2Offset, Int32(H), dv, 1, 0, dh, 1)
            for j in 0..<H { dh[j] *= 1 - h[j] * h[j] }
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(H), Int32(d), 1, w, Int32(d), dh, 1, 0, g, 1)
        }
        for i in 0..<d where x[i] < lower[i] || x[i] > upper[i] { g[i] = 0 }
        return usesMin ? -s.min : -s.mean
    }

    public func initialPoint(_ x: UnsafeMutableBufferPointer<Double>) { for i in 0..<dimension { x[i] = start[i] } }
    /// Not certified: the objective is non-convex (its floor is −1, a perfect cosine on every prompt).
    public func computeOptimalValue() -> Double? { nil }

    /// With a radius: the box ∩ L∞ ball around x_0 (both coordinate-wise intervals); else nothing.
    public func project(_ x: UnsafeMutableBufferPointer<Double>) {
        guard !domainLower.isEmpty else { return }
        for i in 0..<dimension { x[i] = min(max(x[i], domainLower[i]), domainUpper[i]) }
    }

    // MARK: diagnostics

    public static let diagnostics: [CounterDecl] = [
        CounterDecl("fooling_min", "master input: min over the training prompts of the cosine score s_j(x)"),
        CounterDecl("fooling_mean", "master input: mean over the training prompts of s_j(x)"),
        CounterDecl("fooling_margin", "master input: min_j (s_j(x) − true score of prompt j): > 0 when x beats every prompt's true inputs"),
        CounterDecl("fooling_wins", "master input: fraction of training prompts where s_j(x) exceeds the prompt's true score"),
        CounterDecl("heldout_min", "master input: min of s_j(x) over the held-out related prompts"),
        CounterDecl("heldout_margin", "master input: min over the held-out prompts of s_j(x) − their true score"),
        CounterDecl("heldout_wins", "master input: fraction of held-out related prompts where x beats their true inputs"),
        CounterDecl("true_score", "master input: mean over the training prompts of their true inputs' mean cosine (fixed by the model)"),
        CounterDecl("centred_margin", "master input: fooling_margin with both modalities re-centred (each modality's mean raw embedding subtracted before normalising)"),
    ]

    public func diagnostic(_ index: Int, at x: UnsafeBufferPointer<Double>) -> Double {
        let n = embed(x.baseAddress!)
        func margin(_ table: [Double], _ truth: [Double]) -> (margin: Double, wins: Double) {
            let E = towers.embedding, rows = truth.count
            var lo = Double.infinity, wins = 0
            for j in 0..<rows {
                var s = 0.0
                for i in 0..<E { s += table[j * E + i] * v[i] }
                let m = s / n - truth[j]
                lo = min(lo, m)
                if m > 0 { wins += 1 }
            }
            return (lo, Double(wins) / Double(max(rows, 1)))
        }
        switch index {
        case 0: return scores(prompts, norm: n).min
        case 1: return scores(prompts, norm: n).mean
        case 2: return margin(prompts, trueScores).margin
        case 3: return margin(prompts, trueScores).wins
        case 4: return heldout.isEmpty ? .nan : scores(heldout, norm: n).min
        case 5: return heldout.isEmpty ? .nan : margin(heldout, heldoutTrueScores).margin
        case 6: return heldout.isEmpty ? .nan : margin(heldout, heldoutTrueScores).wins
        case 7: return trueScores.reduce(0, +) / Double(trueScores.count)
        default:
            let E = towers.embedding
            let centred = (0..<E).map { v[$0] - imageMean[$0] }
            var lo = Double.infinity
            for j in 0..<towers.classes {
                let t = (0..<E).map { rawPrompts[j * E + $0] - textMean[$0] }
                lo = min(lo, Self.cosine(centred, t) - centredTrueScores[j])
            }
            return lo
        }
    }

    public var modelInfo: [(String, Value)] {
        var info: [(String, Value)] = [
            ("modality_gap", .double(modalityGap)), ("retrieval_accuracy", .double(retrievalAccuracy)),
            ("infonce_initial", .double(towers.initialLoss)), ("infonce_final", .double(towers.finalLoss)),
        ]
        guard recordTowers else { return info }
        func list(_ a: [Double]) -> Value { .list(a.map { .double($0) }) }
        info += [("theta", list(towers.theta)), ("class_latents", list(towers.classLatents)),
                 ("image_offset", list(towers.imageOffset)),
                 ("text_offset", list(towers.textOffset)), ("prompts", list(prompts)), ("heldout", list(heldout)),
                 ("true_scores", list(trueScores)), ("heldout_true_scores", list(heldoutTrueScores)),
                 ("lower", list(lower)), ("upper", list(upper)), ("start", list(start)),
                 ("raw_prompts", list(rawPrompts)), ("image_mean", list(imageMean)), ("text_mean", list(textMean)),
                 ("centred_true_scores", list(centredTrueScores))]
        return info
    }
}

extension MasterInputObjective {
    static let decl = ComponentDecl(
        .model, "master_input",
        doc: "CLIPMasterPrints: mine one input that a two-tower contrastive model (trained in-process by InfoNCE from model_seed, with a modality gap) scores highly on many prompts; f(x) = −min_j (or −mean_j) cos(t_j, e(clamp(x)))",
        params: [
            .int("classes", 10, ValueRange(min: 1, max: 1000), "K: classes, one training prompt each"),
            .int("related", 2, ValueRange(min: 0, max: 100), "held-out related prompts per class (paraphrase latents u_j + related_spread δ)"),
            .double("related_spread", 0.3, .nonNegative, "scale of a related prompt's latent perturbation"),
            .choice("aggregate", ["min", "mean"], "min", "objective over the training prompts: the worst cosine (the paper's) or the mean"),
            .choice("start", ["noise", "true_input"], "noise", "x_0: uniform in the box of the real inputs, or a real input of class start_seed mod K"),
            .int("start_seed", 0, .nonNegative, "seed of x_0"),
            .double("radius", nil, .positive, "L∞ budget around x_0 as a fraction of each coordinate's box width (the PGD of the paper); absent: the box only"),
            .int("input_dim", 32, ValueRange(min: 1, max: 100_000), "input dimension (the 'image')"),
            .int("latent_dim", 8, ValueRange(min: 1, max: 10_000), "dimension of the class semantics u"),
            .int("hidden", 64, ValueRange(min: 1, max: 100_000), "hidden width of the image tower"),
            .int("embedding", 16, ValueRange(min: 2, max: 10_000), "joint embedding dimension"),
            .double("gap", 2, .nonNegative, "norm of the fixed offsets g_I and g_T that create the modality gap"),
            .double("input_noise", 0.3, .nonNegative, "σ of a real input x = A u + σ ε"),
            .double("temperature", 0.07, .positive, "InfoNCE temperature τ"),
            .int("train_steps", 300, ValueRange(min: 0, max: 1_000_000), "Adam steps of symmetric InfoNCE training"),
            .int("true_inputs", 20, ValueRange(min: 1, max: 10_000), "real inputs per class that define the box and the true scores"),
            .int("model_seed", 0, .nonNegative, "seed of the model, prompts and true inputs (fixed per model, not per run)"),
            .bool("record_towers", false, "store the trained towers, prompts and x_0 as model_info attributes (for independent checks)"),
        ],
        counters: MasterInputObjective.diagnostics)

    /// Catalogue entry for `master_input`: a data-free model with the gradient oracle.
    public static let entry = ModelEntry(decl, provides: [.gradient]) { params, _ in try MasterInputObjective(params: params) }
}
