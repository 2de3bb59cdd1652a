import ExperimentModel
import ExperimentRunner
import Foundation
@testable import RunAnalysis
import Testing

@Suite struct TrialTableTests {
    static func event(_ kind: JournalEvent.Kind, trial: Int? = nil, _ configure: (inout JournalEvent) -> Void = { _ in }) -> JournalEvent {
        var event = JournalEvent(kind)
        event.trial = trial
        event.name = trial.map { "t\($0)" }
        configure(&event)
        return event
    }

    static func suggested(_ trial: Int, _ assignments: [(String, String)]) -> JournalEvent {
        event(.trialSuggested, trial: trial) { $0.assignments = assignments.map { ParameterAssignment(name: $0.0, value: $0.1) } }
    }

    static func finished(_ trial: Int, _ condition: TrialCondition, _ metrics: [(String, String)], intermediate: [Double]? = nil) -> JournalEvent {
        event(.trialFinished, trial: trial) {
            $0.condition = condition
            $0.metrics = metrics.map { MetricValue(name: $0.0, value: $0.1) }
            $0.seconds = 1.5
            $0.intermediate = intermediate
        }
    }

    /// A run killed with two trials in flight and resumed: the re-run trial's later events win, the one still running
    /// at the end is RUNNING, an early-stopped one is PRUNED, and the objective is the journal's, not the first metric.
    @Test func foldsAKilledAndResumedRun() {
        let events: [JournalEvent] = [
            Self.event(.runStarted) { $0.objectiveMetric = "auc" },
            Self.suggested(0, [("lr", "0.1"), ("booster", "gbtree, fast")]),
            Self.event(.trialStarted, trial: 0),
            Self.suggested(1, [("lr", "0.2"), ("booster", "dart")]),
            Self.event(.trialStarted, trial: 1),
            Self.finished(0, .succeeded, [("logloss", "0.3"), ("auc", "0.91")], intermediate: [0.8, 0.9, 0.91]),
            Self.event(.interrupted),
            Self.event(.runResumed) { $0.objectiveMetric = "auc" },
            Self.event(.trialStarted, trial: 1),
            Self.finished(1, .earlyStopped, [("logloss", "0.5"), ("auc", "0.7")]),
            Self.suggested(2, [("lr", "0.05"), ("booster", "gbtree")]),
            Self.event(.trialStarted, trial: 2),
            Self.suggested(3, [("lr", "0.3"), ("booster", "gbtree")]),
        ]
        let table = TrialTable(events: events)
        #expect(table.objectiveMetric == "auc" && table.metricNames == ["logloss"] && table.parameterNames == ["lr", "booster"])
        #expect(table.rows.map(\.state) == ["COMPLETE", "PRUNED", "RUNNING", "WAITING"])
        #expect(table.rows.map(\.value) == [0.91, 0.7, nil, nil])
        #expect(table.rows[0].iterations == 3 && table.rows[0].metrics == ["logloss": 0.3] && table.rows[0].duration == 1.5)
        let csv = table.csv().split(separator: "\n")
        #expect(csv[0] == "number,value,datetime_start,datetime_complete,duration,params_lr,params_booster,user_attrs_logloss,user_attrs_iterations,state,condition,name")
        #expect(csv[1].contains(",0.1,\"gbtree, fast\",0.3,3,COMPLETE,SUCCEEDED,t0"), "commas are quoted: \(csv[1])")
        #expect(csv[4].hasPrefix("3,,,,,0.3,gbtree,,,WAITING,CREATED,t3"))
        let objects = try? JSONSerialization.jsonObject(with: Data(table.json().utf8)) as? [[String: Any]]
        #expect(objects?.count == 4 && objects?[0]["params_lr"] as? Double == 0.1 && objects?[0]["params_booster"] as? String == "gbtree, fast")
        #expect(objects?[2]["value"] is NSNull)
        let text = table.table().split(separator: "\n")
        #expect(text[0].hasPrefix("number  auc   state     duration s  iterations  lr    booster"))
    }

    /// After an interruption with nothing resumed, trials in flight are killed; older journals (no objective recorded)
    /// take the first reported metric as the value.
    @Test func trialsLeftByAnInterruptionAreKilled() {
        let table = TrialTable(events: [
            Self.event(.runStarted),
            Self.suggested(0, [("alpha", "1")]), Self.event(.trialStarted, trial: 0),
            Self.suggested(1, [("alpha", "2")]), Self.event(.trialStarted, trial: 1),
            Self.finished(0, .failed, [("rmse", "NaN-ish")]),
            Self.event(.interrupted),
        ])
        #expect(table.rows.map(\.state) == ["FAIL", "FAIL"] && table.rows.map(\.condition) == ["FAILED", "KILLED"])
        #expect(table.objectiveMetric == nil && table.rows[0].value == nil, "an unparseable metric is no value")
        let later = TrialTable(events: [Self.event(.runStarted), Self.suggested(0, [("a", "1")]), Self.finished(0, .succeeded, [("rmse", "2.5"), ("mae", "1")])])
        #expect(later.objectiveMetric == "rmse" && later.rows[0].value == 2.5 && later.metricNames == ["mae"])
    }
}

@Suite struct TrialTableHostileTextTests {
    /// Categorical values a spreadsheet would run as formulas are neutralised in CSV (numbers, negative ones too, are
    /// left alone); control characters never reach a terminal raw.
    @Test func formulasAndControlCharactersAreDefused() {
        let events: [JournalEvent] = [
            TrialTableTests.event(.runStarted) { $0.objectiveMetric = "loss" },
            TrialTableTests.suggested(0, [("cmd", "=HYPERLINK(\"http://x\")"), ("n", "-3")]),
            TrialTableTests.finished(0, .succeeded, [("loss", "-0.5")]),
            TrialTableTests.suggested(1, [("cmd", "\u{1b}]0;owned\u{7}\u{1b}[2J"), ("n", "@SUM(A1)")]),
            TrialTableTests.finished(1, .succeeded, [("loss", "0.5")]),
        ]
        let table = TrialTable(events: events)
        let csv = table.csv()
        #expect(csv.contains(#""'=HYPERLINK(""http://x"")""#), "\(csv)")
        #expect(csv.contains(",'@SUM(A1),"), "\(csv)")
        #expect(csv.contains(",-3,"), "\(csv)")
        #expect(csv.contains("0,-0.5,"), "\(csv)")
        let printed = table.table()
        #expect(!printed.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(printed.debugDescription)")
        #expect(printed.contains(#"\u{1b}]0;owned\u{7}\u{1b}[2J"#), "\(printed)")
    }
}
