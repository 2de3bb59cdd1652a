import Foundation
import ModelArtifacts
import ModelRegistry
import ModelTraining
import StrictJSON
import Trainers

/// score.json's metrics as a Kubeflow Pipelines `Metrics` output artifact: a container step gets the executor input
/// (KFP's `{{$}}` placeholder) and writes an ExecutorOutput to its `outputFile`, where KFP's launcher reads the
/// artifact's metadata — what the KFP SDK's own executor does for Python components.
public enum KFPMetrics {
    /// Writes the ExecutorOutput with `artifact`'s metadata set to score.json's metrics (`validation_rmse`,
    /// `test_rmse`, …, finite values only) and `model_version`; with `modelArtifact`, also that `Model` artifact's
    /// (`model_version`, `trainer`, `framework`: tunekit, and the same metrics; the step copies the model directory to
    /// the artifact's path for KFP to upload). Returns the path written.
    @discardableResult
    public static func write(
        score path: String, executorInput: String, artifact: String, modelArtifact: String? = nil
    ) throws(TunekitError) -> String {
        guard let input = try? JSONValue.parse(Data(executorInput.utf8)), let outputs = input["outputs"]?.objectValue else {
            throw .data("the executor input is not KFP's ExecutorInput JSON (pass '{{$}}' as the argument)")
        }
        guard let outputFile = outputs["outputFile"]?.stringValue, !outputFile.isEmpty else {
            throw .data("the executor input names no outputs.outputFile")
        }
        let declared = outputs["artifacts"]?.objectValue ?? [:]
        func runtimeArtifact(_ name: String) throws(TunekitError) -> [String: JSONValue] {
            guard let entry = declared[name] else {
                throw .data("the executor input has no output artifact '\(name)' (it has: \(declared.keys.sorted().joined(separator: ", ")))")
            }
            guard let runtime = entry["artifacts"]?.arrayValue?.first?.objectValue else {
                throw .data("the executor input's output artifact '\(name)' lists no artifact")
            }
            return runtime
        }
        var runtime = try runtimeArtifact(artifact)
        var model = try modelArtifact.map { name throws(TunekitError) in try runtimeArtifact(name) }
        let score: ScoreReport
        do {
            score = try JSONDecoder().decode(ScoreReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .artifacts("\(path): not a readable score.json: \(error)")
        }
        var metadata = runtime["metadata"]?.objectValue ?? [:]
        for (split, metrics) in [("validation", score.validation), ("test", score.test), ("train", score.train)] {
            for (name, value) in metrics?.named ?? [] where value.isFinite { metadata["\(split)_\(name)"] = .number(value) }
        }
        metadata["model_version"] = .string(score.modelVersion)
        runtime["metadata"] = .object(metadata)
        if model != nil {
            var modelMetadata = model?["metadata"]?.objectValue ?? [:]
            modelMetadata.merge(metadata) { _, new in new }
            modelMetadata["trainer"] = .string(score.trainer)
            modelMetadata["framework"] = "tunekit"
            model?["metadata"] = .object(modelMetadata)
        }
        // Another step of the same task may have written outputs already: keep them.
        var output = FileManager.default.contents(atPath: outputFile).flatMap { try? JSONValue.parse($0).objectValue } ?? [:]
        var artifacts = output["artifacts"]?.objectValue ?? [:]
        artifacts[artifact] = ["artifacts": [.object(runtime)]]
        if let modelArtifact, let model { artifacts[modelArtifact] = ["artifacts": [.object(model)]] }
        output["artifacts"] = .object(artifacts)
        do {
            let folder = (outputFile as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            try Durable.replace(outputFile, with: JSONWriter.document { $0.value(.object(output)) })
        } catch {
            throw .artifacts("\(outputFile): cannot write the executor output: \((error as NSError).localizedDescription)")
        }
        return outputFile
    }
}
