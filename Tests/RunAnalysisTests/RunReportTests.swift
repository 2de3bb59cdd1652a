import ExperimentModel
import ExperimentRunner
import Foundation
@testable import ModelRegistry
import ModelTraining
@testable import RunAnalysis
import TestSupport
import Testing
import TrafficData
import Trainers

@Suite struct RunReportTests {
    /// Six trials over `lr` and `booster` (trial 4 stopped early); with `recordSpace`, the journal holds the search
    /// space (else, as in older journals, the report infers it), and the run published a model whose score.json
    /// holds a data-quality report.
    static func journal(in directory: TemporaryDirectory, recordSpace: Bool = false) throws -> String {
        typealias T = TrialTableTests
        var events: [JournalEvent] = [
            T.event(.runStarted) {
                ($0.experiment, $0.objectiveMetric, $0.objectiveGoal, $0.algorithm, $0.seed, $0.modelVersion)
                    = ("<script>alert(1)</script> & co", "rmse", "minimize", "tpe", 3, "v1")
                if recordSpace {
                    $0.searchSpace = [
                        .init(name: "booster", domain: .categorical(choices: ["gbtree", "dart boost", "linear"])),
                        .init(name: "lr", domain: .numeric(low: 0.01, high: 0.5), logScale: true),
                    ]
                }
            },
        ]
        for trial in 0..<6 {
            events.append(T.suggested(trial, [("lr", String(0.05 * Double(trial + 1))), ("booster", trial % 2 == 0 ? "gbtree" : "dart boost")]))
            events.append(T.event(.trialStarted, trial: trial))
            let curve = (1...5).map { 10 - Double($0) * Double(trial + 1) / 3 }
            events.append(T.finished(trial, trial == 4 ? .earlyStopped : .succeeded, [("rmse", String(curve.last!))], intermediate: curve))
        }
        if recordSpace {
            var quality = DataQualityReport()
            (quality.files, quality.rowsRead, quality.spots, quality.months, quality.laneOutageHours, quality.usableRows)
                = (2, 5000, 3, ["2024-01", "2024-02"], 17, 4321)
            let score = ScoreReport(
                modelVersion: "v1", trainer: "gbdt", parameters: [:], validation: nil, test: nil, fittedOn: "train",
                data: .init(path: "datasets/<x>", kind: "traffic", checksum: "abc", trainRows: 3000, validationRows: 700,
                            testRows: 621, quality: quality))
            let scorePath = directory.write("artifact/v1/score.json", String(decoding: try JSONEncoder().encode(score), as: UTF8.self))
            events.append(T.event(.published) { $0.scorePath = scorePath })
        }
        return directory.write("runs/v1/journal.jsonl", try events.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n")
    }

    /// Whether markup nests (every tag closed in order, or self-closed) and text holds no bare `<` or `&`.
    static func wellFormed(_ markup: String) -> Bool {
        var stack: [Substring] = []
        var rest = markup[...]
        while let open = rest.firstIndex(of: "<") {
            let text = rest[..<open]
            if text.contains("<") || text.replacingOccurrences(of: "&(amp|lt|gt|quot);", with: "", options: .regularExpression).contains("&") { return false }
            guard let close = rest[open...].firstIndex(of: ">") else { return false }
            let tag = rest[rest.index(after: open)..<close]
            if tag.hasPrefix("/") {
                guard stack.popLast() == tag.dropFirst() else { return false }
            } else if !tag.hasSuffix("/") {
                stack.append(tag.prefix { $0 != " " })
            }
            rest = rest[rest.index(after: close)...]
        }
        return stack.isEmpty
    }

    /// The page holds the history, parallel coordinates, one slice plot per parameter, the contour and the learning
    /// curves, as inline SVG that parses as
    /// XML (so every name is escaped); it fetches nothing and runs no script.
    @Test func selfContainedPageWithEveryPlot() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = try RunReport.write(journal: Self.journal(in: directory), publishedModel: nil)
        #expect(path == directory.file("runs/v1/report.html"))
        let page = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!page.lowercased().contains("<script"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"))
        #expect(page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").range(of: "https?://", options: .regularExpression) == nil)
        let svgs = page.components(separatedBy: "<svg").dropFirst().map { "<svg" + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
        #expect(svgs.count == 6, "history, parallel coordinates, two slice plots, contour, learning curves")
        for svg in svgs { #expect(Self.wellFormed(svg), "SVG tags nest and text is escaped: \(svg.prefix(200))") }
        #expect(page.contains("<title>lr</title>"))
        #expect(page.contains("<title>booster</title>"))
        #expect(page.contains(">dart boost<"))
        #expect(page.contains(">gbtree<"))
        #expect(page.contains("<td>dart boost</td>"), "a value with a space stays one cell of the trial table")
        #expect(page.contains("stroke=\"#d65f5f\" stroke-width=\"1.5\"><title>trial 4</title>"), "the early-stopped trial's curve is marked")
        #expect(page.contains("best trial</th><td class=\"l\">5 (t5)"), "the best (lowest rmse) trial is named")
        #expect(page.components(separatedBy: "<tr>").count - 1 >= 6 + 1)
        // Importances over the five completed trials, each a polyline of the parallel coordinates; the contour is
        // 24 cells of lr by the two booster choices seen (the space is inferred from the trials here).
        #expect(page.contains("random forest of the 5 completed trials"))
        #expect(page.components(separatedBy: "<polyline").count - 1 == 5)
        #expect(page.components(separatedBy: "<rect").count - 1 == 4 + 24 * 2 + 1, "four chart frames, contour cells, contour frame")
        #expect(!page.contains("Data and its quality"), "nothing was published")
    }

    /// With the search space in the journal, axes and contour span the declared bounds and every declared choice,
    /// and the published model's data-quality report is shown.
    @Test func recordedSearchSpaceAndDataQuality() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let page = try RunReport.page(journal: Self.journal(in: directory, recordSpace: true), publishedModel: nil)
        #expect(Self.wellFormed(page.components(separatedBy: "<body>")[1].components(separatedBy: "</body>")[0]))
        #expect(page.contains(">linear<"), "a declared choice no trial took is still an axis label")
        #expect(page.components(separatedBy: "<rect").count - 1 == 4 + 24 * 2 + 1, "no contour cells for a choice no trial took")
        #expect(page.contains(">0.01<"), "the lr axis spans the declared bounds")
        #expect(page.contains(">0.5<"), "the lr axis spans the declared bounds")
        #expect(page.contains(">0.07071<"), "on a log scale: the geometric middle is labelled")
        #expect(page.contains("Data and its quality"))
        #expect(page.contains("<td class=\"l\">4321</td>"))
        #expect(page.contains("2024-01…2024-02"))
        #expect(page.contains("datasets/&lt;x&gt;"))
        let importances = page.components(separatedBy: "Hyperparameter importances")[1].components(separatedBy: "</table>")[0]
        let values = importances.matches(of: /<td>([0-9.]+)<\/td>/).map { Double($0.1)! }
        #expect(values.count == 2)
        #expect(abs(values.reduce(0, +) - 1) < 0.002)
    }

    /// Hostile journals (found by an attack on the report): a name declared twice, the largest trial number, bounds
    /// whose ratio overflows on a log axis, objectives near ±Double.greatestFiniteMagnitude. The page is written,
    /// well formed, with no NaN or infinite coordinate.
    @Test func hostileJournalsGiveAFinitePage() throws {
        typealias T = TrialTableTests
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var events: [JournalEvent] = [
            T.event(.runStarted) {
                ($0.objectiveMetric, $0.objectiveGoal, $0.seed) = ("loss", "minimize", 1)
                $0.searchSpace = [
                    .init(name: "a", domain: .numeric(low: 0, high: 1)), .init(name: "a", domain: .numeric(low: 0, high: 1)),
                    .init(name: "tiny", domain: .numeric(low: 1e-320, high: 1e300), logScale: true),
                    .init(name: "backwards", domain: .numeric(low: 1, high: 0), logScale: true),
                ]
            },
        ]
        for (index, trial) in [0, 1, 2, 3, Int.max].enumerated() {
            events.append(T.suggested(trial, [("a", "\(Double(index) / 4)"), ("tiny", "\(pow(10.0, Double(index * 50)))")]))
            events.append(T.finished(trial, .succeeded, [("loss", index % 2 == 0 ? "1e308" : "-1e308")]))
        }
        let journal = directory.write("runs/v/journal.jsonl", try events.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n")
        let page = try RunReport.page(journal: journal, publishedModel: nil)
        #expect(Self.wellFormed(page.components(separatedBy: "<body>")[1].components(separatedBy: "</body>")[0]))
        #expect(!page.lowercased().contains("nan") && !page.contains("inf<") && !page.contains("\"inf"))
        #expect(page.components(separatedBy: "<td class=\"l\">a</td>").count - 1 == 1, "the twice-declared name is one parameter")
        #expect(page.components(separatedBy: "<polyline").count - 1 == 5, "parallel coordinates leave out the unassigned axis, not the trials")
        let (ranked, trials) = try RunReport.importances(journal: journal)
        #expect(trials == 5 && ranked.map(\.name).sorted() == ["a", "backwards", "tiny"])
    }
}

@Suite struct PredictionLogReaderTests {
    /// 5,000 request rows read as a stream into a sample of 300: the same sample each time, rows of the log only, a
    /// torn last line skipped and wide lines fine.
    @Test func largeLogsAreSampledDeterministically() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var text = ""
        for k in 0..<5_000 {
            text += #"{"type":"org.kubeflow.serving.inference.request","data":{"instances":[{"x":\#(k),"site":"s\#(k % 7)"}]}}"# + "\n"
            text += #"{"type":"org.kubeflow.serving.inference.response","data":{"predictions":[1]}}"# + "\n"
        }
        let log = directory.write("predictions-000001.jsonl", text + #"{"type":"org.kubeflow.serv"#)
        let first = try DriftInputs.current(log, maxLogRows: 300)
        let again = try DriftInputs.current(log, maxLogRows: 300)
        #expect(first.rowCount == 300 && first.names == ["site", "x"])
        guard case .numeric(let xs)? = first.column(named: "x"), case .numeric(let ys)? = again.column(named: "x") else {
            Issue.record("x is numeric")
            return
        }
        #expect(xs == ys, "the same sample")
        #expect(Set(xs).count == 300)
        #expect(xs.allSatisfy { (0..<5_000).contains(Int($0)) })
        #expect(xs.contains { $0 >= 4_000 }, "a sample of the whole log, not its first rows")
        let all = try DriftInputs.current(log)
        #expect(all.rowCount == 5_000)
    }

    /// One line past the line limit is refused before it is decoded (a decoded line takes ~30 times its size).
    @Test func aGiganticLineIsRefusedWithItsNumber() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let event = #"{"type":"org.kubeflow.serving.inference.request","data":{"instances":[{"x":1}]}}"#
        let huge = #"{"type":"org.kubeflow.serving.inference.request","data":{"instances":["# + String(repeating: #"{"x":1},"#, count: 5_000_000) + #"{"x":1}]}}"#
        let log = directory.write("predictions-000001.jsonl", event + "\n" + huge + "\n" + event + "\n")
        #expect(throws: TunekitError.self) { try DriftInputs.current(log) }
        do {
            _ = try DriftInputs.current(log)
        } catch {
            #expect(error.description.contains("line 2: longer than 32 MB"), "\(error)")
        }
    }
}

@Suite struct SlicePlotAxisTests {
    /// A log-uniform parameter's slice plot has a log axis: ticks at powers of ten, and a point at 1 halfway between
    /// 0.001 and 1000 (on a linear axis it would sit at the far left with every point below 10).
    @Test func logScaledParametersGetALogAxis() throws {
        let points: [(x: Double, y: Double)] = [(0.001, 1), (1, 2), (1000, 3)]
        let chart = SVGChart(
            title: "lr", xLabel: "lr", yLabel: "rmse", series: [.init(points: points, style: .points, color: "#000", label: "lr")],
            xCategories: nil, logX: true)
        let svg = chart.render()
        #expect(svg.contains(">0.01</text>"), "\(svg)")
        #expect(svg.contains(">1</text>"), "\(svg)")
        #expect(svg.contains(">100</text>"), "\(svg)")
        let centers = svg.matches(of: /cx="([0-9.]+)"/).compactMap { Double($0.output.1) }
        #expect(centers.count == 3)
        #expect(abs(centers[1] - (centers[0] + centers[2]) / 2) < 1, "1 is halfway between 0.001 and 1000: \(centers)")
    }
}
