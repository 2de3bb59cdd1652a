import Foundation
import TestSupport
import Testing

/// `kill -9` at any moment of a run, then `tune --resume`, ends with the same score.json as an uninterrupted run;
/// SIGTERM stops the trials and their children; a second run of one version is refused while the first is alive.
@Suite(.serialized) struct ResumeTests {
    /// A Katib experiment over a small CSV: in-process ridge trials, or shell trials that sleep and print a metric.
    static func experiment(_ directory: TemporaryDirectory, external: Bool, maxTrials: Int = 6) -> String {
        let csv = directory.write("data.csv", regressionCSV(rows: 300))
        let command = external
            ? #"["sh", "-c", "sleep 0.3; echo rmse=$(echo '${trialParameters.alpha}' | cut -c1-6) mae=1"]"#
            : #"["tunekit", "train", "--trainer=ridge", "--data=\#(csv)", "--target=y", "--test-fraction=0.2", "--alpha=${trialParameters.alpha}"]"#
        return directory.write("experiment.yaml", """
            apiVersion: kubeflow.org/v1beta1
            kind: Experiment
            metadata:
              name: resume-test
            spec:
              objective: {type: minimize, objectiveMetricName: rmse, additionalMetricNames: [mae]}
              algorithm:
                algorithmName: tpe
                algorithmSettings: [{name: random_state, value: "11"}, {name: n_startup_trials, value: "3"}]
              parallelTrialCount: 2
              maxTrialCount: \(maxTrials)
              parameters:
                - {name: alpha, parameterType: double, feasibleSpace: {min: "0.01", max: "100", distribution: logUniform}}
              trialTemplate:
                primaryContainerName: main
                trialParameters: [{name: alpha, reference: alpha}]
                trialSpec:
                  apiVersion: batch/v1
                  kind: Job
                  spec:
                    template:
                      spec:
                        containers:
                          - name: main
                            image: tunekit
                            command: \(command)
            """)
    }

    static func score(_ output: String) -> Data? { FileManager.default.contents(atPath: output + "/artifact/v1/score.json") }

    static func tune(_ experiment: String, _ output: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> TunekitProcess.Result {
        try TunekitProcess.run(["tune", experiment, "--output", output, "--model-version", "v1"] + extra, environment: environment)
    }

    @Test(arguments: ["after-trial-2", "after-trials", "before-publish", "between-model-and-score"])
    func inProcessRunKilledAtAnyPointResumesToTheSameScore(failpoint: String) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = Self.experiment(directory, external: false)
        let reference = try Self.tune(experiment, directory.file("reference"))
        #expect(reference.status == 0, "\(reference.stderr)")

        let output = directory.file("killed")
        let killed = try Self.tune(experiment, output, environment: ["TUNEKIT_FAILPOINT": failpoint])
        #expect(killed.status == 9 || killed.status == 137, "the failpoint kills the run: \(killed.status) \(killed.stderr)")
        #expect(Self.score(output) == nil, "a killed run has published no score")

        let resumed = try Self.tune(experiment, output, ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming the unfinished run"))
        #expect(Self.score(output) != nil)
        #expect(Self.score(output) == Self.score(directory.file("reference")))
        let model = try FileManager.default.contentsOfDirectory(atPath: output + "/model")
        #expect(model == ["v1"], "no staging folders remain: \(model)")
    }

    /// What a Kubernetes Job restarted after finishing, or a retried pipeline step, does: run the same command again.
    @Test func rerunningAFinishedRunExitsZeroWithItsResult() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = Self.experiment(directory, external: false, maxTrials: 3)
        let output = directory.file("out")
        let first = try Self.tune(experiment, output)
        #expect(first.status == 0, "\(first.stderr)")
        let score = try #require(Self.score(output))
        for extra in [[], ["--resume"]] {
            let again = try Self.tune(experiment, output, extra)
            #expect(again.status == 0, "\(extra): \(again.stderr)")
            #expect(again.stderr.contains("already finished"), "\(again.stderr)")
            #expect(again.stdout.contains("score: \(output)/artifact/v1/score.json"), "\(again.stdout)")
            #expect(again.stderr.contains("3 trials (3 succeeded)"), "\(again.stderr)")
        }
        #expect(Self.score(output) == score, "nothing was rewritten")
        #expect(Self.count("run-started", in: output + "/runs/v1/journal.jsonl") == 1, "nothing was run again")
        #expect(!FileManager.default.fileExists(atPath: output + "/runs/v1/lock"), "a finished run leaves no lock file")
        // The same version over changed data is not "already finished": it names the file.
        _ = directory.write("data.csv", regressionCSV(rows: 300, seed: 2))
        let changed = try Self.tune(experiment, output)
        #expect(changed.status == 1, "\(changed.stderr)")
        #expect(changed.stderr.contains("data.csv changed"), "\(changed.stderr)")
        #expect(Self.score(output) == score)
    }

    @Test func resumeWithoutAJournalStartsTheRun() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = Self.experiment(directory, external: false, maxTrials: 2)
        let output = directory.file("out")
        let resumed = try Self.tune(experiment, output, ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("no journal at"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("starting the run"), "\(resumed.stderr)")
        #expect(Self.score(output) != nil)
    }

    @Test func resumeRefusesWhenTheDataChangedAndForceStartsOver() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = Self.experiment(directory, external: false)
        let output = directory.file("out")
        try Self.killAfterTrialTwo(experiment, output)
        _ = directory.write("data.csv", regressionCSV(rows: 300, seed: 2))
        for extra in [[], ["--resume"]] {
            let refused = try Self.tune(experiment, output, extra)
            #expect(refused.status == 1, "\(extra): \(refused.stderr)")
            #expect(refused.stderr.contains("cannot resume"), "\(refused.stderr)")
            #expect(refused.stderr.contains("data.csv changed"), "\(refused.stderr)")
            #expect(refused.stderr.contains("--force"), "\(refused.stderr)")
        }
        #expect(Self.score(output) == nil, "nothing published from two data sets")
        let forced = try Self.tune(experiment, output, ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let reference = try Self.tune(experiment, directory.file("reference"))
        #expect(reference.status == 0, "a clean run over the new data")
        #expect(Self.score(output) == Self.score(directory.file("reference")), "a clean run over the new data")
    }

    /// `--enqueue FILE` (Optuna's enqueue_trial): the settings run first, in order, then the algorithm's, seeing
    /// their results; killed and resumed it ends as uninterrupted; the file is an input (changed, resume is refused).
    @Test func enqueuedSettingsRunFirstAndResume() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = Self.experiment(directory, external: false)
        let queue = directory.write("queue.json", #"[{"alpha": 0.5}, {"alpha": "2"}]"#)
        let reference = try Self.tune(experiment, directory.file("reference"), ["--enqueue", queue])
        #expect(reference.status == 0, "\(reference.stderr)")
        let journal = try String(contentsOfFile: directory.file("reference/runs/v1/journal.jsonl"), encoding: .utf8)
        let suggested = journal.split(separator: "\n").filter { $0.contains("\"trial-suggested\"") }
        #expect(suggested.count == 6 && suggested[0].contains(#""value":"0.5""#) && suggested[1].contains(#""value":"2.0""#), "\(suggested)")
        let output = directory.file("out")
        try Self.killAfterTrialTwo(experiment, output, ["--enqueue", queue])
        let resumed = try Self.tune(experiment, output, ["--enqueue", queue])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(Self.score(output) == Self.score(directory.file("reference")), "\(resumed.stderr)")
        // Refusals name the entry and what is wrong.
        for (text, message) in [
            (#"[{"alpha": 1000}]"#, "entry 1 has a value outside its parameter's feasible space"),
            (#"[{"alpha": 1, "beta": 2}]"#, "entry 1 names 'beta', which is not a parameter"),
            (#"[{}]"#, "entry 1 gives no value for alpha"),
            (#"{"alpha": 1}"#, "not a JSON list of objects"),
        ] {
            let bad = directory.write("bad.json", text)
            let refused = try Self.tune(experiment, directory.file("bad"), ["--enqueue", bad])
            #expect(refused.status == 1, "\(text): \(refused.stderr)")
            #expect(refused.stderr.contains(message), "\(text): \(refused.stderr)")
        }
        // A changed queue is a changed input: a killed run with it is not resumed.
        let changed = directory.file("changed")
        _ = try Self.tune(experiment, changed, ["--enqueue", queue], environment: ["TUNEKIT_FAILPOINT": "after-trial-2"])
        _ = directory.write("queue.json", #"[{"alpha": 0.7}]"#)
        let refused = try Self.tune(experiment, changed, ["--enqueue", queue])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("queue.json changed"), "\(refused.stderr)")
    }

    /// `--warm-start OUTPUT:V`: an earlier run's finished trials are the algorithm's history — TPE models from the
    /// first trial instead of drawing its random start-up trials — and are neither run again nor counted.
    @Test func aWarmStartSeedsTheHistoryWithoutRunningIt() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = Self.experiment(directory, external: false)
        let earlier = directory.file("out")
        #expect(try Self.tune(experiment, earlier).status == 0)
        let cold = try TunekitProcess.run(["tune", experiment, "--output", earlier, "--model-version", "cold"])
        let warm = try TunekitProcess.run(["tune", experiment, "--output", earlier, "--model-version", "warm", "--warm-start", "\(earlier):v1"])
        #expect(cold.status == 0, "\(warm.stderr)")
        #expect(warm.status == 0, "\(warm.stderr)")
        #expect(warm.stderr.contains("warm start: 6 finished trial(s) of \(earlier)/runs/v1/journal.jsonl as history"), "\(warm.stderr)")
        func suggested(_ version: String) throws -> [String] {
            try String(contentsOfFile: "\(earlier)/runs/\(version)/journal.jsonl", encoding: .utf8).split(separator: "\n")
                .filter { $0.contains("\"trial-suggested\"") }.map(String.init)
        }
        let (coldTrials, warmTrials) = (try suggested("cold"), try suggested("warm"))
        #expect(coldTrials.count == 6, "maxTrialCount counts this run's trials only")
        #expect(warmTrials.count == 6, "maxTrialCount counts this run's trials only")
        #expect(coldTrials[0] != warmTrials[0], "the first suggestion already uses the earlier results")
        let start = try String(contentsOfFile: "\(earlier)/runs/warm/journal.jsonl", encoding: .utf8).split(separator: "\n")[0]
        #expect(start.contains(#""warmStartTrials":6"#), "\(start)")
        let report = try String(contentsOfFile: "\(earlier)/runs/warm/report.html", encoding: .utf8)
        #expect(report.contains("6 finished trial(s) of \(earlier)/runs/v1/journal.jsonl as the algorithm's history"), "the report says so")
        let own = try TunekitProcess.run(["tune", experiment, "--output", earlier, "--model-version", "v9", "--warm-start", "\(earlier):v9"])
        #expect(own.status == 1, "\(own.stderr)")
    }

    /// Two resumes of one killed run at once: one takes the run lock and finishes it, the other is refused (or finds
    /// it finished); the trials run once and the score is the uninterrupted run's.
    @Test func twoResumesAtOnceFinishTheRunOnce() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = Self.experiment(directory, external: true)
        #expect(try Self.tune(experiment, directory.file("reference")).status == 0)
        let output = directory.file("out")
        try Self.killAfterTwoTrials(experiment, output: output, in: directory)
        let resumes = try (0..<2).map { k in
            try TunekitProcess.launch(
                ["tune", experiment, "--output", output, "--model-version", "v1", "--resume"],
                stdout: directory.file("resume\(k).out"), stderr: directory.file("resume\(k).err"))
        }
        for process in resumes { process.waitUntilExit() }
        let statuses = resumes.map(\.terminationStatus).sorted()
        let errors = try (0..<2).map { try String(contentsOfFile: directory.file("resume\($0).err"), encoding: .utf8) }
        // The second either meets the first's lock, or (started late) finds the run finished.
        let refused = statuses == [0, 1] && errors.contains { $0.contains("another tune run is using model version v1") }
        let late = statuses == [0, 0] && errors.contains { $0.contains("already finished") }
        #expect(refused || late, "\(statuses) \(errors)")
        #expect(Self.score(output) != nil)
        #expect(Self.score(output) == Self.score(directory.file("reference")))
        #expect(Self.count("trial-finished", in: output + "/runs/v1/journal.jsonl") == 6)
    }

    @Test(arguments: [
        (#"{"event":"trial-finished","trial":40,"condition":"SUCCEEDED","metrics":[{"name":"rmse","value":"-1000"}],"time":"t"}"#,
         "a result for trial 41, which was never suggested"),
        (#"{"event":"trial-suggested","trial":7,"name":"x","assignments":[],"time":"t"}"#, "trial 8 is suggested where trial "),
        (#"{"event":"trial-finished","trial":0,"condition":"SUCCEEDED","metrics":[{"name":"rmse","value":"-1000"}],"time":"t"}"#,
         "a second result for trial 1"),
    ])
    func editedJournalEventsAreRefusedWithTheirLine(line: String, message: String) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = Self.experiment(directory, external: false)
        let output = directory.file("out")
        try Self.killAfterTrialTwo(experiment, output)
        let journal = output + "/runs/v1/journal.jsonl"
        var text = try String(contentsOfFile: journal, encoding: .utf8)
        let lineNumber = text.split(separator: "\n").count + 1
        text += line + "\n"
        try text.write(toFile: journal, atomically: true, encoding: .utf8)
        let refused = try Self.tune(experiment, output)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("journal.jsonl:\(lineNumber): \(message)"), "\(refused.stderr)")
    }

    @Test func externalRunKilledDuringTrialsResumesWithoutRerunningFinishedTrials() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let experiment = Self.experiment(directory, external: true)
        #expect(try Self.tune(experiment, directory.file("reference")).status == 0)

        let output = directory.file("killed")
        let journal = output + "/runs/v1/journal.jsonl"
        try Self.killAfterTwoTrials(experiment, output: output, in: directory)
        let finishedBefore = Self.count("trial-finished", in: journal)
        // Killed with -9, the journal is all there is: trials, report and MLflow export read it as a run in progress.
        let trials = try TunekitProcess.run(["trials", output, "--format", "csv"])
        #expect(trials.stdout.components(separatedBy: ",COMPLETE,SUCCEEDED,").count - 1 == finishedBefore, "\(trials.stdout)")
        #expect(try TunekitProcess.run(["report", output]).status == 0)
        let store = directory.file("mlruns")
        #expect(try TunekitProcess.run(["export", "mlflow", output, "--to", store]).status == 0)
        #expect(Self.parentStatus(store) == "status: 1", "RUNNING: neither published nor interrupted")

        let resumed = try Self.tune(experiment, output)
        #expect(resumed.status == 0, "a plain re-run resumes: \(resumed.stderr)")
        #expect(resumed.stderr.contains("\(finishedBefore) trial(s) already finished"))
        #expect(Self.score(output) != nil)
        #expect(Self.score(output) == Self.score(directory.file("reference")))
        #expect(Self.count("trial-finished", in: journal) == 6, "finished trials were not run again")
        // The resumed run: six completed trials, exported again over the same ids as a finished run.
        let after = try TunekitProcess.run(["trials", output, "--format", "csv"])
        #expect(after.stdout.components(separatedBy: ",COMPLETE,SUCCEEDED,").count - 1 == 6, "\(after.stdout)")
        #expect(try TunekitProcess.run(["export", "mlflow", output, "--to", store]).status == 0)
        #expect(Self.parentStatus(store) == "status: 3", "FINISHED")
    }

    /// The `status:` line of the one parent run (the run without a parent tag) in an MLflow file store.
    static func parentStatus(_ store: String) -> String? {
        let fm = FileManager.default
        for experiment in (try? fm.contentsOfDirectory(atPath: store)) ?? [] where experiment != "0" {
            let directory = "\(store)/\(experiment)"
            for run in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where run.count == 32 {
                guard !fm.fileExists(atPath: "\(directory)/\(run)/tags/mlflow.parentRunId"),
                      let meta = try? String(contentsOfFile: "\(directory)/\(run)/meta.yaml", encoding: .utf8)
                else { continue }
                return meta.split(separator: "\n").first { $0.hasPrefix("status:") }.map(String.init)
            }
        }
        return nil
    }

    @Test func sigtermStopsTrialsAndTheirChildrenAndTellsHowToResume() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let pidFile = directory.file("child.pid")
        var text = try String(contentsOfFile: Self.experiment(directory, external: true), encoding: .utf8)
        text = text.replacingOccurrences(
            of: "sleep 0.3;", with: "sleep 60 & echo $! >> \(pidFile); wait;")
        let experiment = directory.write("slow.yaml", text)
        let output = directory.file("out")
        let process = try TunekitProcess.launch(
            ["tune", experiment, "--output", output, "--model-version", "v1"],
            stdout: directory.file("stdout"), stderr: directory.file("stderr"))
        try Self.waitFor(seconds: 30) {
            ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").split(separator: "\n").count >= 2
        }
        // A second run of the same version is refused while this one holds the run lock.
        let second = try Self.tune(experiment, output)
        #expect(second.status == 1, "\(second.stderr)")
        #expect(second.stderr.contains("another tune run is using model version v1"), "\(second.stderr)")

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143)
        let stderr = try String(contentsOfFile: directory.file("stderr"), encoding: .utf8)
        #expect(stderr.contains("SIGTERM"), "\(stderr)")
        #expect(stderr.contains("resume with: tunekit tune"), "\(stderr)")
        let children = try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) }
        try Self.waitFor(seconds: 10) { children.allSatisfy { kill($0, 0) != 0 } }
        #expect(Self.count("interrupted", in: output + "/runs/v1/journal.jsonl") == 1)
        #expect(Self.count("trial-finished", in: output + "/runs/v1/journal.jsonl") == 0, "killed trials are re-run, not recorded as failed")
        // The trials the interruption left behind show as killed, from the journal alone.
        let trials = try TunekitProcess.run(["trials", output, "--format", "csv"])
        #expect(trials.status == 0, "\(trials.stderr)")
        let rows = trials.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 2, "\(trials.stdout)")
        #expect(rows.allSatisfy { $0.contains(",FAIL,KILLED,") }, "\(trials.stdout)")
        let store = directory.file("mlruns")
        #expect(try TunekitProcess.run(["export", "mlflow", output, "--to", store]).status == 0)
        #expect(Self.parentStatus(store) == "status: 5", "KILLED: the run was interrupted")
    }

    /// A trial that double-forks daemons out of its process group (`setsid … &`; `$$$$` is `$$` once Kubernetes has
    /// expanded the command), one of them with its environment cleared: they end with the run, as a pod's processes end
    /// with the pod.
    @Test func daemonsATrialDetachesEndWithIt() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let pidFile = directory.file("daemons.pid")
        var text = try String(contentsOfFile: Self.experiment(directory, external: true, maxTrials: 2), encoding: .utf8)
        text = text.replacingOccurrences(
            of: "sleep 0.3;",
            with: "setsid sh -c 'echo $$$$ >> \(pidFile); exec sleep 300' </dev/null >/dev/null 2>&1 & "
                + "setsid sh -c 'echo $$$$ >> \(pidFile); exec env -i /bin/sleep 301' </dev/null >/dev/null 2>&1 & sleep 0.3;")
        let experiment = directory.write("daemons.yaml", text)
        let result = try Self.tune(experiment, directory.file("out"))
        #expect(result.status == 0, "\(result.stderr)")
        let daemons = try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) }
        #expect(daemons.count == 4)
        try Self.waitFor(seconds: 10) { daemons.allSatisfy(Self.isGone) }
    }

    /// No such process, or a zombie waiting to be reaped by whoever adopted it.
    static func isGone(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return true
        }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// Starts `tune` on an external-trial experiment and SIGKILLs it once two trials have finished.
    static func killAfterTwoTrials(_ experiment: String, output: String, in directory: TemporaryDirectory) throws {
        let process = try TunekitProcess.launch(
            ["tune", experiment, "--output", output, "--model-version", "v1"],
            stdout: directory.file("killed.out"), stderr: directory.file("killed.err"))
        try waitFor(seconds: 60) { count("trial-finished", in: output + "/runs/v1/journal.jsonl") >= 2 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Runs in-process `tune` with the failpoint that SIGKILLs it after its second trial.
    static func killAfterTrialTwo(_ experiment: String, _ output: String, _ extra: [String] = []) throws {
        let killed = try tune(experiment, output, extra, environment: ["TUNEKIT_FAILPOINT": "after-trial-2"])
        #expect(killed.status == 9 || killed.status == 137, "\(killed.stderr)")
    }

    static func count(_ event: String, in journal: String) -> Int {
        ((try? String(contentsOfFile: journal, encoding: .utf8)) ?? "").components(separatedBy: "\"event\":\"\(event)\"").count - 1
    }

    struct Timeout: Error {}

    static func waitFor(seconds: Double, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw Timeout() }
            usleep(50_000)
        }
    }
}
