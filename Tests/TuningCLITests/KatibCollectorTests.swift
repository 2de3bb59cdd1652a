import ExperimentModel
import ExperimentRunner
import Foundation
import TestSupport
import Testing

/// `tunekit train` as a Katib trial: wrapped exactly as Katib's webhook wraps the primary container's command for the
/// StdOut collector (`sh -c "CMD 1>/var/log/katib/metrics.log 2>&1"`), and with the File collector's `--metrics-file`,
/// then read with Katib's parsing rules. Every metric Katib records must end on the value the trial reports
/// (score.json's validation metrics), and nothing else in the output may match Katib's filter: never the test split.
@Suite struct KatibCollectorTests {
    struct Run: CustomStringConvertible {
        let trainer: String
        let options: [String]
        var description: String { ([trainer] + options).joined(separator: " ") }
    }

    static let runs: [Run] = [
        Run(trainer: "gbdt", options: ["--num_iterations=30", "--min_data_in_leaf=5"]),
        Run(trainer: "gbdt", options: ["--num_iterations=30", "--min_data_in_leaf=5", "--test-fraction=0.2"]),
        Run(trainer: "gbdt", options: ["--num_iterations=30", "--min_data_in_leaf=5", "--test-fraction=0.2", "--log-every", "5"]),
        Run(trainer: "gbdt", options: [
            "--num_iterations=60", "--min_data_in_leaf=5", "--early_stopping_rounds=3", "--test-fraction=0.2", "--log-every", "1",
        ]),
        Run(trainer: "ridge", options: ["--alpha=2"]),
        Run(trainer: "ridge", options: ["--alpha=2", "--test-fraction=0.2"]),
        Run(trainer: "logistic", options: ["--test-fraction=0.2"]),
        Run(trainer: "logistic", options: []),
    ]

    /// Every `name=value` Katib's default filter finds in `text`, in order.
    static func filterMatches(_ text: String) throws -> [(name: String, value: String)] {
        let filter = try Regex(MetricsCollectorSpec.defaultFilter)
        return text.matches(of: filter).compactMap { match in
            guard let name = match.output[1].substring, let value = match.output[2].substring else { return nil }
            return (String(name).trimmingCharacters(in: .whitespaces), String(value).trimmingCharacters(in: .whitespaces))
        }
    }

    /// The `section` object of score.json as numbers, read with Swift's correctly rounded `Double(String)`
    /// (Foundation's JSON reader on Linux can miss a double by an ulp).
    static func metrics(_ score: String, section: String) throws -> [String: Double] {
        let object = try #require(score.firstMatch(of: try Regex(#""\#(section)"\s*:\s*\{([^}]*)\}"#))?.output[1].substring)
        var metrics: [String: Double] = [:]
        for pair in object.matches(of: try Regex(#""([\w-]+)"\s*:\s*([-+0-9.eE]+)"#)) {
            if let name = pair.output[1].substring, let value = pair.output[2].substring.flatMap({ Double($0) }) {
                metrics[String(name)] = value
            }
        }
        return metrics
    }

    @Test(arguments: runs)
    func katibRecordsExactlyWhatTheTrialReports(run: Run) throws {
        let directory = TemporaryDirectory("tunekit-katib-collector")
        defer { directory.remove() }
        let csv = run.trainer == "logistic"
            ? directory.write("table.csv", classificationCSV(rows: 400, classes: ["low", "high"]))
            : directory.write("table.csv", regressionCSV(rows: 400))
        let target = run.trainer == "logistic" ? "--target=label" : "--target=y"
        let command = [TunekitProcess.executable, "train", "--trainer", run.trainer, "--data", csv, target]
            + run.options + [
                "--output", directory.file("out"), "--model-version", "v1",
                "--metrics-file", directory.file("file-collector.log"),
            ]
        let log = directory.file("metrics.log")
        // Katib's webhook: the original command with both streams redirected into the file the sidecar parses.
        let wrapped = command.map { "'\($0)'" }.joined(separator: " ") + " 1>\(log) 2>&1"
        let shell = try TunekitProcess.runTool("sh", ["-c", wrapped])
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(shell.status == 0, "\(output)")

        let score = try String(contentsOfFile: directory.file("out/artifact/v1/score.json"), encoding: .utf8)
        let reported = try Self.metrics(score, section: "validation")
        let names = Array(reported.keys).sorted()
        #expect(!names.isEmpty)

        // Nothing but the reported metrics matches the filter anywhere in stdout + stderr.
        let matches = try Self.filterMatches(output)
        for match in matches {
            #expect(reported[match.name] != nil, "'\(match.name)=\(match.value)' is not a reported metric: \(output)")
        }
        // What Katib's sidecar records: for every metric, the latest value is the reported one.
        let parser = try MetricsLogParser(metricNames: names, filters: [])
        let records = parser.parseText(output)
        let objective = Objective(
            type: .minimize, objectiveMetricName: names[0], additionalMetricNames: Array(names.dropFirst()),
            metricStrategies: Dictionary(uniqueKeysWithValues: names.map { ($0, MetricStrategy.latest) }))
        for value in MetricsLogParser.observation(records, objective: objective) {
            #expect(Double(value.value) == reported[value.name], "\(value.name): Katib keeps \(value.value), trial reports \(reported[value.name] ?? .nan)")
        }
        // Without a per-iteration log, each metric is recorded once; the test split's values never are.
        if !run.options.contains("--log-every") {
            #expect(records.count == names.count, "\(records)")
        }
        if score.contains(#""test""#) {
            let test = try Self.metrics(score, section: "test")
            #expect(output.contains("test_\(names[0]) "), "the test metrics are still shown to people")
            for record in records {
                #expect(Double(record.value) != test[record.name] || Double(record.value) == reported[record.name], "\(record)")
            }
        }
        // The File collector's file holds the reported values once each.
        let fileRecords = parser.parseText(try String(contentsOfFile: directory.file("file-collector.log"), encoding: .utf8))
        #expect(fileRecords.count == names.count)
        for record in fileRecords { #expect(Double(record.value) == reported[record.name], "\(record)") }
    }

    @Test func theFileCollectorsJSONFormatHoldsTheReportedValues() throws {
        let directory = TemporaryDirectory("tunekit-katib-json")
        defer { directory.remove() }
        let csv = directory.write("table.csv", regressionCSV(rows: 300))
        let result = try TunekitProcess.run([
            "train", "--trainer", "ridge", "--data", csv, "--target=y", "--test-fraction=0.2",
            "--metrics-file", directory.file("metrics.json"), "--metrics-format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let reported = Dictionary(uniqueKeysWithValues: result.stdout.split(separator: "\n").map {
            let parts = $0.split(separator: "=")
            return (String(parts[0]), Double(parts[1])!)
        })
        let parser = try MetricsLogParser(metricNames: Array(reported.keys), filters: [])
        let records = try parser.parseJSONLines(try String(contentsOfFile: directory.file("metrics.json"), encoding: .utf8))
        #expect(records.count == reported.count)
        for record in records { #expect(Double(record.value) == reported[record.name], "\(record)") }
    }
}
