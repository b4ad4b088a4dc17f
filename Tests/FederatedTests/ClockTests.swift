import Foundation
import Testing
import ExprunCore
import ExprunLoop

/// The event clock's order, the compute-time profiles and draws, and the simulated log times.
@Suite struct ClockTests {
    @Test func eventsPopByTimeThenLowerAgentWhateverThePushOrder() {
        let q = EventQueue(capacity: 8)
        // Three agents tie at t = 1.0, pushed in a scrambled order, around other times.
        for (t, a) in [(1.0, 5), (0.5, 7), (1.0, 2), (2.0, 0), (1.0, 3), (0.5, 6), (1.0, 0)] { q.push(time: t, agent: a) }
        var got: [String] = []
        while let e = q.pop() { got.append("\(e.time):\(e.agent)") }
        #expect(got == ["0.5:6", "0.5:7", "1.0:0", "1.0:2", "1.0:3", "1.0:5", "2.0:0"])
    }

    @Test func theHeapAgreesWithASortOnRandomEventsWithManyTies() {
        var rng = RNG(seed: 3, purpose: "test")
        let q = EventQueue(capacity: 200)
        var reference: [(Double, Int)] = []
        for a in 0..<200 {
            let t = Double(rng.below(10)) * 0.25   // 10 distinct times: many ties
            q.push(time: t, agent: a); reference.append((t, a))
        }
        // Interleave pops and pushes: pop half, push them back later in time.
        var popped: [(Double, Int)] = []
        for _ in 0..<100 { let e = q.pop()!; popped.append((e.time, e.agent)) }
        reference.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        #expect(popped.map(\.1) == reference.prefix(100).map(\.1))
        for (t, a) in popped { q.push(time: t + 2.5, agent: a) }
        var rest = Array(reference.dropFirst(100)) + popped.map { ($0.0 + 2.5, $0.1) }
        rest.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var drained: [Int] = []
        while let e = q.pop() { drained.append(e.agent) }
        #expect(drained == rest.map(\.1))
    }

    @Test func theLinearProfileIsTheOfficialFXFormula() throws {
        // Fraboni et al.'s get_tau_i: tau_i = 1 - i * X/100 / (M - 1).
        let p = Params(kind: "t", values: ["mean_time": .double(1), "speed_profile": .string("linear"),
                                           "fast_percent": .double(90), "slow_fraction": .double(0.5), "speedup": .double(10),
                                           "time_distribution": .string("constant"), "lognormal_sigma": .double(1),
                                           "pareto_shape": .double(2.5)])
        let t = ComputeTimes(p, agents: 10)
        for i in 0..<10 { #expect(abs(t.means[i] - (1 - Double(i) * 0.9 / 9)) < 1e-15) }
        var groups = p; groups.values["speed_profile"] = .string("groups"); groups.values["slow_fraction"] = .double(0.3)
        #expect(ComputeTimes(groups, agents: 10).means == [1, 1, 1] + [Double](repeating: 0.1, count: 7))
    }

    @Test func everyDrawHasTheClientsMean() {
        // Closed-form means: the sample mean of 200k draws within 5 standard errors.
        for (draw, sd) in [(ComputeTimes.Draw.exponential, 2.0), (.lognormal, (exp(0.25) - 1).squareRoot() * 2),
                           (.pareto, 0.5.squareRoot())] {
            let times = ComputeTimes(means: [2.0], draw: draw, sigma: 0.5, shape: 4)
            var rng = RNG(seed: 1, purpose: "draws")
            let n = 200_000
            var sum = 0.0
            for _ in 0..<n { sum += times.sample(agent: 0, rng: &rng) }
            #expect(abs(sum / Double(n) - 2.0) < 5 * sd / Double(n).squareRoot(), "\(draw)")
        }
        var rng = RNG(seed: 1, purpose: "draws"), untouched = rng
        #expect(ComputeTimes(means: [0.7]).sample(agent: 0, rng: &rng) == 0.7)
        #expect(rng.next() == untouched.next())   // a constant draw consumes nothing
    }

    @Test func logTimesSpanTheHorizon() {
        #expect(logTimesOf(.points(5, logScale: false), horizon: 2) == [0, 0.5, 1, 1.5, 2])
        #expect(logTimesOf(.every(3), horizon: 10) == [0, 3, 6, 9, 10])
        let l = logTimesOf(.points(5, logScale: true), horizon: 100)
        #expect(l.count == 5 && l[0] == 0 && l[4] == 100 && abs(l[1] - 0.1) < 1e-12 && abs(l[2] - 1) < 1e-12)
    }
}
