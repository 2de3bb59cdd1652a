import ExperimentModel
import Foundation
import ModelArtifacts
import ModelTraining

/// A kustomize overlay's `patch-model-version.yaml`: the InferenceService patch naming the model version an
/// environment serves, in `spec.predictor.model.storageUri` (`…/model/<V>`) and the `MODEL_VERSION` env value.
/// `publish-version` rewrites those two values and nothing else (comments and layout stay), after checking that the
/// version is published and complete, so GitOps can only roll out a model that exists.
public enum ModelVersionPatch {
    public static let fileName = "patch-model-version.yaml"

    /// The version a patch names; an error when its storageUri and MODEL_VERSION disagree or are missing.
    /// The version an overlay's patch names now.
    public static func currentVersion(overlay: String) throws(TunekitError) -> String {
        let path = (overlay as NSString).appendingPathComponent(fileName)
        return try version(in: try patchText(path), file: path)
    }

    /// Largest patch file read (a kustomize patch is a few hundred bytes).
    static let maxPatchBytes = 1 << 20

    private static func patchText(_ path: String) throws(TunekitError) -> String {
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

    public static func version(in text: String, file: String) throws(TunekitError) -> String {
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
    ///
    /// `canaryPercent` sets `spec.predictor.canaryTrafficPercent` (KServe sends that share of requests to the new
    /// version and the rest to the last ready one; Serverless mode only), and 100 removes it; nil leaves it as it is.
    @discardableResult
    public static func bump(
        overlay: String, version: String, output: String, canaryPercent: Int? = nil
    ) throws(TunekitError) -> String {
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
        var rewritten = rewrite(text, from: old, to: version)
        guard try Self.version(in: rewritten, file: path) == version else {
            throw .artifacts("\(path): could not rewrite the version (is storageUri or MODEL_VERSION written on one line?)")
        }
        if let canaryPercent {
            guard (1...100).contains(canaryPercent) else {
                throw .invalidArguments("the canary share must be 1 to 100 percent, got \(canaryPercent)")
            }
            rewritten = try settingCanary(rewritten, percent: canaryPercent == 100 ? nil : canaryPercent, file: path)
        }
        do { try Durable.replace(path, with: Data(rewritten.utf8)) } catch {
            throw .artifacts("\(path): cannot write: \(error.description)")
        }
        return old
    }

    /// The share of traffic a patch sends to its version while it is a canary (nil: all of it).
    public static func canaryPercent(in text: String, file: String) throws(TunekitError) -> Int? {
        let root: SpecNode
        do { root = try SpecNode.parse(yaml: text, file: file) } catch { throw .artifacts(error.description) }
        return root["spec"]?["predictor"]?["canaryTrafficPercent"]?.scalarText.flatMap { Int($0) }
    }

    /// The text with `canaryTrafficPercent: percent` as the first field under `predictor:` (replacing one already
    /// there), or without it when `percent` is nil.
    static func settingCanary(_ text: String, percent: Int?, file: String) throws(TunekitError) -> String {
        var lines = text.components(separatedBy: "\n")
        lines.removeAll { $0.trimmingCharacters(in: .whitespaces).hasPrefix("canaryTrafficPercent:") }
        if let percent {
            guard let predictor = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "predictor:" }),
                  predictor + 1 < lines.count else {
                throw .artifacts("\(file): no 'predictor:' line to put canaryTrafficPercent under")
            }
            let indent = lines[predictor + 1].prefix { $0 == " " }
            lines.insert("\(indent)canaryTrafficPercent: \(percent)", at: predictor + 1)
        }
        let result = lines.joined(separator: "\n")
        guard try canaryPercent(in: result, file: file) == percent else {
            throw .artifacts("\(file): could not set canaryTrafficPercent (is spec.predictor written in flow style?)")
        }
        return result
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
