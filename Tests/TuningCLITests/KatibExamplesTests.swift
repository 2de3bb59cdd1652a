import Foundation
import TestSupport
import Testing

/// Katib's own cmaes, sobol and hyperband examples (trial swapped for `tunekit train`) run with `tunekit tune`.
@Suite struct KatibExamplesTests {
    @Test(arguments: ["cma-es", "sobol"])
    func continuousExamplesRun(_ name: String) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var text = try String(contentsOfFile: PackagePaths.file("experiments/katib-examples/\(name).yaml"), encoding: .utf8)
        // Fewer and shorter trials than the example, to keep the test quick; everything else as shipped.
        for (old, new) in [("maxTrialCount: 12", "maxTrialCount: 6"), ("--num_iterations=100", "--num_iterations=15")] {
            #expect(text.contains(old))
            text = text.replacingOccurrences(of: old, with: new)
        }
        let experiment = directory.write("\(name).yaml", text)
        let result = try TunekitProcess.run(["tune", experiment, "--output", directory.file("out"), "--model-version", "v1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect((result.stdout + result.stderr).contains("6 trials (6 succeeded)"), "\(result.stderr)")
    }

    /// The brackets grow num_iterations past its declared 1..1, as Katib's hyperband does: 2 trials at 1 round, the
    /// better one again at 2, then the last bracket's 2 fresh ones at 2.
    @Test func hyperbandExampleGrowsTheResource() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let text = try String(contentsOfFile: PackagePaths.file("experiments/katib-examples/hyperband.yaml"), encoding: .utf8)
        let experiment = directory.write("hyperband.yaml", text.replacingOccurrences(of: "maxTrialCount: 2", with: "maxTrialCount: 5"))
        let result = try TunekitProcess.run(["tune", experiment, "--output", directory.file("out"), "--model-version", "v1"])
        #expect(result.status == 0, "\(result.stderr)")
        let journal = try String(contentsOfFile: directory.file("out/runs/v1/journal.jsonl"), encoding: .utf8)
        let rounds = journal.split(separator: "\n").filter { $0.contains("\"trial-suggested\"") }.map { line in
            line.contains("\"num_iterations\",\"value\":\"2\"") ? 2 : 1
        }
        #expect(rounds == [1, 1, 2, 2, 2])
    }
}
