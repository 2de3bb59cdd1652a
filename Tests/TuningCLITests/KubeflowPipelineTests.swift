import Foundation
import TestSupport
import Testing

/// deploy/kfp: the components and pipelines compile with the real KFP SDK (PyPI `kfp`, `kfp-kubernetes`), and
/// `tunekit export kfp-metrics` writes an ExecutorOutput that KFP's own protobuf message reads, carrying score.json's
/// metrics as the Metrics artifact's metadata.
@Suite(.serialized) struct KubeflowPipelineTests {
    @Test(.enabled(if: RealTools.enabled(pythonWithKFP))) func pipelinesAndComponentsCompile() throws {
        let python = try #require(pythonWithKFP)
        let directory = TemporaryDirectory("tunekit-kfp")
        defer { directory.remove() }
        let compiled = try TunekitProcess.runTool(python, [PackagePaths.file("deploy/kfp/pipeline.py"), directory.path])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let retrain = try String(contentsOfFile: directory.file("seoul-traffic-retrain.yaml"), encoding: .utf8)
        for part in ["comp-featurize", "comp-drift", "comp-tune", "pvcMount", "constant: tunekit-models", "pipelinechannel--drift-drifted'] ==", "cachingOptions: {}"] {
            #expect(retrain.contains(part), "\(part) missing from the compiled retrain pipeline")
        }
        let train = try String(contentsOfFile: directory.file("seoul-traffic-train.yaml"), encoding: .utf8)
        #expect(train.contains("comp-train") && train.contains("system.Metrics") && !train.contains("enableCache: true"))
        #expect(!retrain.contains("enableCache: true"))
        // Each compiled component loads back as a component.
        let loaded = try TunekitProcess.runTool(python, ["-c", """
            import sys
            from kfp import components
            for name in ["featurize", "tune", "train", "drift"]:
                component = components.load_component_from_file(f"{sys.argv[1]}/{name}.yaml")
                print(name, sorted(component.component_spec.inputs or {}), sorted(component.component_spec.outputs or {}))
            """, directory.path])
        #expect(loaded.status == 0, "\(loaded.stderr)")
        #expect(loaded.stdout.contains("tune ['experiment', 'model_version', 'models'] ['metrics']"), "\(loaded.stdout)")
    }

    @Test(.enabled(if: RealTools.enabled(pythonWithKFP))) func scoreMetricsBecomeTheMetricsArtifactsMetadata() throws {
        let python = try #require(pythonWithKFP)
        let directory = TemporaryDirectory("tunekit-kfp-metrics")
        defer { directory.remove() }
        let data = directory.write("data.csv", regressionCSV(rows: 200, seed: 5))
        let out = directory.file("out")
        let trained = try TunekitProcess.run([
            "train", "--trainer", "ridge", "--data", data, "--target", "y", "--valid-fraction", "0.2", "--output", out, "--model-version", "v1",
        ])
        #expect(trained.status == 0, "\(trained.stderr)")
        let outputFile = directory.file("kfp_outputs/output_metadata.json")
        // The executor input KFP's launcher passes as {{$}} (the shape of pipeline_spec's ExecutorInput).
        let executorInput = """
            {"inputs": {"parameterValues": {"model_version": "v1"}},
             "outputs": {"artifacts": {"metrics": {"artifacts": [{"name": "metrics", "type": {"schemaTitle": "system.Metrics"},
               "uri": "minio://mlpipeline/v2/artifacts/run/train/metrics", "metadata": {}}]}},
               "outputFile": "\(outputFile)"}}
            """
        let exported = try TunekitProcess.run([
            "export", "kfp-metrics", "\(out)/artifact/v1/score.json", "--executor-input", executorInput, "--artifact", "metrics",
        ])
        #expect(exported.status == 0, "\(exported.stderr)")
        let check = try TunekitProcess.runTool(python, ["-c", """
            import json, sys
            from google.protobuf import json_format
            from kfp.pipeline_spec import pipeline_spec_pb2
            output = json_format.Parse(open(sys.argv[1]).read(), pipeline_spec_pb2.ExecutorOutput())
            artifact = output.artifacts["metrics"].artifacts[0]
            metadata = json_format.MessageToDict(artifact.metadata)
            score = json.load(open(sys.argv[2]))
            assert artifact.uri == "minio://mlpipeline/v2/artifacts/run/train/metrics", artifact.uri
            for name, value in score["validation"].items():
                assert metadata["validation_" + name] == value, (name, metadata)
            print(sorted(metadata))
            """, outputFile, "\(out)/artifact/v1/score.json"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("validation_rmse"), "\(check.stdout)")

        let unknown = try TunekitProcess.run([
            "export", "kfp-metrics", "\(out)/artifact/v1/score.json", "--executor-input", executorInput, "--artifact", "nope",
        ])
        #expect(unknown.status != 0 && unknown.stderr.contains("no output artifact 'nope'"), "\(unknown.stderr)")
        let broken = try TunekitProcess.run(["export", "kfp-metrics", "\(out)/artifact/v1/score.json", "--executor-input", "{"])
        #expect(broken.status != 0 && broken.stderr.contains("executor input"), "\(broken.stderr)")
    }
}

/// The Python interpreter with `kfp` and `kfp-kubernetes` (`.ci/run` installs them): `$TUNEKIT_PYTHON`, else
/// `python3`; nil when absent (the KFP checks are then skipped).
let pythonWithKFP: String? = {
    let python = ProcessInfo.processInfo.environment["TUNEKIT_PYTHON"] ?? "python3"
    let check = try? TunekitProcess.runTool(python, ["-c", "import kfp.compiler, kfp.kubernetes"])
    return check?.status == 0 ? python : nil
}()
