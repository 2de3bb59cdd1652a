import ExperimentModel
import Foundation
import TestSupport
import Testing
@testable import ExperimentRunner

@Suite struct RunReportTests {
    static func journal(in directory: TemporaryDirectory) throws -> String {
        typealias T = TrialTableTests
        var events: [JournalEvent] = [
            T.event(.runStarted) {
                ($0.experiment, $0.objectiveMetric, $0.objectiveGoal, $0.algorithm, $0.seed, $0.modelVersion)
                    = ("<script>alert(1)</script> & co", "rmse", "minimize", "tpe", 3, "v1")
            },
        ]
        for trial in 0..<6 {
            events.append(T.suggested(trial, [("lr", String(0.05 * Double(trial + 1))), ("booster", trial % 2 == 0 ? "gbtree" : "dart boost")]))
            events.append(T.event(.trialStarted, trial: trial))
            let curve = (1...5).map { 10 - Double($0) * Double(trial + 1) / 3 }
            events.append(T.finished(trial, trial == 4 ? .earlyStopped : .succeeded, [("rmse", String(curve.last!))], intermediate: curve))
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

    /// The page holds the history, one slice plot per parameter and the learning curves, as inline SVG that parses as
    /// XML (so every name is escaped), fetches nothing and runs no script.
    @Test func selfContainedPageWithEveryPlot() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = try RunReport.write(journal: Self.journal(in: directory))
        #expect(path == directory.file("runs/v1/report.html"))
        let page = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!page.lowercased().contains("<script") && page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"))
        #expect(page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").range(of: "https?://", options: .regularExpression) == nil)
        let svgs = page.components(separatedBy: "<svg").dropFirst().map { "<svg" + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
        #expect(svgs.count == 4, "history, two slice plots, learning curves")
        for svg in svgs { #expect(Self.wellFormed(svg), "SVG tags nest and text is escaped: \(svg.prefix(200))") }
        #expect(page.contains("<title>lr</title>") && page.contains("<title>booster</title>") && page.contains(">dart boost<") && page.contains(">gbtree<"))
        #expect(page.contains("<td>dart boost</td>"), "a value with a space stays one cell of the trial table")
        #expect(page.contains("stroke=\"#d65f5f\" stroke-width=\"1.5\"><title>trial 4</title>"), "the early-stopped trial's curve is marked")
        #expect(page.contains("best trial</th><td class=\"l\">5 (t5)"), "the best (lowest rmse) trial is named")
        #expect(page.components(separatedBy: "<tr>").count - 1 >= 6 + 1)
    }
}
