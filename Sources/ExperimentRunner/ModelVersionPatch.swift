import ExperimentModel
import Foundation
import ModelArtifacts

/// A kustomize overlay's `patch-model-version.yaml`: the InferenceService patch naming the model version an
/// environment serves, in `spec.predictor.model.storageUri` (`…/model/<V>`) and the `MODEL_VERSION` env value.
/// `publish-version` rewrites those two values and nothing else (comments and layout stay), after checking that the
/// version is published and complete, so GitOps can only roll out a model that exists.
public enum ModelVersionPatch {
    public static let fileName = "patch-model-version.yaml"

    /// The version a patch names; an error when its storageUri and MODEL_VERSION disagree or are missing.
    /// The version an overlay's patch names now.
    public static func currentVersion(overlay: String) throws(RunnerError) -> String {
        let path = (overlay as NSString).appendingPathComponent(fileName)
        return try version(in: try patchText(path), file: path)
    }

    /// Largest patch file read (a kustomize patch is a few hundred bytes).
    static let maxPatchBytes = 1 << 20

    private static func patchText(_ path: String) throws(RunnerError) -> String {
        let text: String?
        do { text = try SmallFile.text(path, limit: maxPatchBytes) } catch {
            if case .tooLarge(let size, let limit) = error {
                throw .artifacts("\(path): \(size) bytes is larger than a model-version patch can be (\(limit) bytes)")
            }
            throw .artifacts("\(path): cannot read the overlay's model-version patch")
        }
        guard let text else { throw .artifacts("\(path): the overlay's model-version patch is not UTF-8 text") }
        return text
    }

    public static func version(in text: String, file: String) throws(RunnerError) -> String {
        let root: SpecNode
        do { root = try SpecNode.parse(yaml: text, file: file) } catch { throw .artifacts(error.description) }
        let model = root["spec"]?["predictor"]?["model"]
        guard let uri = model?["storageUri"]?.scalarText, let slash = uri.lastIndex(of: "/") else {
            throw .artifacts("\(file): spec.predictor.model.storageUri (…/model/<version>) is missing")
        }
        let env: [SpecNode] = if case .sequence(let items, _)? = model?["env"] { items } else { [] }
        guard let value = env.first(where: { $0["name"]?.scalarText == "MODEL_VERSION" })?["value"]?.scalarText else {
            throw .artifacts("\(file): spec.predictor.model.env has no MODEL_VERSION value")
        }
        let fromURI = String(uri[uri.index(after: slash)...])
        guard fromURI == value else {
            throw .artifacts("\(file): storageUri names version '\(fromURI)' but MODEL_VERSION is '\(value)'")
        }
        return value
    }

    /// Checks that `version` is published under `output` and complete (score.json readable, model files matching
    /// their manifest's checksums, model.json and training.json there for the tunekit ServingRuntime), then rewrites the overlay's
    /// patch to name it (written beside and renamed over). Returns the version it named before.
    @discardableResult
    public static func bump(overlay: String, version: String, output: String) throws(RunnerError) -> String {
        do { try FileSystemArtifactStore.checkVersion(version) } catch { throw .artifacts(error.description) }
        let store = FileSystemArtifactStore(root: output)
        let score = store.scorePath(version)
        guard let scoreData = try? SmallFile.read(score, limit: 256 << 20) else {
            throw .artifacts("\(score): version \(version) is not published (no readable score.json)")
        }
        guard (try? JSONDecoder().decode(ScoreReport.self, from: scoreData)) != nil else {
            throw .artifacts("\(score): score.json cannot be read: version \(version) is incomplete")
        }
        let model = store.modelDirectory(version)
        let files: [String: Data]
        do { files = try store.loadModel(at: model).files } catch {
            throw .artifacts("version \(version) is incomplete: \(error.description)")
        }
        guard files["model.json"] != nil, files["training.json"] != nil else {
            throw .artifacts("\(model) has no model.json or training.json: version \(version) cannot be served")
        }
        let path = (overlay as NSString).appendingPathComponent(fileName)
        let text = try patchText(path)
        let old = try Self.version(in: text, file: path)
        let rewritten = rewrite(text, from: old, to: version)
        guard try Self.version(in: rewritten, file: path) == version else {
            throw .artifacts("\(path): could not rewrite the version (is storageUri or MODEL_VERSION written on one line?)")
        }
        do { try Durable.replace(path, with: Data(rewritten.utf8)) } catch {
            throw .artifacts("\(path): cannot write: \(error.description)")
        }
        return old
    }

    /// The text with the storageUri's last path segment and the MODEL_VERSION value replaced, line by line.
    static func rewrite(_ text: String, from old: String, to new: String) -> String {
        var lines = text.components(separatedBy: "\n")
        var inModelVersion = false
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("storageUri:"), line.hasSuffix("/" + old) {
                lines[index] = String(line.dropLast(old.count)) + new
            } else if trimmed.hasPrefix("- name:") || trimmed.hasPrefix("name:") {
                inModelVersion = trimmed.hasSuffix("MODEL_VERSION")
            } else if inModelVersion, trimmed.hasPrefix("value:") {
                let indent = line.prefix { $0 == " " }
                lines[index] = "\(indent)value: \"\(new)\""
                inModelVersion = false
            }
        }
        return lines.joined(separator: "\n")
    }
}
