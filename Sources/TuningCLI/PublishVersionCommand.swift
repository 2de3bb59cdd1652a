import ArgumentParser
import Foundation
import ModelRegistry

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

                With --require-better, VERSION must also score at least as well as the version the overlay serves now \
                (also under OUTPUT), both scored on VERSION's test rows (rebuilt from its data and checked against \
                its score.json), with its objective metric or --metric; a worse VERSION is refused with exit status \
                \(Self.worseExitCode) and the overlay is left as it is. --canary-percent P sets KServe's \
                canaryTrafficPercent (P % of requests to VERSION, the rest to the last ready version; KServe's \
                Serverless mode); 100 removes it.
                """)

        /// Exit status when --require-better refuses a worse version (1 is any other failure).
        static let worseExitCode: Int32 = 4

        @Argument(help: "The model version to serve (default: $MODEL_VERSION).")
        var version: String?

        @Option(help: "The overlay folder holding patch-model-version.yaml, e.g. deploy/overlays/production.")
        var kustomize: String

        @Option(help: "The artifact root the version was published under (tune/train --output).")
        var output = "output"

        @Flag(name: .customLong("require-better"), help: "Refuse (exit 4) a version that scores worse than the one served now, both scored on the new version's test rows.")
        var requireBetter = false

        @Option(help: "The test metric --require-better compares (default: the version's objective metric, else its first test metric).")
        var metric: String?

        @Option(name: .customLong("canary-percent"), help: "Send this share of requests (1-100) to the version as a KServe canary; 100 ends the canary.")
        var canaryPercent: Int?

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
                if requireBetter {
                    let served = try ModelVersionPatch.currentVersion(overlay: kustomize)
                    if served != version {
                        let comparison = try PromotionGate.compare(candidate: version, served: served, output: output, metric: metric)
                        guard !comparison.candidateIsWorse else {
                            note("not promoted: \(version) is worse than the served \(served): \(comparison.summary)")
                            throw ExitCode(Self.worseExitCode)
                        }
                        note("\(version) is at least as good as the served \(served): \(comparison.summary)")
                    }
                }
                let old = try ModelVersionPatch.bump(overlay: kustomize, version: version, output: output, canaryPercent: canaryPercent)
                note(old == version
                    ? "\(kustomize) already serves \(version)"
                    : "\(kustomize): model version \(old) -> \(version) (commit \(ModelVersionPatch.fileName) to roll it out)")
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw fail("\(error)")
            }
        }
    }
}
