import ExperimentModel
import ExperimentRunner
import ModelTraining
import Testing

@Suite struct MetricsLogParserTests {
    let objective = Objective(type: .minimize, objectiveMetricName: "loss", additionalMetricNames: ["accuracy"])

    @Test func defaultFilterReadsKatibStdOutLines() throws {
        let parser = try MetricsLogParser(metricNames: ["loss", "accuracy", "Score"], filters: [])
        let records = parser.parseText("""
            epoch 1: loss=0.3 accuracy=.98
            train_loss=0.1
            Score = -7.53e-05
            loss=nan
            nothing here
            """)
        #expect(records.map(\.name) == ["loss", "accuracy", "Score", "loss"])
        #expect(records.map(\.value) == ["0.3", ".98", "-7.53e-05", ""])
    }

    @Test func strategiesReduceAndLatestFollowsTimestamps() throws {
        let parser = try MetricsLogParser(metricNames: ["loss", "accuracy"], filters: [])
        let records = parser.parseText("""
            2024-03-04T17:50:03Z loss=0.5 accuracy=0.7
            2024-03-04T17:50:01Z loss=0.2 accuracy=0.9
            2024-03-04T17:50:02Z loss=0.4 accuracy=0.8
            """)
        var strategies = objective
        strategies.metricStrategies["accuracy"] = .latest
        let observation = MetricsLogParser.observation(records, objective: strategies)
        #expect(observation == [MetricValue(name: "loss", value: "0.2"), MetricValue(name: "accuracy", value: "0.7")])
    }

    @Test func neverReportedObjectiveIsUnavailable() {
        #expect(MetricsLogParser.observation([], objective: objective) == [MetricValue(name: "loss", value: "unavailable")])
    }

    @Test func jsonLinesAndCustomFilters() throws {
        let parser = try MetricsLogParser(metricNames: ["loss"], filters: [#"(\w+):\s*([\d.]+)"#])
        #expect(parser.parseText("loss: 0.25").map(\.value) == ["0.25"])
        let records = try parser.parseJSONLines("{\"loss\": \"0.4\", \"timestamp\": 1638422847.28}\n\n{\"loss\": 0.3}\n")
        #expect(records.map(\.value) == ["0.4", "0.3"])
        #expect(throws: TunekitError.data("metrics file line 1 is not a JSON object")) { try parser.parseJSONLines("not json") }
        #expect(throws: TunekitError.self) { try MetricsLogParser(metricNames: ["loss"], filters: ["(unclosed"]) }
    }
}
