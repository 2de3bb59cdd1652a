import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct CommandLineTests {
    static let request = """
        {"experiment": {"name": "random", "spec": {
           "parameterSpecs": {"parameters": [
             {"name": "lr", "parameterType": "DOUBLE", "feasibleSpace": {"min": "0.01", "max": "0.05", "distribution": "UNIFORM"}},
             {"name": "num-layers", "parameterType": "INT", "feasibleSpace": {"min": "2", "max": "5"}},
             {"name": "optimizer", "parameterType": "CATEGORICAL", "feasibleSpace": {"list": ["sgd", "adam", "ftrl"]}}]},
           "objective": {"type": "MAXIMIZE", "objectiveMetricName": "accuracy"},
           "algorithm": {"algorithmName": "random", "algorithmSettings": [{"name": "random_state", "value": "10"}]}}},
         "trials": [], "currentRequestNumber": 2, "totalRequestNumber": 2}
        """

    @Test func suggestAnswersAGetSuggestionsRequest() throws {
        let result = try TunekitProcess.run(["suggest"], stdin: Self.request)
        #expect(result.status == 0)
        let reply = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let sets = try #require(reply?["parameterAssignments"] as? [[String: Any]])
        #expect(sets.count == 2)
        #expect(try TunekitProcess.run(["suggest"], stdin: Self.request).stdout == result.stdout, "random_state makes it reproducible")
    }

    @Test func suggestErrorsAreGRPCStatusJSON() throws {
        let malformed = try TunekitProcess.run(["suggest"], stdin: "{\"experiment\": ")
        #expect(malformed.status == 1)
        #expect(malformed.stdout.hasPrefix(#"{"code":"INVALID_ARGUMENT","message":"malformed request JSON"#))
        let badSetting = Self.request.replacingOccurrences(of: "\"random_state\", \"value\": \"10\"", with: "\"random_state\", \"value\": \"-4\"")
        let invalid = try TunekitProcess.run(["suggest", "--validate"], stdin: badSetting)
        #expect(invalid.status == 1)
        #expect(invalid.stdout.contains("random_state should be great or equal than zero"))
        let valid = try TunekitProcess.run(["suggest", "--validate"], stdin: Self.request)
        #expect(valid.status == 0)
        #expect(valid.stdout == "{}\n")
    }

    /// `train --trainer NAME --help` lists that trainer's hyperparameters from its table: names, aliases, defaults.
    @Test func trainHelpListsATrainersHyperparameters() throws {
        for arguments in [["train", "--trainer", "gbdt", "--help"], ["train", "--trainer=gbdt", "-h"]] {
            let result = try TunekitProcess.run(arguments)
            #expect(result.status == 0)
            #expect(result.stdout.contains("gbdt hyperparameters"))
            #expect(result.stdout.contains("--num_leaves (num_leaf, max_leaves, max_leaf, max_leaf_nodes) = 31, [2, 131072]"))
            #expect(result.stdout.contains("--boosting (boosting_type, boost) = gbdt"))
        }
        let ridge = try TunekitProcess.run(["train", "--trainer", "ridge", "--help"])
        #expect(ridge.stdout.contains("--alpha (lambda_l2, reg_lambda) = 1.0") && !ridge.stdout.contains("num_leaves"))
        let plain = try TunekitProcess.run(["train", "--help"])
        #expect(plain.status == 0 && plain.stdout.contains("--trainer NAME --help") && !plain.stdout.contains("num_leaves"))
    }

    @Test func validateAcceptsTheBundledExperimentsAndLocatesErrors() throws {
        for file in ["experiments/seoul-traffic-ridge.yaml", "experiments/seoul-traffic-random.yaml", "experiments/seoul-traffic-gbdt.yaml"] {
            let result = try TunekitProcess.run(["validate", file])
            #expect(result.status == 0, "\(file): \(result.stderr)")
            #expect(result.stdout.contains("runnable:"))
            // The rows of every split the trials read (the bundled traffic data: one test and one validation month).
            #expect(result.stdout.contains("data split 69599 train / 7208 validation / 7031 test rows"), "\(result.stdout)")
        }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let broken = directory.write("broken.yaml", "spec:\n  parameters: [\n")
        let result = try TunekitProcess.run(["validate", broken])
        #expect(result.status == 1)
        #expect(result.stderr.contains("broken.yaml: not a valid YAML/JSON document"))
        let missing = try TunekitProcess.run(["tune", directory.file("absent.yaml")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("absent.yaml"))
    }

    @Test func trainPrintsKatibMetricsAndPublishesAModelThatPredicts() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("table.csv", regressionCSV(rows: 120))
        let result = try TunekitProcess.run([
            "train", "--data", csv, "--target=y", "--alpha=0.1", "--metrics-file", directory.file("metrics.log"),
            "--model-version=v1", "--output", directory.file("out"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").map { $0.split(separator: "=")[0] } == ["rmse", "mae", "r2", "mape"])
        #expect(try String(contentsOfFile: directory.file("metrics.log"), encoding: .utf8).contains(" rmse="))
        let predict = try TunekitProcess.run([
            "predict", "--model", directory.file("out/model/v1"), "--input", csv, "--output", directory.file("pred.csv"),
        ])
        #expect(predict.status == 0, "\(predict.stderr)")
        let lines = try String(contentsOfFile: directory.file("pred.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 121 && lines[0] == "x1,x2,x3,site,y,prediction")

        let typo = try TunekitProcess.run(["train", "--data", csv, "--target=y", "--alpha=-1"])
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("parameter 'alpha': '-1' is outside the allowed range"))
        let noFile = try TunekitProcess.run(["train", "--data", directory.file("none.csv"), "--target=y"])
        #expect(noFile.status == 1)
        #expect(noFile.stderr.contains("no such file"))
    }

    /// gbdt training says what it did: per-iteration validation metrics with --log-every, the iteration early stopping
    /// kept, the test metrics; all on stderr, so stdout carries only the Katib metric lines. Without validation rows
    /// the metrics are called training metrics, in the terminal and in score.json.
    @Test func trainSaysWhatItDid() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("table.csv", regressionCSV(rows: 400))
        let result = try TunekitProcess.run([
            "train", "--trainer", "gbdt", "--data", csv, "--target=y", "--test-fraction=0.2", "--num_iterations=40",
            "--early_stopping_rounds=5", "--min_data_in_leaf=5", "--log-every", "10",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").map { $0.split(separator: "=")[0] } == ["rmse", "mae", "r2", "mape"])
        #expect(result.stderr.contains("[10] validation rmse="))
        #expect(result.stderr.contains("early stopping: best iteration "))
        #expect(result.stderr.contains("test split, 80 rows (not reported as trial metrics): test_rmse "))

        let noValidation = try TunekitProcess.run([
            "train", "--trainer", "gbdt", "--data", csv, "--target=y", "--valid-fraction=0", "--num_iterations=5",
            "--model-version=v1", "--output", directory.file("out"),
        ])
        #expect(noValidation.status == 0, "\(noValidation.stderr)")
        #expect(noValidation.stderr.contains("these metrics are on the training rows"))
        let score = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory.file("out/artifact/v1/score.json")))) as? [String: Any]
        #expect(score?["train"] != nil && score?["validation"] == nil)
        let zero = try TunekitProcess.run(["train", "--data", csv, "--target=y", "--log-every", "0"])
        #expect(zero.status == 1)
        #expect(zero.stderr.contains("--log-every '0' must be a whole number ≥ 1"))
    }

    @Test func synthesizeReproducesTheBundledData() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let result = try TunekitProcess.run([
            "datasets", "synthesize", "--seed", "20240701", "--from", "2024-07", "--months", "1", "--out", directory.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let made = FileManager.default.contents(atPath: directory.file("volinfo_2024-07.csv"))
        let bundled = FileManager.default.contents(atPath: PackagePaths.file("datasets/seoul-traffic/volinfo_2024-07.csv"))
        #expect(made != nil)
        #expect(made == bundled)
        let refused = try TunekitProcess.run(["datasets", "synthesize", "--seed", "1", "--from", "2026-01", "--months", "1", "--out", directory.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("no holiday calendar for 2026-01"))
    }

    /// The README's main job, on the bundled data: the whole path from YAML to published artifacts.
    @Test func mainJobPublishesVersionedArtifacts() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let output = directory.file("out")
        let result = try TunekitProcess.run([
            "tune", "experiments/seoul-traffic-ridge.yaml", "--output", output, "--model-version", "2025-06-01",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Succeeded (MaxTrialsReached): 9 trials (9 succeeded)"))
        let score = try #require(FileManager.default.contents(atPath: directory.file("out/artifact/2025-06-01/score.json")))
        let report = try #require(try JSONSerialization.jsonObject(with: score) as? [String: Any])
        let test = try #require(report["test"] as? [String: Double])
        #expect(test["r2"]! > 0.8)
        for file in ["model.json", "training.json", "manifest.json"] {
            #expect(FileManager.default.fileExists(atPath: directory.file("out/model/2025-06-01/\(file)")))
        }
        #expect(!result.stderr.contains("\u{1B}"), "no live status line when stderr is not a terminal")
        let page = directory.file("out/runs/2025-06-01/report.html")
        #expect(result.stderr.contains("report: "))
        #expect(FileManager.default.fileExists(atPath: page))
        if let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) {
            // A real browser renders the page to an image without errors.
            let png = directory.file("report.png")
            let render = try TunekitProcess.runTool(chromium, [
                "--headless", "--no-sandbox", "--disable-gpu", "--screenshot=\(png)", "--window-size=1200,2400", "file://\(page)",
            ])
            #expect(render.status == 0, "\(render.stderr)")
            let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
            #expect(size > 10_000, "a rendered page, \(size) bytes")
        } else if RealTools.required {
            Issue.record("chromium is not installed: report.html was not rendered")
        }
        #expect(result.stderr.contains("rank  trial  "), "the best-trials table is aligned")
        // Run again (a restarted Job), the finished run prints its result; another experiment for that version is refused.
        let again = try TunekitProcess.run(["tune", "experiments/seoul-traffic-ridge.yaml", "--output", output, "--model-version", "2025-06-01"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("already finished"), "\(again.stderr)")
        #expect(again.stdout.contains("score: "), "\(again.stderr)")
        let other = try TunekitProcess.run(["tune", "experiments/seoul-traffic-gbdt.yaml", "--output", output, "--model-version", "2025-06-01"])
        #expect(other.status == 1, "\(other.stderr)")
        #expect(other.stderr.contains("already exists"), "\(other.stderr)")

        // The trials, as Optuna's trials_dataframe columns, in each format.
        let csv = try TunekitProcess.run(["trials", output, "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "number,value,datetime_start,datetime_complete,duration,params_alpha,user_attrs_mae,user_attrs_r2,user_attrs_mape,user_attrs_iterations,state,condition,name")
        #expect(lines.count == 10)
        #expect(lines.dropFirst().allSatisfy { $0.contains(",COMPLETE,SUCCEEDED,") })
        let json = try TunekitProcess.run(["trials", output, "--version", "2025-06-01", "--format", "json"])
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(objects.count == 9 && objects.allSatisfy { ($0["value"] as? Double).map { $0 > 400 } ?? false })
        let table = try TunekitProcess.run(["trials", output])
        #expect(table.status == 0)
        #expect(table.stdout.hasPrefix("number  rmse"))
        #expect(table.stdout.split(separator: "\n").count == 10)
        let missing = try TunekitProcess.run(["trials", output, "--version", "nope"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no such run journal"))
        let empty = try TunekitProcess.run(["trials", directory.file("nothing")])
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("no run journal here"))

        // Importances over the nine trials: alpha is the only parameter, so it explains all the forest sees.
        let importance = try TunekitProcess.run(["importance", output, "--format", "json"])
        let importances = try #require(try JSONSerialization.jsonObject(with: Data(importance.stdout.utf8)) as? [String: Any], "\(importance.stderr)")
        #expect(importances["trials"] as? Int == 9 && importances["importances"] as? [String: Double] == ["alpha": 1])
        let importanceTable = try TunekitProcess.run(["importance", output])
        #expect(importanceTable.stdout == "parameter  importance\nalpha           1.000\n")
        #expect(try String(contentsOfFile: page, encoding: .utf8).contains("Hyperparameter importances (fANOVA)"))

        // MLflow: the export is read by MLflow's own client when it is installed.
        let store = directory.file("mlruns")
        let export = try TunekitProcess.run(["export", "mlflow", output, "--to", store])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stderr.contains("exported"), "\(export.stderr)")
        if let python = pythonWithMLflow {
            let script = """
                import sys, json
                from mlflow.tracking import MlflowClient
                c = MlflowClient(tracking_uri="file://" + sys.argv[1])
                e = c.get_experiment_by_name("seoul-traffic-ridge")
                runs = c.search_runs([e.experiment_id], max_results=1000)
                parent = [r for r in runs if "mlflow.parentRunId" not in r.data.tags][0]
                children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
                print(json.dumps({"children": len(children), "status": parent.info.status, "alpha": parent.data.params["alpha"],
                                  "test_r2": parent.data.metrics["test_r2"], "rmse": sorted(c.data.metrics["rmse"] for c in children)[0],
                                  "model": sorted(a.path for a in c.list_artifacts(parent.info.run_id, "model"))}))
                """
            let read = try TunekitProcess.runTool(python, ["-c", script, store], environment: ["MLFLOW_ALLOW_FILE_STORE": "true"])
            let result = try #require(try JSONSerialization.jsonObject(with: Data((read.stdout.split(separator: "\n").last ?? "").utf8)) as? [String: Any], "\(read.stderr)")
            #expect(result["children"] as? Int == 9 && result["status"] as? String == "FINISHED" && result["alpha"] as? String == "1500.0")
            #expect((result["test_r2"] as? Double).map { abs($0 - test["r2"]!) < 1e-12 } == true)
            #expect((result["model"] as? [String])?.contains("model/model.json") == true)
        } else if RealTools.required {
            Issue.record("MLflow's client is not installed: the export was not read back")
        }
    }
}

@Suite struct GradientBoostingCommandLineTests {
    /// A gbdt experiment end to end: in-process trials with early stopping, refit with the chosen tree count,
    /// native and LightGBM model files published, predictions from the published model.
    @Test func tuneGradientBoostingAndPredict() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("table.csv", regressionCSV(rows: 400))
        let experiment = directory.write("gbdt.yaml", """
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata:
              name: small-gbdt
            spec:
              objective: {type: minimize, objectiveMetricName: rmse}
              algorithm:
                algorithmName: random
                algorithmSettings: [{name: random_state, value: "3"}]
              parallelTrialCount: 2
              maxTrialCount: 4
              parameters:
                - name: num_leaves
                  parameterType: int
                  feasibleSpace: {min: "4", max: "16"}
                - name: learning_rate
                  parameterType: double
                  feasibleSpace: {min: "0.05", max: "0.3", distribution: logUniform}
              trialTemplate:
                primaryContainerName: main
                trialParameters:
                  - {name: leaves, reference: num_leaves}
                  - {name: rate, reference: learning_rate}
                trialSpec:
                  apiVersion: batch/v1
                  kind: Job
                  spec:
                    template:
                      spec:
                        containers:
                          - name: main
                            image: tunekit
                            command: [tunekit, train, --trainer=gbdt, "--data=\(csv)", --target=y, --test-fraction=0.2,
                                      --num_iterations=150, --early_stopping_rounds=10, --min_data_in_leaf=5,
                                      "--num_leaves=${trialParameters.leaves}", "--learning_rate=${trialParameters.rate}"]
            """)
        let result = try TunekitProcess.run(["tune", experiment, "--output", directory.file("out"), "--model-version", "v1"])
        #expect(result.status == 0, "\(result.stderr)")
        for file in ["model.json", "model.txt", "model.bst", "training.json", "manifest.json"] {
            #expect(FileManager.default.fileExists(atPath: directory.file("out/model/v1/\(file)")), "\(file) missing")
        }
        let training = try String(contentsOfFile: directory.file("out/model/v1/training.json"), encoding: .utf8)
        #expect(training.contains("\"early_stopping_rounds\" : \"0\""), "the refit uses the tree count early stopping chose")
        // tune writes the report with the model it holds; `report` reads the published one back: the same page.
        let page = directory.file("out/runs/v1/report.html")
        let written = try String(contentsOfFile: page, encoding: .utf8)
        #expect(written.contains("Feature importances (gbdt)"))
        try FileManager.default.removeItem(atPath: page)
        let rewritten = try TunekitProcess.run(["report", directory.file("out"), "--version", "v1"])
        #expect(rewritten.status == 0, "\(rewritten.stderr)")
        #expect(try String(contentsOfFile: page, encoding: .utf8) == written)
        let predict = try TunekitProcess.run([
            "predict", "--model", directory.file("out/model/v1"), "--input", csv, "--output", directory.file("p.csv"),
        ])
        #expect(predict.status == 0, "\(predict.stderr)")
    }

    /// A classifier tuned for accuracy from a Katib YAML, on a text label: class names kept, probabilities predicted.
    @Test func tuneAClassifierMaximisingAccuracy() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("table.csv", classificationCSV(rows: 600, classes: ["quiet", "busy"]))
        let experiment = directory.write("classifier.yaml", """
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata:
              name: small-classifier
            spec:
              objective: {type: maximize, objectiveMetricName: accuracy, additionalMetricNames: [auc, logloss]}
              algorithm:
                algorithmName: random
                algorithmSettings: [{name: random_state, value: "5"}]
              maxTrialCount: 3
              parameters:
                - name: num_leaves
                  parameterType: int
                  feasibleSpace: {min: "4", max: "16"}
              trialTemplate:
                primaryContainerName: main
                trialParameters:
                  - {name: leaves, reference: num_leaves}
                trialSpec:
                  apiVersion: batch/v1
                  kind: Job
                  spec:
                    template:
                      spec:
                        containers:
                          - name: main
                            image: tunekit
                            command: [tunekit, train, --trainer=gbdt, "--data=\(csv)", --target=label, --test-fraction=0.2,
                                      --objective=binary, --metric=auc, --num_iterations=100, --early_stopping_rounds=10,
                                      "--num_leaves=${trialParameters.leaves}"]
            """)
        let result = try TunekitProcess.run(["tune", experiment, "--output", directory.file("out"), "--model-version", "v1"])
        #expect(result.status == 0, "\(result.stderr)")
        let score = try #require(FileManager.default.contents(atPath: directory.file("out/artifact/v1/score.json")))
        let report = try #require(try JSONSerialization.jsonObject(with: score) as? [String: Any])
        let test = try #require(report["test"] as? [String: Double])
        #expect(try #require(test["accuracy"]) > 0.85 && test["auc"] != nil && test["rmse"] == nil)
        #expect(FileManager.default.fileExists(atPath: directory.file("out/model/v1/model.txt")))
        let predict = try TunekitProcess.run([
            "predict", "--model", directory.file("out/model/v1"), "--input", csv, "--output", directory.file("p.csv"),
        ])
        #expect(predict.status == 0, "\(predict.stderr)")
        let lines = try String(contentsOfFile: directory.file("p.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines[0] == "x1,x2,site,label,prediction,probability")
        let predicted = Set(lines.dropFirst().map { $0.split(separator: ",")[4] })
        #expect(predicted == ["quiet", "busy"])

        // The objective must be a metric a classifier reports.
        let wrong = directory.write("wrong.yaml", try String(contentsOfFile: experiment, encoding: .utf8)
            .replacingOccurrences(of: "objectiveMetricName: accuracy", with: "objectiveMetricName: rmse"))
        let refused = try TunekitProcess.run(["tune", wrong, "--output", directory.file("out2"), "--model-version", "v1"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("tunekit train reports accuracy, logloss, auc"))

        // A numeric target turned into a binary one, as the bundled congestion experiment does.
        let numeric = directory.write("numeric.csv", regressionCSV(rows: 300))
        let above = try TunekitProcess.run([
            "train", "--trainer", "gbdt", "--data", numeric, "--target=y", "--target-above=15", "--objective=binary", "--num_iterations=20",
        ])
        #expect(above.status == 0, "\(above.stderr)")
        #expect(above.stdout.hasPrefix("accuracy="), "\(above.stderr)")
        // Without --objective, --target-above implies binary (a regression on 0/1 used to be trained, silently).
        let implied = try TunekitProcess.run([
            "train", "--trainer", "gbdt", "--data", numeric, "--target=y", "--target-above=15", "--num_iterations=20",
        ])
        #expect(implied.status == 0, "\(implied.stderr)")
        #expect(implied.stdout == above.stdout, "\(implied.stderr)")
        #expect(implied.stderr.contains("note: --target-above makes the target a 0/1 label: gbdt trains with --objective=binary"))
        #expect(implied.stderr.contains("split: 240 train, 60 validation, 0 test rows"), "\(implied.stderr)")
        // binary on a many-valued target points to --target-above.
        let many = try TunekitProcess.run([
            "train", "--trainer", "gbdt", "--data", numeric, "--target=y", "--objective=binary", "--num_iterations=5",
        ])
        #expect(many.status == 1, "\(many.stderr)")
        #expect(many.stderr.contains("use --target-above VALUE"), "\(many.stderr)")
        let nothing = try TunekitProcess.run(["train", "--data", numeric, "--target=y", "--target-above=1e9", "--trainer=logistic"])
        #expect(nothing.status == 1)
        #expect(nothing.stderr.contains("every training row is on the same side"))
    }

    /// Three text classes: Katib metric lines of a classifier, one probability column per class, and a clear error
    /// when a regression is asked to learn text labels.
    @Test func trainMulticlassOnTextLabels() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("table.csv", classificationCSV(rows: 500, classes: ["calm", "north", "south"]))
        let result = try TunekitProcess.run([
            "train", "--trainer", "gbdt", "--data", csv, "--target=label", "--objective=multiclass", "--num_iterations=30",
            "--model-version=v1", "--output", directory.file("out"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").map { $0.split(separator: "=")[0] } == ["accuracy", "logloss", "auc", "f1", "precision", "recall"])
        let predict = try TunekitProcess.run([
            "predict", "--model", directory.file("out/model/v1"), "--input", csv, "--output", directory.file("p.csv"),
        ])
        #expect(predict.status == 0, "\(predict.stderr)")
        let header = try String(contentsOfFile: directory.file("p.csv"), encoding: .utf8).split(separator: "\n")[0]
        #expect(header == "x1,x2,site,label,prediction,probability_calm,probability_north,probability_south")

        let ridge = try TunekitProcess.run(["train", "--data", csv, "--target=label"])
        #expect(ridge.status == 1)
        #expect(ridge.stderr.contains("target column 'label' holds text (calm, north, south)"))
        let logistic = try TunekitProcess.run(["train", "--trainer", "logistic", "--data", csv, "--target=label", "--C=10"])
        #expect(logistic.status == 0, "\(logistic.stderr)")
        #expect(logistic.stdout.hasPrefix("accuracy="), "\(logistic.stderr)")
    }

    /// A table shaped like the public Seoul bike data: a day-first Date column, text categories. It trains with no
    /// preprocessing (dates expanded into numbers), and rows with an unseen category or an unreadable date still get a
    /// prediction, with a note on what was treated as missing.
    @Test func aRealWorldTableTrainsAndPredictsWithoutPreprocessing() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var text = "Date,Rented Bike Count,Hour,Temperature(C),Seasons,Holiday\n"
        for day in 0..<60 {
            for hour in stride(from: 0, to: 24, by: 3) {
                let date = "\(day % 30 + 1)/\(day < 30 ? 11 : 12)/2018"
                let temperature = 10 - Double(day) / 6 + Double(hour) / 4
                let count = 200 + 30 * hour + Int(temperature * 10) + (day % 7 == 6 ? -100 : 0)
                text += "\(date),\(count),\(hour),\(temperature),\(day < 30 ? "Autumn" : "Winter"),\(day % 7 == 6 ? "Holiday" : "No Holiday")\n"
            }
        }
        let csv = directory.write("bike.csv", text)
        let result = try TunekitProcess.run([
            "train", "--trainer", "gbdt", "--data", csv, "--target", "Rented Bike Count", "--num_iterations=30",
            "--min_data_in_leaf=5", "--model-version=v1", "--output", directory.file("out"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let training = try String(contentsOfFile: directory.file("out/model/v1/training.json"), encoding: .utf8)
        #expect(training.contains("\"Date_weekday\""))
        #expect(training.contains("\"dayFirst\""))
        // Holiday and Seasons are categorical features: LightGBM's feature_infos list their categories.
        let modelText = try String(contentsOfFile: directory.file("out/model/v1/model.txt"), encoding: .utf8)
        #expect(modelText.contains(" -1:0:1 ") || modelText.contains(" -1:1:0 "), "categorical feature_infos")
        let rows = directory.write("new.csv", """
            Date,Hour,Temperature(C),Seasons,Holiday
            2018-12-24T00,9,1.5,Monsoon,No Holiday
            soon,9,1.5,Winter,No Holiday
            """)
        let predict = try TunekitProcess.run([
            "predict", "--model", directory.file("out/model/v1"), "--input", rows, "--output", directory.file("p.csv"),
        ])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stderr.contains("column 'Seasons': 1 row(s) with values not seen in training (e.g. 'Monsoon')"))
        #expect(predict.stderr.contains("column 'Date': 1 row(s) with values that are not dates (e.g. 'soon')"))
        let predictions = try String(contentsOfFile: directory.file("p.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(predictions.count == 2 && predictions.allSatisfy { Double($0.split(separator: ",").last!) != nil })
    }
}

/// `tunekit init`: from "my CSV" to an Experiment that validate accepts (also as Katib would), tune runs unchanged.
@Suite struct InitCommandTests {
    @Test func initWritesAnExperimentThatValidatesAndTunes() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("my table.csv", regressionCSV(rows: 300))
        let experiment = directory.file("experiment.yaml")
        let written = try TunekitProcess.run(["init", "--data", csv, "--target", "y", "--max-trials", "3", "--out", experiment])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains("regression of 'y' with gbdt, 3 trials"), "\(written.stderr)")
        let text = try String(contentsOfFile: experiment, encoding: .utf8)
        #expect(text.contains("name: tune-my-table"))
        #expect(text.contains("objectiveMetricName: rmse"))
        let validated = try TunekitProcess.run(["validate", "--katib", experiment])
        #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
        #expect(validated.stdout.contains("data split 210 train / 60 validation / 30 test rows"), "\(validated.stdout)\(validated.stderr)")
        let tuned = try TunekitProcess.run(["tune", experiment, "--output", directory.file("out"), "--model-version", "v1"])
        #expect(tuned.status == 0, "\(tuned.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.file("out/artifact/v1/score.json")))
        // Once written, not replaced without --force.
        let again = try TunekitProcess.run(["init", "--data", csv, "--target", "y", "--out", experiment])
        #expect(again.status == 1)
        #expect(again.stderr.contains("exists; pass --force"))
    }

    @Test func initReadsTheTaskFromTheTarget() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("classes.csv", classificationCSV(rows: 300, classes: ["busy", "calm", "quiet"]))
        let experiment = directory.file("classes.yaml")
        let written = try TunekitProcess.run([
            "init", "--data", csv, "--target", "label", "--trainer", "logistic", "--metric", "accuracy", "--out", experiment,
        ])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains("3-class classification"), "\(written.stderr)")
        let text = try String(contentsOfFile: experiment, encoding: .utf8)
        #expect(text.contains("type: maximize"))
        #expect(text.contains("name: C,"))
        #expect(try TunekitProcess.run(["validate", experiment]).status == 0)
        let ridge = try TunekitProcess.run(["init", "--data", csv, "--target", "label", "--trainer", "ridge", "--out", directory.file("r.yaml")])
        #expect(ridge.status == 1)
        #expect(ridge.stderr.contains("use --trainer logistic or gbdt"))
        let gbdt = try TunekitProcess.run(["init", "--data", csv, "--target", "label", "--out", directory.file("g.yaml")])
        let gbdtText = try String(contentsOfFile: directory.file("g.yaml"), encoding: .utf8)
        #expect(gbdt.status == 0, "\(gbdt.stderr)")
        #expect(gbdtText.contains("--objective=multiclass"), "\(gbdt.stderr)")
        #expect(try TunekitProcess.run(["validate", directory.file("g.yaml")]).status == 0)
    }

    /// A classifier cross-validated from init on: stratified folds, trials scored by the folds' mean (with its
    /// deviation beside it), the refit on every training row with the folds' mean best iteration; `datasets split`
    /// writes the same folds for another tool.
    @Test func initCrossValidatesAndTuneRefitsWithTheMeanBestIteration() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("classes.csv", classificationCSV(rows: 300, classes: ["busy", "calm", "quiet"]))
        let experiment = directory.file("cv.yaml")
        let written = try TunekitProcess.run([
            "init", "--data", csv, "--target", "label", "--cv", "3", "--shuffle-seed", "5", "--test-fraction", "0.2", "--max-trials", "2",
            "--out", experiment,
        ])
        #expect(written.status == 0, "\(written.stderr)")
        let text = try String(contentsOfFile: experiment, encoding: .utf8)
        #expect(text.contains("- --cv=3") && !text.contains("- --valid-fraction") && text.contains("logloss-stdv"))
        let validated = try TunekitProcess.run(["validate", experiment])
        #expect(validated.stdout.contains("data split 240 train (3 cross-validation folds) / 0 validation / 60 test rows"), "\(validated.stdout)\(validated.stderr)")
        let tuned = try TunekitProcess.run(["tune", experiment, "--output", directory.file("out"), "--model-version", "v1"])
        #expect(tuned.status == 0, "\(tuned.stderr)")
        #expect(tuned.stderr.contains("refitted on every training row with num_iterations="), "\(tuned.stderr)")
        #expect(tuned.stderr.contains("the mean of the 3 folds' best iterations"), "\(tuned.stderr)")
        let journal = try String(contentsOfFile: directory.file("out/runs/v1/journal.jsonl"), encoding: .utf8)
        #expect(journal.contains("logloss-stdv"))
        #expect(journal.contains("bestIteration"))
        let split = try TunekitProcess.run([
            "datasets", "split", "--data", csv, "--target", "label", "--trainer", "gbdt", "--objective=multiclass", "--cv", "3",
            "--shuffle-seed", "5", "--test-fraction", "0.2", "--out", directory.file("split.csv"),
        ])
        #expect(split.status == 0, "\(split.stdout)\(split.stderr)")
        #expect(split.stdout.contains("240 train, 0 valid, 60 test rows, 3 folds"), "\(split.stdout)\(split.stderr)")
        let rows = try String(contentsOfFile: directory.file("split.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        let labels = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",").last! }
        // Stratified: each fold validates a third of each class (±1 row).
        for fold in ["1", "2", "3"] {
            let members = rows.enumerated().filter { $0.element.split(separator: ",", omittingEmptySubsequences: false).last! == fold }.map(\.offset)
            for label in Set(labels) {
                let share = Double(rows.enumerated().filter { $0.element.hasSuffix(",train,1") || $0.element.hasSuffix(",train,2") || $0.element.hasSuffix(",train,3") }
                    .filter { labels[$0.offset] == label }.count) / 3
                let count = Double(members.filter { labels[$0] == label }.count)
                #expect(abs(count - share) <= 1, "fold \(fold), class \(label): \(count) of \(share)")
            }
        }
    }
}
