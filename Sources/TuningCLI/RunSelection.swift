import ArgumentParser
import Foundation
import ModelTraining

/// Which tuning run a command reads: OUTPUT, and optionally the version (else the run whose journal changed last).
struct RunSelection: ParsableArguments {
    @Argument(help: "The run's output directory (tune --output; default of tune: output).")
    var output: String

    @Option(help: "The run's version (OUTPUT/runs/VERSION); default: the run whose journal changed last.")
    var version: String?

    /// The journal of `version`, or of the run whose journal was modified last.
    func journal() throws(TunekitError) -> String {
        let runs = (output as NSString).appendingPathComponent("runs")
        if let version {
            let path = ((runs as NSString).appendingPathComponent(version) as NSString).appendingPathComponent("journal.jsonl")
            guard FileManager.default.fileExists(atPath: path) else { throw .artifacts("\(path): no such run journal") }
            return path
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []
        let journals = versions.map { ((runs as NSString).appendingPathComponent($0) as NSString).appendingPathComponent("journal.jsonl") }
            .compactMap { path -> (String, Date)? in
                guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return nil }
                return (path, modified)
            }
        guard let latest = journals.max(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else {
            throw .artifacts("\(runs): no run journal here (tune writes OUTPUT/runs/VERSION/journal.jsonl)")
        }
        return latest.0
    }
}
