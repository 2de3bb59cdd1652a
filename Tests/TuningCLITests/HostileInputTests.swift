import Foundation
import TestSupport
import Testing

/// Files a careless or hostile user would pass: each ends with a clear error (exit 1) or a correct result, never a
/// crash or a runaway allocation.
@Suite struct HostileInputTests {
    @Test func yamlAliasBombIsRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var lines = [#"a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        for level in 1..<10 {
            lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",") + "]")
        }
        lines.append("apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nspec: *a9")
        let bomb = directory.write("bomb.yaml", lines.joined(separator: "\n") + "\n")
        for command in ["validate", "tune"] {
            let result = try TunekitProcess.run([command, bomb])
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("bomb.yaml"))
            #expect(result.stderr.contains("nodes"))
        }
    }

    @Test func synthesizingPastTheLastMonthIsAnError() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let calendar = directory.write("calendar.txt", "9999-12-25\n")
        let result = try TunekitProcess.run([
            "datasets", "synthesize", "--seed", "1", "--from", "9999-12", "--months", "2", "--calendar", calendar,
            "--out", directory.file("out"),
        ])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("2 months from 9999-12 go past 9999-12"), "\(result.stderr)")
    }

    /// A 1 GB file where the overlay's patch belongs (sparse: no disk is used) is refused before it is read.
    @Test func publishVersionRefusesAHugePatchFile() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let overlay = directory.file("overlay")
        try FileManager.default.createDirectory(atPath: overlay, withIntermediateDirectories: true)
        let patch = directory.write("overlay/patch-model-version.yaml", "")
        let handle = try #require(FileHandle(forWritingAtPath: patch))
        try handle.truncate(atOffset: 1 << 30)
        try handle.close()
        let result = try TunekitProcess.run(["publish-version", "--print-current", "--kustomize", overlay])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("1073741824 bytes is larger than a model-version patch"), "\(result.stderr)")
    }

    @Test func overflowingStepsAreErrorsInValidate() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let text = try String(contentsOfFile: PackagePaths.file("experiments/seoul-traffic-ridge.yaml"), encoding: .utf8)
        let experiment = text.replacingOccurrences(of: #"max: "4000""#, with: #"max: "1e300""#)
            .replacingOccurrences(of: #"step: "500""#, with: #"step: "1e-300""#)
        let file = directory.write("steps.yaml", experiment)
        let result = try TunekitProcess.run(["validate", file])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stderr.contains("step"))
    }

    @Test func suggestReadsAtMostTheServersBodyLimit() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let big = directory.write("big.json", String(repeating: " ", count: (8 << 20) + 10))
        let result = try TunekitProcess.run(["suggest"], stdin: try String(contentsOfFile: big, encoding: .utf8))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("larger than"), "\(result.stderr)")
    }

    @Test func splitFractionsThatLeaveNoTrainingRowsAreErrors() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("table.csv", regressionCSV(rows: 100))
        let result = try TunekitProcess.run(["train", "--data", csv, "--target=y", "--test-fraction=0.81"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("--valid-fraction"))
        #expect(result.stderr.contains("below 1"))
    }

    @Test func nanAndInfinityCellsAreMissingValuesNotText() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var rows = regressionCSV(rows: 200).split(separator: "\n").map(String.init)
        // Replace the first feature of three rows with spellings of "missing".
        for (row, marker) in [(3, "nan"), (10, "inf"), (20, "NA")] {
            var fields = rows[row].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[0] = marker
            rows[row] = fields.joined(separator: ",")
        }
        let csv = directory.write("table.csv", rows.joined(separator: "\n") + "\n")
        let out = directory.file("out")
        let result = try TunekitProcess.run([
            "train", "--trainer", "gbdt", "--data", csv, "--target=y", "--num_iterations=5", "--model-version=v1", "--output", out,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let training = try String(contentsOfFile: out + "/model/v1/training.json", encoding: .utf8)
        #expect(!training.contains("\"nan\""), "the column must stay numeric, not become text codes")
    }

    /// `train --output` publishes under `--model-version` or `$MODEL_VERSION` (as `tune`), and refuses to run with
    /// neither instead of exiting 0 having published nothing.
    @Test func trainPublishesUnderModelVersionFromTheEnvironment() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let csv = directory.write("table.csv", regressionCSV(rows: 100))
        let out = directory.file("out")
        let arguments = ["train", "--trainer", "gbdt", "--data", csv, "--target=y", "--num_iterations=3", "--output", out]
        let published = try TunekitProcess.run(arguments, environment: ["MODEL_VERSION": "from-env"])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/artifact/from-env/score.json"))
        let refused = try TunekitProcess.run(arguments, environment: ["MODEL_VERSION": ""])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("--output needs a version to publish under"), "\(refused.stderr)")
    }

    @Test func ridgeRefusesTablesTooWideForItsNormalEquations() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let width = 4_100
        var text = (0..<width).map { "x\($0)" }.joined(separator: ",") + ",y\n"
        for row in 0..<5 { text += (0..<width).map { "\(($0 * 7 + row) % 13)" }.joined(separator: ",") + ",\(row)\n" }
        let csv = directory.write("wide.csv", text)
        let result = try TunekitProcess.run(["train", "--data", csv, "--target=y", "--valid-fraction=0.2"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("at most 4000 features"))
        #expect(result.stderr.contains("gbdt"))
    }
}
