import Foundation
import TestSupport
import Testing

/// deploy/kfp: the components and pipelines compile with the real KFP SDK (PyPI `kfp`, `kfp-kubernetes`), and
/// `tunekit export kfp-metrics` writes an ExecutorOutput that KFP's own protobuf message reads, carrying score.json's
/// metrics as the Metrics artifact's metadata.
@Suite(.serialized) struct KubeflowPipelineTests {
    /// Both retrain pipelines and the train pipeline compile; read back with KFP's own pipeline_spec message, every
    /// executor has CPU and memory requests and limits, every task is uncached, the tuning steps run on the data
    /// volume with the Experiment from the image (which reads that volume), the Katib variant launches the Experiment,
    /// refits its best trial and deploys, and the tuning steps output a Model artifact.
    @Test(.enabled(if: RealTools.enabled(pythonWithKFP))) func pipelinesAndComponentsCompile() throws {
        let python = try #require(pythonWithKFP)
        let directory = TemporaryDirectory("tunekit-kfp")
        defer { directory.remove() }
        let compiled = try TunekitProcess.runTool(python, [PackagePaths.file("deploy/kfp/pipeline.py"), directory.path])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let check = try TunekitProcess.runTool(python, ["-c", """
            import json, sys, yaml
            from google.protobuf import json_format
            from kfp.pipeline_spec import pipeline_spec_pb2
            report = {}
            for name in ["seoul-traffic-retrain", "seoul-traffic-retrain-katib", "seoul-traffic-train"]:
                documents = list(yaml.safe_load_all(open(f"{sys.argv[1]}/{name}.yaml")))
                spec = json_format.ParseDict(documents[0], pipeline_spec_pb2.PipelineSpec())
                platform = documents[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"] if len(documents) > 1 else {}
                executors = {}
                for key, executor in spec.deployment_spec.fields["executors"].struct_value.fields.items():
                    container = json_format.MessageToDict(executor.struct_value)["container"]
                    resources = container.get("resources", {})
                    executors[key] = {
                        "image": container["image"],
                        "sized": all(k in resources for k in ["resourceCpuRequest", "resourceCpuLimit", "resourceMemoryRequest", "resourceMemoryLimit"]),
                        "mounts": sorted(m["mountPath"] for m in platform.get(key, {}).get("pvcMount", [])),
                        "secrets": sorted(s["secretName"] for s in platform.get(key, {}).get("secretAsVolume", [])),
                    }
                tasks = {}
                def walk(dag):
                    for task_name, task in dag.tasks.items():
                        tasks[task_name] = task.caching_options.enable_cache
                        component = spec.components[task.component_ref.name]
                        if component.HasField("dag"):
                            walk(component.dag)
                walk(spec.root.dag)
                outputs = {name: sorted(a.artifact_type.schema_title for a in c.output_definitions.artifacts.values())
                           for name, c in spec.components.items()}
                defaults = {k: v.default_value.string_value for k, v in spec.root.input_definitions.parameters.items()}
                if "experiment_json" in defaults:
                    katib = yaml.safe_load(open(sys.argv[2]))
                    defaults["experiment_json"] = "the Experiment" if json.loads(defaults["experiment_json"]) == katib else "another"
                report[name] = {"executors": executors, "cached": [t for t, cached in tasks.items() if cached],
                                "tasks": sorted(tasks), "outputs": outputs, "defaults": defaults}
            print(json.dumps(report))
            """, directory.path, PackagePaths.file("deploy/katib/seoul-traffic-gbdt.yaml")])
        #expect(check.status == 0, "\(check.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data((check.stdout.split(separator: "\n").last ?? "").utf8)) as? [String: [String: Any]])
        for (name, pipeline) in report {
            let executors = try #require(pipeline["executors"] as? [String: [String: Any]])
            for (key, executor) in executors {
                #expect(executor["sized"] as? Bool == true, "\(name): \(key) has no CPU/memory requests and limits")
            }
            #expect((pipeline["cached"] as? [String])?.isEmpty == true, "\(name): cached tasks \(pipeline["cached"] ?? "")")
        }
        let retrain = try #require(report["seoul-traffic-retrain"])
        #expect(Set(retrain["tasks"] as? [String] ?? []).isSuperset(of: ["featurize", "drift", "tune", "deploy"]), "\(retrain["tasks"] ?? "")")
        let retrainExecutors = try #require(retrain["executors"] as? [String: [String: Any]])
        #expect(retrainExecutors["exec-tune"]?["mounts"] as? [String] == ["/data/seoul-traffic", "/mnt/models"])
        #expect(retrainExecutors["exec-featurize"]?["mounts"] as? [String] == ["/data/seoul-traffic"])
        #expect(retrainExecutors["exec-deploy"]?["secrets"] as? [String] == ["tunekit-git-deploy-key"])
        let defaults = try #require(retrain["defaults"] as? [String: String])
        #expect(defaults["experiment"] == "/opt/tunekit/deploy/katib/seoul-traffic-gbdt.yaml")
        // The deploy step pushes where the retrain CronJob does: the base's tunekit-gitops ConfigMap.
        let kustomization = try String(contentsOfFile: PackagePaths.file("deploy/kubernetes/kustomization.yaml"), encoding: .utf8)
        let literal = { (key: String) in
            kustomization.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("- \(key)=") }
                .map { String($0.split(separator: "=", maxSplits: 1)[1]) }
        }
        #expect(defaults["repository"] == literal("repository"))
        #expect(defaults["overlay"] == literal("overlay"))
        // The Experiment the image carries reads the volume the tune step mounts.
        let experiment = try String(contentsOfFile: PackagePaths.file("deploy/katib/seoul-traffic-gbdt.yaml"), encoding: .utf8)
        #expect(experiment.contains("--data=/data/seoul-traffic"))
        #expect((retrain["outputs"] as? [String: [String]])?["comp-tune"] == ["system.Metrics", "system.Model"])

        let katib = try #require(report["seoul-traffic-retrain-katib"])
        #expect(Set(katib["tasks"] as? [String] ?? []).isSuperset(of: ["katib-tune", "refit", "deploy", "drift"]))
        let katibExecutors = try #require(katib["executors"] as? [String: [String: Any]])
        #expect(katibExecutors["exec-katib-tune"]?["image"] as? String == "python:3.11-slim")
        #expect(katibExecutors["exec-refit"]?["mounts"] as? [String] == ["/data/seoul-traffic", "/mnt/models"])
        #expect((katib["outputs"] as? [String: [String]])?["comp-refit"] == ["system.Metrics", "system.Model"])
        let katibDefaults = try #require(katib["defaults"] as? [String: String])
        #expect(katibDefaults["experiment_json"] == "the Experiment")
        #expect(katibDefaults["experiment"] == nil, "refit reads the Experiment Katib ran, not a second copy")
        let train = try #require(report["seoul-traffic-train"])
        #expect((train["outputs"] as? [String: [String]])?["comp-train"] == ["system.Metrics", "system.Model"])

        // Each compiled component loads back as a component.
        let loaded = try TunekitProcess.runTool(python, ["-c", """
            import sys
            from kfp import components
            for name in ["featurize", "tune", "katib-tune", "refit", "train", "drift", "deploy"]:
                component = components.load_component_from_file(f"{sys.argv[1]}/{name}.yaml")
                print(name, sorted(component.component_spec.inputs or {}), sorted(component.component_spec.outputs or {}))
            """, directory.path])
        #expect(loaded.status == 0, "\(loaded.stderr)")
        #expect(loaded.stdout.contains("tune ['experiment', 'model_version', 'models'] ['metrics', 'model']"), "\(loaded.stdout)")
        #expect(loaded.stdout.contains("deploy ['model_version', 'models', 'overlay', 'repository'] ['promoted']"), "\(loaded.stdout)")
    }

    /// The Katib step's own code, run here against a stand-in for the Kubernetes API: it creates the Experiment under
    /// the run's name in the pod's namespace, polls until Katib says Succeeded and returns the optimal trial's
    /// assignments; a Failed Experiment fails the step with Katib's message.
    @Test(.enabled(if: RealTools.enabled(pythonWithKFP))) func katibStepCreatesWaitsAndReturnsTheBestTrial() throws {
        let python = try #require(pythonWithKFP)
        let check = try TunekitProcess.runTool(python, ["-c", """
            import builtins, io, json, sys, types
            sys.path.insert(0, sys.argv[1])
            import pipeline
            created, statuses = [], []
            deleted = []
            class Conflict(Exception):
                status = 409
            class Api:
                def create_namespaced_custom_object(self, group, version, namespace, plural, body):
                    if any(c[4]["metadata"]["name"] == body["metadata"]["name"] for c in created):
                        raise Conflict()
                    created.append((group, version, namespace, plural, body))
                def delete_namespaced_custom_object(self, group, version, namespace, plural, name):
                    deleted.append(name)
                def get_namespaced_custom_object(self, group, version, namespace, plural, name):
                    return {"status": statuses.pop(0)}
            kubernetes = types.ModuleType("kubernetes")
            kubernetes.client = types.SimpleNamespace(CustomObjectsApi=Api)
            kubernetes.config = types.SimpleNamespace(load_incluster_config=lambda: None)
            sys.modules["kubernetes"] = kubernetes
            real_open = builtins.open
            builtins.open = lambda path, *a, **k: io.StringIO("team-a ") if str(path).endswith("serviceaccount/namespace") else real_open(path, *a, **k)
            import yaml
            experiment = json.dumps(yaml.safe_load(real_open(sys.argv[2]).read()))
            best = [{"name": "learning_rate", "value": "0.08"}, {"name": "num_leaves", "value": "63"}]
            statuses[:] = [{}, {"conditions": [{"type": "Running", "status": "True"}]},
                           {"conditions": [{"type": "Running", "status": "False"}, {"type": "Succeeded", "status": "True"}],
                            "currentOptimalTrial": {"bestTrialName": "t-7", "parameterAssignments": best}}]
            out = pipeline.katib_tune.python_func(experiment_json=experiment, experiment_name="seoul-traffic-gbdt-v9",
                                                 timeout_seconds=60, poll_seconds=0)
            group, version, namespace, plural, body = created[0]
            assert (group, version, namespace, plural) == ("kubeflow.org", "v1beta1", "team-a", "experiments"), created[0]
            assert body["metadata"]["name"] == "seoul-traffic-gbdt-v9" and body["metadata"]["namespace"] == "team-a"
            assert body["spec"]["trialTemplate"]["primaryContainerName"] == "training-container"
            assert json.loads(out) == best, out
            statuses[:] = [{"conditions": [{"type": "Failed", "status": "True", "message": "trials failed"}]}]
            try:
                pipeline.katib_tune.python_func(experiment_json=experiment, experiment_name="x", timeout_seconds=60, poll_seconds=0)
                raise SystemExit("a failed Experiment did not fail the step")
            except RuntimeError as error:
                assert "trials failed" in str(error), error
            # A retried step finds its Experiment already there and waits for it.
            statuses[:] = [{"conditions": [{"type": "Succeeded", "status": "True"}], "currentOptimalTrial": {"parameterAssignments": best}}]
            again = pipeline.katib_tune.python_func(experiment_json=experiment, experiment_name="seoul-traffic-gbdt-v9",
                                                   timeout_seconds=60, poll_seconds=0)
            assert json.loads(again) == best and len(created) == 2, created
            # Past its time the Experiment is deleted, so its trials stop.
            statuses[:] = [{"conditions": [{"type": "Running", "status": "True"}]}] * 3
            try:
                pipeline.katib_tune.python_func(experiment_json=experiment, experiment_name="slow", timeout_seconds=-1, poll_seconds=0)
                raise SystemExit("a timed-out Experiment did not fail the step")
            except TimeoutError as error:
                assert deleted == ["slow"], deleted
            print("ok")
            """, PackagePaths.file("deploy/kfp"), PackagePaths.file("deploy/katib/seoul-traffic-gbdt.yaml")])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("ok"))
    }

    /// `tunekit refit` renders the Experiment's trial command with Katib's best assignments and publishes that fit:
    /// the same metrics as a `train` run with the same arguments; incomplete or unknown assignments and a trial that
    /// is not `tunekit train` are refused.
    @Test func refitPublishesTheTrialKatibChose() throws {
        let directory = TemporaryDirectory("tunekit-refit")
        defer { directory.remove() }
        let data = directory.write("data.csv", regressionCSV(rows: 300, seed: 2))
        let experiment = directory.write("e.yaml", katibExperimentYAML(
            name: "refit-me", maxTrials: 2, parameters: [("learning_rate", "double", "0.05", "0.3"), ("num_leaves", "int", "4", "31")],
            command: [
                "tunekit", "train", "--trainer=gbdt", "--data=\(data)", "--target=y", "--num_iterations=30",
                "--learning_rate=${trialParameters.learning_rate}", "--num_leaves=${trialParameters.num_leaves}",
            ]))
        let out = directory.file("out")
        let refit = try TunekitProcess.run([
            "refit", experiment, "--assignments", #"[{"name": "learning_rate", "value": "0.12"}, {"name": "num_leaves", "value": "9"}]"#,
            "--output", out, "--model-version", "best",
        ])
        #expect(refit.status == 0, "\(refit.stderr)")
        let direct = try TunekitProcess.run([
            "train", "--trainer=gbdt", "--data=\(data)", "--target=y", "--num_iterations=30", "--learning_rate=0.12", "--num_leaves=9",
        ])
        #expect(direct.status == 0)
        #expect(refit.stdout == direct.stdout, "refit printed \(refit.stdout), train \(direct.stdout)")
        let score = try String(contentsOfFile: "\(out)/artifact/best/score.json", encoding: .utf8)
        #expect(score.contains(#""learning_rate" : "0.12""#), "\(score)")
        #expect(score.contains(#""num_leaves" : "9""#), "\(score)")

        let missing = try TunekitProcess.run(["refit", experiment, "--assignments", #"{"learning_rate": 0.1}"#, "--output", out, "--model-version", "x"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no value for parameter 'num_leaves'"), "\(missing.stderr)")
        let unknown = try TunekitProcess.run([
            "refit", experiment, "--assignments", #"{"learning_rate": 0.1, "num_leaves": 5, "depth": 3}"#, "--output", out, "--model-version", "x",
        ])
        #expect(unknown.stderr.contains("'depth' is not a parameter"), "\(unknown.stderr)")
        let foreign = directory.write("foreign.yaml", try String(contentsOfFile: experiment, encoding: .utf8)
            .replacingOccurrences(of: #"command: ["tunekit", "train","#, with: #"command: ["python", "train.py","#))
        let refused = try TunekitProcess.run([
            "refit", foreign, "--assignments", #"{"learning_rate": 0.1, "num_leaves": 5}"#, "--output", out, "--model-version", "x",
        ])
        #expect(refused.stderr.contains("is not `tunekit train"), "\(refused.stderr)")
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

        // With a Model artifact beside: both artifacts' metadata, the Model's with the version, trainer and framework.
        let withModel = executorInput.replacingOccurrences(of: #""outputFile""#, with: #""_""#)
            .replacingOccurrences(
                of: #"}]}},"#,
                with: #"}]}, "model": {"artifacts": [{"name": "model", "type": {"schemaTitle": "system.Model"}, "uri": "minio://mlpipeline/v2/artifacts/run/train/model", "metadata": {}}]}},"#)
            .replacingOccurrences(of: #""_""#, with: #""outputFile""#)
        let both = try TunekitProcess.run([
            "export", "kfp-metrics", "\(out)/artifact/v1/score.json", "--executor-input", withModel, "--model-artifact", "model",
        ])
        #expect(both.status == 0, "\(both.stderr)")
        let modelCheck = try TunekitProcess.runTool(python, ["-c", """
            import sys
            from google.protobuf import json_format
            from kfp.pipeline_spec import pipeline_spec_pb2
            output = json_format.Parse(open(sys.argv[1]).read(), pipeline_spec_pb2.ExecutorOutput())
            model = output.artifacts["model"].artifacts[0]
            metadata = json_format.MessageToDict(model.metadata)
            assert model.uri == "minio://mlpipeline/v2/artifacts/run/train/model", model.uri
            assert metadata["model_version"] == "v1" and metadata["trainer"] == "ridge" and metadata["framework"] == "tunekit", metadata
            assert "validation_rmse" in json_format.MessageToDict(output.artifacts["metrics"].artifacts[0].metadata)
            print("model artifact ok")
            """, outputFile])
        #expect(modelCheck.status == 0, "\(modelCheck.stdout)\(modelCheck.stderr)")

        let unknown = try TunekitProcess.run([
            "export", "kfp-metrics", "\(out)/artifact/v1/score.json", "--executor-input", executorInput, "--artifact", "nope",
        ])
        #expect(unknown.status != 0, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("no output artifact 'nope'"), "\(unknown.stderr)")
        let broken = try TunekitProcess.run(["export", "kfp-metrics", "\(out)/artifact/v1/score.json", "--executor-input", "{"])
        #expect(broken.status != 0, "\(broken.stderr)")
        #expect(broken.stderr.contains("executor input"), "\(broken.stderr)")
    }
}

/// The Python interpreter with `kfp` and `kfp-kubernetes` (`.ci/run` installs them): `$TUNEKIT_PYTHON`, else
/// `python3`; nil when absent (the KFP checks are then skipped).
let pythonWithKFP: String? = {
    let python = ProcessInfo.processInfo.environment["TUNEKIT_PYTHON"] ?? "python3"
    let check = try? TunekitProcess.runTool(python, ["-c", "import kfp.compiler, kfp.kubernetes"])
    return check?.status == 0 ? python : nil
}()
