import ExprunConfig
import ExprunCore
import ExprunSpec
import Testing

// The `run:` section is declared with typed parameters (an integer or `full`, a mapping of
// declared keys, a list of choices) and validated by the components' validator: each
// mistake is located at the key or value to change, with "did you mean".

private func runProblems(_ run: String) -> [Diagnostic] {
    problems(validConfig.replacingOccurrences(of: "run:\n  steps: 100\n  batch_size: 4\n", with: "run:\n" + run + "\n"))
}

@Suite struct RunSectionTests {
    @Test func aMappingSettingChecksItsKeysAndTheirTypes() {
        var p = runProblems("  log: {evry: 5}")
        #expect(p.map(lineColumn) == ["4:9"] && p[0].suggestion == "every" && p[0].message.contains("run: log has no parameter 'evry'"))
        p = runProblems("  log: {every: 0}")
        #expect(p.map(lineColumn) == ["4:16"] && p[0].message.contains("every must be >= 1, got 0"))
        p = runProblems("  log: {every: 5, points: 10}")
        #expect(p.map(lineColumn) == ["4:8"] && p[0].message.contains("either `every` or `points`"))
        p = runProblems("  log: {points: 10, scale: lgo}")
        #expect(p.map(lineColumn) == ["4:28"] && p[0].suggestion == "log")
        p = runProblems("  log: 10")
        #expect(p.map(lineColumn) == ["4:8"] && p[0].message.contains("log must be a mapping"))
    }

    @Test func theStopRuleNamesARecordedMetricAndABound() {
        var p = runProblems("  metrics: [train_loss]\n  stop: {metric: train_los, below: 0.1}")
        #expect(p.map(lineColumn) == ["5:18"] && p[0].suggestion == "train_loss")
        p = runProblems("  metrics: [train_loss]\n  stop: {metric: train_loss}")
        #expect(p.map(lineColumn) == ["5:9"] && p[0].message.contains("stop needs `below: x` or `above: x`"))
        p = runProblems("  metrics: [train_loss]\n  stop: {metric: grad_norm, above: 1.0}")
        #expect(p.map(lineColumn) == ["5:18"] && p[0].message.contains("must also be in run.metrics"))
        p = runProblems("  stop: {below: 1.0}")
        #expect(p.map(lineColumn) == ["4:9"] && p[0].message.contains("missing required parameter 'metric'"))
    }

    @Test func listsAndWordsAreChoices() {
        var p = runProblems("  views: [last, avgg]")
        #expect(p.map(lineColumn) == ["4:17"] && p[0].suggestion == "avg")
        p = runProblems("  metrics: [train_loss, suboptimalty]")
        #expect(p.map(lineColumn) == ["4:25"] && p[0].suggestion == "suboptimality")
        p = runProblems("  metrics: []")
        #expect(p.map(lineColumn) == ["4:12"] && p[0].message.contains("metrics is empty"))
        p = runProblems("  batch_size: fll")
        #expect(p.map(lineColumn) == ["4:15"] && p[0].message.contains("batch_size must be an integer >= 1 or `full`") && p[0].suggestion == "full")
        p = runProblems("  stesp: 10")
        #expect(p.map(lineColumn) == ["4:3"] && p[0].suggestion == "steps")
    }

    @Test func theSettingsReadAsBefore() throws {
        let text = validConfig.replacingOccurrences(
            of: "run:\n  steps: 100\n  batch_size: 4\n",
            with: "run:\n  steps: 100\n  batch_size: full\n  log: {points: 7, scale: log}\n  views: avg\n  metrics: [train_loss, train_loss, lr]\n  stop: {metric: lr, above: 2}\n")
        let run = try build(text).runs[0].run
        #expect(run.batchSize == nil)
        #expect(run.log == .points(7, logScale: true))
        #expect(run.views == [.last, .avg])
        #expect(run.metrics == ["train_loss", "lr"])
        #expect(run.stop == StopRule(metric: "lr", below: nil, above: 2))
        let plain = try build(validConfig).runs[0]
        #expect(plain.run.log == .points(100, logScale: false) && plain.run.views == [.last] && plain.run.batchSize == 4)
        #expect(plain.parameters.first { $0.0 == "run.log" }?.1 == .string("100 points linear"))
        // A setting written as null is unset: it takes its default (the fuzz test found `sampling:`).
        let unset = try build(validConfig.replacingOccurrences(of: "  batch_size: 4\n", with: "  batch_size: 4\n  sampling:\n  views:\n  log:\n"))
        #expect(unset.runs[0].run == plain.run)
        #expect(unset.runs[0].runId == plain.runId)
    }
}
