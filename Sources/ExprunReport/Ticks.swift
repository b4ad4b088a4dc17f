import Foundation

/// An axis scale: how data values map to [0, 1] of an axis.
public enum AxisScale: String, Sendable, CaseIterable {
    case linear, log
}

/// A tick mark: its value, its label ("" for a minor tick) and whether it is major.
public struct Tick: Sendable, Equatable {
    public var value: Double
    public var label: TickLabel
    public var major: Bool
}

/// A tick label: plain text, or a power of ten 10^exponent (drawn with a superscript).
public enum TickLabel: Sendable, Equatable {
    case none
    case text(String)
    case power(Int)

    /// Plain-text form (10^-3 as "1e-3").
    public var plain: String {
        switch self {
        case .none: return ""
        case .text(let s): return s
        case .power(let k): return "1e\(k)"
        }
    }
}

/// An axis: its scale, the domain it shows and the ticks on it.
public struct Axis: Sendable {
    public var scale: AxisScale
    public var lo: Double
    public var hi: Double
    public var ticks: [Tick]

    /// Position in [0, 1] of value `v` (outside [0, 1] when `v` is outside the domain).
    public func fraction(_ v: Double) -> Double {
        switch scale {
        case .linear: return (v - lo) / (hi - lo)
        case .log: return (log10(v) - log10(lo)) / (log10(hi) - log10(lo))
        }
    }

    /// An axis covering [dataLo, dataHi] with nice ends and about `target` major ticks.
    /// On a log scale both ends must be positive (callers drop non-positive data first).
    /// `snap: false` keeps a log axis at the data range (ticks inside it) instead of widening it
    /// to whole powers of ten.
    public static func make(_ dataLo: Double, _ dataHi: Double, scale: AxisScale, target: Int = 6, snap: Bool = true) -> Axis {
        var lo = dataLo, hi = dataHi
        if !(lo.isFinite && hi.isFinite) { lo = scale == .log ? 1 : 0; hi = scale == .log ? 10 : 1 }
        switch scale {
        case .linear:
            if lo == hi { let d = lo == 0 ? 1 : abs(lo) * 0.1; lo -= d; hi += d }
            let step = niceStep((hi - lo) / Double(max(target - 1, 1)))
            lo = (lo / step).rounded(.down) * step
            hi = (hi / step).rounded(.up) * step
            return Axis(scale: .linear, lo: lo, hi: hi, ticks: linearTicks(lo, hi, step: step))
        case .log:
            if lo <= 0 || hi <= 0 { lo = 1; hi = 10 }
            if lo == hi { lo /= 2; hi *= 2 }
            // Spanning at least two decades: snap both ends to powers of ten, the usual look of a
            // log-log convergence plot. Narrower: pad by 5% of the log range instead.
            let a = log10(lo), b = log10(hi)
            if b - a >= 2 && !snap {
                // keep the data range
            } else if b - a >= 2 {
                lo = pow(10, a.rounded(.down)); hi = pow(10, b.rounded(.up))
            } else {
                let pad = 0.05 * (b - a)
                lo = pow(10, a - pad); hi = pow(10, b + pad)
            }
            return Axis(scale: .log, lo: lo, hi: hi, ticks: logTicks(lo, hi, target: target))
        }
    }

    /// 1, 2, 2.5 or 5 times a power of ten, the smallest such at least `raw`.
    public static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 && raw.isFinite else { return 1 }
        let p = pow(10, log10(raw).rounded(.down))
        for m in [1.0, 2.0, 2.5, 5.0, 10.0] where m * p >= raw * (1 - 1e-12) { return m * p }
        return 10 * p
    }

    /// Multiples of `step` in [lo, hi], labelled with the fewest digits the step needs.
    public static func linearTicks(_ lo: Double, _ hi: Double, step: Double) -> [Tick] {
        var ticks: [Tick] = []
        let first = (lo / step - 1e-9).rounded(.up)
        var k = first
        while k * step <= hi + step * 1e-9 {
            var v = k * step
            if abs(v) < step * 1e-9 { v = 0 }
            ticks.append(Tick(value: v, label: .text(linearLabel(v, step: step)), major: true))
            k += 1
        }
        return ticks
    }

    static func linearLabel(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 {
            return String(format: "%g", v)
        }
        let decimals = max(0, -Int(log10(step).rounded(.down)) + (step / pow(10, log10(step).rounded(.down)) == 2.5 ? 1 : 0))
        return String(format: "%.\(decimals)f", v)
    }

    /// Log ticks: powers of ten as major ticks (every k-th decade when there are many), with
    /// 2..9 times each power as minor ticks; a range under two powers of ten gets 1-2-5 ticks
    /// (and, if still too few, plain linear ticks) so the axis never shows fewer than two labels.
    public static func logTicks(_ lo: Double, _ hi: Double, target: Int = 6) -> [Tick] {
        let eps = 1e-9
        let a = Int((log10(lo) - eps).rounded(.up)), b = Int((log10(hi) + eps).rounded(.down))
        let decades = b - a + 1
        if decades >= 2 {
            let every = max(1, Int((Double(decades) / Double(target)).rounded(.up)))
            var ticks: [Tick] = []
            for k in (a - 1)...b {
                let p = pow(10, Double(k))
                if k >= a && (k - a) % every == 0 { ticks.append(Tick(value: p, label: .power(k), major: true)) }
                else if k >= a { ticks.append(Tick(value: p, label: .none, major: false)) }
                if every == 1 && decades <= 8 {
                    for m in 2...9 {
                        let v = Double(m) * p
                        if v >= lo * (1 - eps) && v <= hi * (1 + eps) { ticks.append(Tick(value: v, label: .none, major: false)) }
                    }
                }
            }
            return ticks.sorted { $0.value < $1.value }
        }
        var ticks: [Tick] = []
        for k in (a - 1)...(b + 1) {
            for m in [1.0, 2.0, 5.0] {
                let v = m * pow(10, Double(k))
                if v >= lo * (1 - eps) && v <= hi * (1 + eps) {
                    ticks.append(Tick(value: v, label: .text(String(format: "%g", v)), major: true))
                }
            }
        }
        if ticks.count >= 2 { return ticks }
        let step = niceStep((hi - lo) / Double(max(target - 1, 1)))
        return linearTicks(lo, hi, step: step).filter { $0.value > 0 }
    }
}
