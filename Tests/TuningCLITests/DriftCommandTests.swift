import Foundation
import TestSupport
import Testing

/// `tunekit drift` end to end: exit 3 and the drifted columns named when the current data moved, exit 0 when it did
/// not, exit 1 with the missing column named when the tables do not match; JSON and HTML reports written.
@Suite struct DriftCommandTests {
    /// A table of `rows` rows: a smooth number, a small-count number, a text category; `shift` moves the number and
    /// favours the last categories.
    static func table(rows: Int, seed: Int, shift: Double) -> String {
        var text = "speed,lanes,road\n"
        var state = UInt64(seed)
        func unit() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) * 0x1p-53
        }
        for _ in 0..<rows {
            let speed = 40 + 10 * (unit() + unit() + unit()) + shift * 8
            let lanes = Int(unit() * 3) + 1
            let road = ["A", "B", "C", "D"][min(3, Int(pow(unit(), 1 / (1 + shift)) * 4))]
            text += "\(speed),\(lanes),\(road)\n"
        }
        return text
    }

    @Test func exitStatusSaysWhetherTheDataDrifted() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let reference = directory.write("reference.csv", Self.table(rows: 600, seed: 1, shift: 0))
        let same = directory.write("same.csv", Self.table(rows: 400, seed: 2, shift: 0))
        let moved = directory.write("moved.csv", Self.table(rows: 400, seed: 3, shift: 1))
        let json = directory.file("drift.json"), page = directory.file("drift.html")

        let calm = try TunekitProcess.run(["drift", "--reference", reference, "--current", same])
        #expect(calm.status == 0, "\(calm.stdout)\(calm.stderr)")
        #expect(calm.stdout.contains("no dataset drift"), "\(calm.stdout)\(calm.stderr)")
        let drifted = try TunekitProcess.run(["drift", "--reference", reference, "--current", moved, "--json", json, "--html", page])
        #expect(drifted.status == 3, "\(drifted.stdout)\(drifted.stderr)")
        #expect(drifted.stdout.contains("DATASET DRIFT"), "\(drifted.stdout)\(drifted.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(report["datasetDrift"] as? Bool == true)
        let columns = try #require(report["columns"] as? [[String: Any]])
        let tests = Dictionary(uniqueKeysWithValues: columns.map { ($0["column"] as! String, ($0["test"] as! String, $0["drifted"] as! Bool)) })
        #expect(tests["speed"]! == ("ks", true) && tests["road"]! == ("chisquare", true) && tests["lanes"]!.0 == "chisquare")
        #expect(try String(contentsOfFile: page, encoding: .utf8).contains("drift detected"))

        // Ignoring the drifted columns leaves no drift; a missing column is an error naming it.
        let ignored = try TunekitProcess.run(["drift", "--reference", reference, "--current", moved, "--ignore-columns", "speed,road"])
        #expect(ignored.status == 0, "\(ignored.stdout)")
        let narrow = directory.write("narrow.csv", "speed\n1\n2\n")
        let missing = try TunekitProcess.run(["drift", "--reference", reference, "--current", narrow])
        #expect(missing.status == 1, "\(missing.stderr)")
        #expect(missing.stderr.contains("no column 'lanes', 'road'"), "\(missing.stderr)")
    }

    /// A simulated drift made with tunekit itself — the bundled data's first three months, and the same months with 40 %
    /// more traffic (`synthesize --volume-scale 1.4`) — gives evidently's DataDriftPreset values and verdicts, column by
    /// column (fixture: Tools/reference/drift_synthesized.py), and exit 3.
    @Test func simulatedTrafficGrowthMatchesEvidently() throws {
        let directory = TemporaryDirectory("tunekit-drift-growth")
        defer { directory.remove() }
        for (name, scale) in [("base", "1"), ("grown", "1.4")] {
            let made = try TunekitProcess.run([
                "datasets", "synthesize", "--seed", "20240701", "--from", "2024-07", "--months", "3", "--out", directory.file(name),
                "--volume-scale", scale,
            ])
            #expect(made.status == 0, "\(made.stderr)")
            #expect(try TunekitProcess.run(["datasets", "featurize", directory.file(name), "--out", directory.file("f-\(name)")]).status == 0)
        }
        // Scale 1 is the bundled data, byte for byte.
        #expect(FileManager.default.contentsEqual(
            atPath: directory.file("base/volinfo_2024-07.csv"), andPath: PackagePaths.file("datasets/seoul-traffic/volinfo_2024-07.csv")))
        let report = directory.file("drift.json")
        let result = try TunekitProcess.run([
            "drift", "--reference", directory.file("f-base/train.csv"), "--current", directory.file("f-grown/test.csv"),
            "--ignore-columns", "date,volume", "--json", report,
        ])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        let columns = (json["columns"] as? [[String: Any]]) ?? []
        #expect(columns.count == synthesizedDriftReference.count)
        let methods = ["wasserstein": "Wasserstein distance (normed)", "jensenshannon": "Jensen-Shannon distance"]
        for expected in synthesizedDriftReference {
            let column = try #require(columns.first { $0["column"] as? String == expected.column }, "\(expected.column) not tested")
            #expect(methods[column["test"] as? String ?? ""] == expected.method, "\(expected.column): \(column)")
            let value = column["value"] as? Double ?? .nan
            #expect(isClose(value, expected.value, relative: 1e-9), "\(expected.column): \(value) vs evidently \(expected.value)")
            #expect((column["drifted"] as? Bool) == (expected.value >= expected.threshold), "\(expected.column)")
        }
    }
}
