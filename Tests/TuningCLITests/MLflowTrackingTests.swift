import Foundation
import TestSupport
import Testing

/// `tunekit export mlflow --tracking-uri` against a real `mlflow server` (SQLite backend, proxied artifacts) started by
/// Tests/MLflowClients/mlflow_tracking_server.py, read back with MLflow's own client: a gbdt regression run with a date
/// column and an unseen category in the rows predicted, a ridge run, and a logistic classifier with text classes.
@Suite struct MLflowTrackingTests {
    /// A table with numbers, a text category and a date-hour column (`when`), target `y`.
    static func datedCSV(rows: Int, seed: UInt64) -> String {
        var state = seed
        func unit() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var text = "x1,x2,site,when,y\n"
        for _ in 0..<rows {
            let x1 = unit() * 10, x2 = unit() * 5
            let site = ["north", "south", "east"][Int(unit() * 3) % 3]
            let day = 1 + Int(unit() * 28), hour = Int(unit() * 24)
            let y = 2 * x1 - x2 + (site == "east" ? 5 : 0) + Double(hour) * 0.3 + unit()
            text += "\(x1),\(x2),\(site),2025-06-\(String(format: "%02d", day))T\(String(format: "%02d", hour)),\(y)\n"
        }
        return text
    }

    static func experiment(name: String, trainer: String, data: String, target: String, parameter: String, range: (String, String), extra: [String]) -> String {
        katibExperimentYAML(
            name: name, metric: trainer == "logistic" ? "logloss" : "rmse", maxTrials: 3,
            parameters: [(parameter, "double", range.0, range.1)],
            command: ["tunekit", "train", "--trainer=\(trainer)", "--data=\(data)", "--target=\(target)", "--valid-fraction=0.2"]
                + extra + ["--\(parameter)=${trialParameters.\(parameter)}"])
    }

    @Test(.enabled(if: RealTools.enabled(pythonWithMLflowServer))) func logsRunsAndALoadableModelToATrackingServer() throws {
        let python = try #require(pythonWithMLflowServer)
        let directory = TemporaryDirectory("tunekit-mlflow")
        defer { directory.remove() }
        let dated = directory.write("dated.csv", Self.datedCSV(rows: 300, seed: 3))
        // Rows to predict: another sample, one with a site the models never saw.
        // Cells read the way tunekit reads them: a site with a leading space is not "east", an hour after an empty
        // clock field is read, a UTC suffix is ignored.
        let rows = Self.datedCSV(rows: 25, seed: 8).replacingOccurrences(of: ",north,", with: ",ZZ,", options: [], range: nil)
            + "1.5,2.5, east,2025-06-03T:13,0\n2.5,1.5,east,2025-06-04 07:30:00Z,0\n3.5,0.5,south,2025-06-05T23+09:00,0\n"
        let input = directory.write("input.csv", rows)
        let classes = directory.write("classes.csv", classificationCSV(rows: 300, seed: 4, classes: ["low", "mid", "high"]))
        let classInput = directory.write("class-input.csv", classificationCSV(rows: 20, seed: 9, classes: ["low", "mid", "high"]))
        var cases: [String] = []
        for (name, trainer, data, target, parameter, range, extra, rowsFile) in [
            ("mlflow-gbdt", "gbdt", dated, "y", "learning_rate", ("0.05", "0.3"), ["--num_iterations=40", "--min_data_in_leaf=5"], input),
            ("mlflow-ridge", "ridge", dated, "y", "alpha", ("0.01", "10"), [], input),
            ("mlflow-logistic", "logistic", classes, "label", "C", ("0.1", "10"), [], classInput),
        ] {
            let spec = directory.write("\(name).yaml", Self.experiment(
                name: name, trainer: trainer, data: data, target: target, parameter: parameter, range: range, extra: extra + ["--test-fraction=0.2"]))
            let output = directory.file("out-\(name)")
            let tuned = try TunekitProcess.run(["tune", spec, "--output", output], environment: ["MODEL_VERSION": "v1"])
            #expect(tuned.status == 0, "\(name): \(tuned.stderr)")
            let predictions = directory.file("pred-\(name).csv")
            let predicted = try TunekitProcess.run(["predict", "--model", "\(output)/model/v1", "--input", rowsFile, "--output", predictions])
            #expect(predicted.status == 0, "\(name): \(predicted.stderr)")
            cases.append([output, name, rowsFile, predictions, "\(name)-model", "3"].joined(separator: ","))
        }
        let result = try TunekitProcess.runTool(
            python, [PackagePaths.file("Tests/MLflowClients/mlflow_tracking_server.py"), TunekitProcess.executable, directory.file("mlflow")] + cases,
            environment: ["MLFLOW_TRACKING_URI": ""])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        for name in ["mlflow-gbdt", "mlflow-ridge", "mlflow-logistic"] {
            #expect(result.stdout.contains("\(name): mlflow.pyfunc.load_model"), "\(result.stdout)")
            #expect(result.stdout.contains("\(name): registered model '\(name)-model' has version"), "\(result.stdout)")
        }
        #expect(result.stdout.contains("mlflow-gbdt: mlflow.lightgbm.load_model gives a Booster"), "\(result.stdout)")
    }

    /// What the command refuses before calling anything: both destinations, neither, a non-HTTP URI, and a server
    /// that is not there (a clear error, exit 1).
    @Test func refusesWhatItCannotExport() throws {
        let directory = TemporaryDirectory("tunekit-mlflow-args")
        defer { directory.remove() }
        let both = try TunekitProcess.run(["export", "mlflow", directory.path, "--to", "x", "--tracking-uri", "http://127.0.0.1:1"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("not both"), "\(both.stderr)")
        let neither = try TunekitProcess.run(["export", "mlflow", directory.path], environment: ["MLFLOW_TRACKING_URI": ""])
        #expect(neither.stderr.contains("give --tracking-uri"), "\(neither.stderr)")
        let register = try TunekitProcess.run(["export", "mlflow", directory.path, "--to", "x", "--register-model", "m"])
        #expect(register.stderr.contains("--register-model needs a tracking server"), "\(register.stderr)")
        let csv = directory.write("t.csv", regressionCSV(rows: 60, seed: 1))
        let spec = directory.write("e.yaml", Self.experiment(
            name: "e", trainer: "ridge", data: csv, target: "y", parameter: "alpha", range: ("0.1", "1"), extra: []))
        #expect(try TunekitProcess.run(["tune", spec, "--output", directory.file("out")], environment: ["MODEL_VERSION": "v1"]).status == 0)
        let scheme = try TunekitProcess.run(["export", "mlflow", directory.file("out"), "--tracking-uri", "file://" + directory.file("mlruns")])
        #expect(scheme.status == 1)
        #expect(scheme.stderr.contains("must be an http(s):// URL"), "\(scheme.stderr)")
        let absent = try TunekitProcess.run(["export", "mlflow", directory.file("out"), "--tracking-uri", "http://127.0.0.1:9"])
        #expect(absent.status == 1)
        #expect(absent.stderr.contains("cannot be reached"), "\(absent.stderr)")
    }
}

/// The Python interpreter with MLflow's server and client, pandas and LightGBM (for the models' flavours).
let pythonWithMLflowServer: String? = RealTools.python(passing: "import mlflow.server, mlflow.pyfunc, pandas, lightgbm")
