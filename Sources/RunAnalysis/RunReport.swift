import ExperimentRunner
import Foundation
import ModelArtifacts
import ModelRegistry
import ModelTraining
import TrafficData
import Trainers

/// `report.html` of a tuning run: one self-contained page (inline SVG and CSS, no script, nothing fetched) with the
/// run's summary, the optimisation history (objective per trial and best so far), hyperparameter importances (fANOVA),
/// parallel coordinates, a slice plot per parameter, a contour of the two most important parameters, the trials'
/// learning curves (intermediate values; early-stopped trials marked), the data the model was fitted on with its
/// quality report, the published model's test metrics and gbdt feature importances (splits and gain), and the trial
/// table. Built from the journal (and the published model and score.json), so it works for finished, running, killed
/// and resumed runs.
public enum RunReport {
    /// Writes `report.html` beside the journal (OUTPUT/runs/V/) and returns its path. `publishedModel` is the model
    /// the run published, when the caller holds it (`tune`): it is not read back from the model directory then.
    @discardableResult
    public static func write(journal: String, publishedModel: (any FittedModel)?) throws(TunekitError) -> String {
        let path = ((journal as NSString).deletingLastPathComponent as NSString).appendingPathComponent("report.html")
        let text = try page(journal: journal, publishedModel: publishedModel)
        do { try Durable.replace(path, with: Data(text.utf8)) } catch {
            throw .artifacts("\(path): cannot write the report: \(error)")
        }
        return path
    }

    public static func page(journal: String, publishedModel: (any FittedModel)?) throws(TunekitError) -> String {
        let events = try RunJournal.read(journal)
        let start = events.first { $0.event == .runStarted }
        let published = events.last { $0.event == .published }
        let table = TrialTable(events: events)
        let maximize = start?.objectiveGoal == "maximize"
        let metric = table.objectiveMetric ?? "objective"
        let title = "\(start?.experiment ?? "tuning run") · \(start?.modelVersion ?? "")"
        var body = "<h1>\(html(title))</h1>"
        body += summary(table, start: start, published: published, maximize: maximize)
        body += "<h2>Optimisation history</h2>" + history(table, metric: metric, maximize: maximize)
        let (space, completed, analysis, ranked) = analyse(table, start: start)
        if !space.isEmpty {
            body += "<h2>Hyperparameter importances (fANOVA)</h2>" + importances(analysis, ranked: ranked)
            let axes = ranked.compactMap { name in space.first { $0.name == name }.map(ReportPlots.Axis.init) }
            body += "<h2>Parallel coordinates</h2>" + ReportPlots.parallelCoordinates(axes: axes, trials: completed, metric: metric)
            body += "<h2>Parameters (slice plots)</h2><div class=\"grid\">"
            for name in table.parameterNames {
                body += slice(table, parameter: name, metric: metric, log: space.first { $0.name == name }?.logScale ?? false)
            }
            body += "</div>"
            // A categorical with more than 24 choices would make a contour of hundreds of cells per row: the next
            // parameter is used.
            let contourAxes = axes.filter { if case let .categorical(choices) = $0.domain { choices.count <= 24 } else { true } }
            if contourAxes.count >= 2, analysis.trialCount > 1 {
                let (x, y) = (contourAxes[0], contourAxes[1])
                let plot = ReportPlots.contour(x: x, y: y, trials: completed, metric: metric, prediction: analysis.marginal)
                if !plot.isEmpty {
                    body += "<h2>Contour of the two most important parameters</h2><p>The importance forest's prediction of "
                        + "\(html(metric)) over \(html(x.name)) and \(html(y.name)), the other parameters averaged "
                        + "over their ranges; dots are the completed trials.</p>" + plot
                }
            }
        }
        let curves = table.rows.filter { ($0.intermediate ?? []).count > 1 }
        if !curves.isEmpty { body += "<h2>Learning curves</h2>" + learningCurves(curves, metric: metric) }
        if let path = published?.scorePath { body += dataSection(scorePath: path) }
        if let directory = published?.modelDirectory {
            body += modelSection(directory: directory, model: publishedModel, test: published?.test)
        }
        body += "<h2>Trials</h2>" + trialTable(table)
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(html(title))</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
            h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}
            table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}
            th{background:#f6f6f6}td.l,th.l{text-align:left}.grid{display:flex;flex-wrap:wrap;gap:12px}
            svg text{font:11px system-ui,sans-serif;fill:#333}svg .t{font-weight:600;font-size:12px}
            .frame{fill:none;stroke:#bbb}.grid line,.grid{stroke:none}line.grid{stroke:#eee}
            .bar{background:#4878d0;height:10px;display:inline-block}.key{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
            </style></head><body>
            \(body)
            <p style="color:#888;font-size:11px">written by tunekit from \(html((journal as NSString).lastPathComponent))</p>
            </body></html>

            """
    }

    private static func summary(_ table: TrialTable, start: JournalEvent?, published: JournalEvent?, maximize: Bool) -> String {
        let counts = Dictionary(grouping: table.rows, by: \.state).mapValues(\.count).sorted { $0.key < $1.key }
            .map { "\($0.value) \($0.key.lowercased())" }.joined(separator: ", ")
        var rows: [(String, String)] = [
            ("algorithm", start?.algorithm ?? "-"), ("seed", start?.seed.map(String.init) ?? "-"),
            ("objective", "\(maximize ? "maximize" : "minimize") \(table.objectiveMetric ?? "-")"),
            ("trials", "\(table.rows.count) (\(counts))"),
        ]
        if let warm = start?.warmStart {
            rows.append(("warm start", "\(start?.warmStartTrials ?? 0) finished trial(s) of \(warm) as the algorithm's history"))
        }
        if let best = best(table, maximize: maximize) {
            let parameters = table.parameterNames.compactMap { name in best.parameters[name].map { "\(name)=\($0)" } }
            rows.append(("best trial", "\(best.number) (\(best.name)): \(short(best.value!)) with \(parameters.joined(separator: " "))"))
        }
        rows.append(("published", published?.modelDirectory ?? "not (yet)"))
        return "<table>" + rows.map { "<tr><th class=\"l\">\(html($0.0))</th><td class=\"l\">\(html($0.1))</td></tr>" }.joined() + "</table>"
    }

    static func best(_ table: TrialTable, maximize: Bool) -> TrialTable.Row? {
        let finished = table.rows.filter { $0.state == "COMPLETE" && $0.value.map(\.isFinite) == true }
        return maximize
            ? finished.max { $0.value! < $1.value! || ($0.value! == $1.value! && $0.number > $1.number) }
            : finished.min { $0.value! < $1.value! || ($0.value! == $1.value! && $0.number < $1.number) }
    }

    private static func history(_ table: TrialTable, metric: String, maximize: Bool) -> String {
        let values = table.rows.compactMap { row in row.value.map { (Double(row.number), $0) } }
        var best: [(x: Double, y: Double)] = []
        for row in table.rows where row.state == "COMPLETE" {
            guard let y = row.value else { continue }
            let x = Double(row.number)
            if let last = best.last?.y, maximize ? y <= last : y >= last { best.append((x, last)) } else { best.append((x, y)) }
        }
        let chart = SVGChart(
            title: "\(metric) per trial", xLabel: "trial", yLabel: metric,
            series: [.init(points: values.map { (x: $0.0, y: $0.1) }, style: .points, color: "#4878d0", label: metric),
                     .init(points: best, style: .steps, color: "#d65f5f", label: "best so far")])
        return chart.render() + "<div><span class=\"key\" style=\"background:#4878d0\"></span>trial<span class=\"key\" style=\"background:#d65f5f\"></span>best so far</div>"
    }

    /// A run's hyperparameter importances (fANOVA over its completed trials, seeded by the run's seed), most
    /// important first, and how many trials they rest on.
    public static func importances(journal: String) throws(TunekitError) -> (ranked: [(name: String, importance: Double)], trials: Int) {
        let events = try RunJournal.read(journal)
        let (_, _, analysis, ranked) = analyse(TrialTable(events: events), start: events.first { $0.event == .runStarted })
        return (ranked.map { ($0, analysis.importances[$0] ?? 0) }, analysis.trialCount)
    }

    private static func analyse(_ table: TrialTable, start: JournalEvent?) -> (
        space: [RecordedParameter], completed: [(number: Int, parameters: [String: String], value: Double)],
        analysis: ParameterImportance.Analysis, ranked: [String]
    ) {
        let completed = table.rows.compactMap { row in
            row.state == "COMPLETE" ? row.value.flatMap { $0.isFinite ? (row.number, row.parameters, $0) : nil } : nil
        }
        let space = searchSpace(start?.searchSpace, table: table)
        let analysis = ParameterImportance.Analysis(
            parameters: space, trials: completed.map { ($0.1, $0.2) }, seed: start?.seed ?? 0)
        let ranked = space.map(\.name).sorted {
            (analysis.importances[$0] ?? 0, $1) > (analysis.importances[$1] ?? 0, $0)
        }
        return (space, completed, analysis, ranked)
    }

    /// The journal's search space, or (older journals) one inferred from the trials: numbers by their observed range,
    /// anything else as the choices seen.
    private static func searchSpace(_ recorded: [RecordedParameter]?, table: TrialTable) -> [RecordedParameter] {
        if let recorded {
            // A name given twice (a hand-edited journal) is one parameter: its first declaration.
            var seen: Set<String> = []
            return recorded.filter { seen.insert($0.name).inserted }
        }
        return table.parameterNames.map { name in
            let texts = table.rows.compactMap { $0.parameters[name] }
            let numbers = texts.compactMap(Double.init).filter(\.isFinite)
            if numbers.count == texts.count, let low = numbers.min(), let high = numbers.max() {
                return .init(name: name, domain: .numeric(low: low, high: high))
            }
            return .init(name: name, domain: .categorical(choices: Array(Set(texts)).sorted()))
        }
    }

    private static func importances(_ analysis: ParameterImportance.Analysis, ranked: [String]) -> String {
        guard analysis.trialCount > 1 else { return "<p>Needs at least two completed trials.</p>" }
        var text = "<p>Share of the objective's variance each parameter explains on its own, by functional ANOVA over a "
            + "random forest of the \(analysis.trialCount) completed trials (Optuna's default evaluator).</p>"
            + "<table><tr><th class=\"l\">parameter</th><th>importance</th><th class=\"l\"></th></tr>"
        for name in ranked {
            let value = analysis.importances[name] ?? 0
            text += "<tr><td class=\"l\">\(html(name))</td><td>\(String(format: "%.3f", value))</td>"
                + "<td class=\"l\"><span class=\"bar\" style=\"width:\(Int(200 * value))px\"></span></td></tr>"
        }
        return text + "</table>"
    }

    /// The data the published model was fitted on, from score.json: provenance, split sizes and (traffic data) what
    /// the featurizer read, dropped and kept.
    private static func dataSection(scorePath: String) -> String {
        guard let bytes = FileManager.default.contents(atPath: scorePath),
              let score = try? JSONDecoder().decode(ScoreReport.self, from: bytes), let data = score.data
        else { return "" }
        var rows: [(String, String)] = [
            ("path", data.path), ("kind", data.kind), ("checksum", data.checksum),
            ("rows", "train \(data.trainRows), validation \(data.validationRows), test \(data.testRows)"),
        ]
        if let quality = data.quality {
            rows += [
                ("read", "\(quality.rowsRead) rows from \(quality.files) files, \(quality.spots) spots, months \(quality.months.first ?? "-")…\(quality.months.last ?? "-")"),
                ("duplicate rows removed", "\(quality.duplicateRowsRemoved)"),
                ("spot-hours missing", "\(quality.missingHours)"), ("spot-hours incomplete", "\(quality.incompleteHours)"),
                ("spot-hours with unusable vol", "\(quality.hoursWithUnusableVolume) (\(quality.unusableVolumeRows) rows)"),
                ("spot-hours in lane outage", "\(quality.laneOutageHours)"),
                ("spot-hours with conflicting duplicates", "\(quality.conflictingDuplicateHours)"),
                ("spot-hours without lag history", quality.noLagHistory.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
                ("spot-hours kept", "\(quality.usableRows)"),
            ]
        }
        return "<h2>Data\(data.quality == nil ? "" : " and its quality")</h2><table>"
            + rows.map { "<tr><th class=\"l\">\(html($0.0))</th><td class=\"l\">\(html($0.1))</td></tr>" }.joined() + "</table>"
    }

    /// One parameter against the objective; a log-scaled parameter on a log axis (else its points crowd at the left).
    private static func slice(_ table: TrialTable, parameter: String, metric: String, log: Bool) -> String {
        let rows = table.rows.filter { $0.value != nil && $0.parameters[parameter] != nil }
        let texts = rows.map { $0.parameters[parameter]! }
        let numeric = texts.allSatisfy { Double($0) != nil }
        let categories = numeric ? nil : Array(Set(texts)).sorted()
        let positions = Dictionary(uniqueKeysWithValues: (categories ?? []).enumerated().map { ($1, Double($0)) })
        let points = rows.map { row -> (x: Double, y: Double) in
            let text = row.parameters[parameter]!
            return (numeric ? Double(text)! : positions[text]!, row.value!)
        }
        return SVGChart(
            title: parameter, xLabel: parameter, yLabel: metric,
            series: [.init(points: points, style: .points, color: "#4878d0", label: parameter)], xCategories: categories,
            width: 380, height: 260, logX: log && categories == nil
        ).render()
    }

    private static func learningCurves(_ rows: [TrialTable.Row], metric: String) -> String {
        let series = rows.map { row in
            SVGChart.Series(
                points: (row.intermediate ?? []).enumerated().map { (x: Double($0 + 1), y: $1) }, style: .line,
                color: row.state == "PRUNED" ? "#d65f5f" : "#4878d0", label: "trial \(row.number)")
        }
        return SVGChart(title: "\(metric) by step", xLabel: "step", yLabel: metric, series: series, width: 760, height: 320).render()
            + "<div><span class=\"key\" style=\"background:#4878d0\"></span>ran to the end<span class=\"key\" style=\"background:#d65f5f\"></span>stopped early</div>"
    }

    private static func modelSection(directory: String, model: (any FittedModel)?, test: [String: Double]?) -> String {
        var section = "<h2>Published model</h2><p>\(html(directory))</p>"
        if let test, !test.isEmpty {
            section += "<table><tr>" + test.keys.sorted().map { "<th>test \(html($0))</th>" }.joined() + "</tr><tr>"
                + test.keys.sorted().map { "<td>\(short(test[$0]!))</td>" }.joined() + "</tr></table>"
        }
        guard let model = (model ?? (try? ModelBundle.load(directory: directory).model)) as? GBDTModel else { return section }
        let importances = model.featureImportances.sorted { $0.gain > $1.gain || ($0.gain == $1.gain && $0.feature < $1.feature) }
        let largest = max(importances.first?.gain ?? 1, 1e-300)
        section += "<h3>Feature importances (gbdt)</h3><table><tr><th class=\"l\">feature</th><th>splits</th><th>gain</th><th class=\"l\"></th></tr>"
        for entry in importances {
            section += "<tr><td class=\"l\">\(html(entry.feature))</td><td>\(entry.splits)</td><td>\(short(entry.gain))</td>"
                + "<td class=\"l\"><span class=\"bar\" style=\"width:\(Int(200 * entry.gain / largest))px\"></span></td></tr>"
        }
        return section + "</table>"
    }

    private static func trialTable(_ table: TrialTable) -> String {
        let (header, rows) = table.readableCells()
        var text = "<table><tr>" + header.map { "<th>\(html($0))</th>" }.joined() + "</tr>"
        for cells in rows { text += "<tr>" + cells.map { "<td>\(html($0))</td>" }.joined() + "</tr>" }
        return text + "</table>"
    }

    private static func short(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.6g", value)
    }
}
