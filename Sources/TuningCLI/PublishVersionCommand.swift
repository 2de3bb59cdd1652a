import ArgumentParser
import ExperimentRunner
import Foundation

extension TunekitCommand {
    struct PublishVersionCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish-version",
            abstract: "Point a kustomize overlay at a published model version (rewrites its patch-model-version.yaml for GitOps).",
            discussion: """
                Checks that OUTPUT/model/VERSION and OUTPUT/artifact/VERSION/score.json exist and are complete (model \
                files match their manifest, model.json and training.json are there for the tunekit ServingRuntime), then sets the \
                InferenceService storageUri and MODEL_VERSION in OVERLAY/patch-model-version.yaml. Commit the file; \
                Argo CD rolls the version out.
                """)

        @Argument(help: "The model version to serve (default: $MODEL_VERSION).")
        var version: String?

        @Option(help: "The overlay folder holding patch-model-version.yaml, e.g. deploy/overlays/production.")
        var kustomize: String

        @Option(help: "The artifact root the version was published under (tune/train --output).")
        var output = "output"

        @Flag(name: .customLong("print-current"), help: "Only print the version the overlay serves now (for scripts), change nothing.")
        var printCurrent = false

        func run() throws {
            if printCurrent {
                do { print(try ModelVersionPatch.currentVersion(overlay: kustomize)) } catch { throw fail("\(error)") }
                return
            }
            guard let version = version ?? ProcessInfo.processInfo.environment["MODEL_VERSION"], !version.isEmpty else {
                throw fail("name the version to serve (or set MODEL_VERSION)")
            }
            do {
                let old = try ModelVersionPatch.bump(overlay: kustomize, version: version, output: output)
                note(old == version
                    ? "\(kustomize) already serves \(version)"
                    : "\(kustomize): model version \(old) -> \(version) (commit \(ModelVersionPatch.fileName) to roll it out)")
            } catch {
                throw fail("\(error)")
            }
        }
    }
}
