@testable import ModelTraining
import Testing

@Suite struct TrainInvocationTests {
    @Test func optionsAndHyperparametersAsKatibWritesThem() throws {
        let invocation = try TrainInvocation.parse([
            "--trainer=ridge", "--data", "datasets/seoul-traffic", "--alpha=0.5", "--standardize=false",
            "--model-version=2025-06-01", "--output", "out", "--force",
        ])
        #expect(invocation.trainer == "ridge")
        #expect(invocation.data.path == "datasets/seoul-traffic")
        #expect(invocation.hyperparameters.map { "\($0.name)=\($0.value)" } == ["alpha=0.5", "standardize=false"])
        #expect(invocation.modelVersion == "2025-06-01")
        #expect(invocation.output == "out")
        #expect(invocation.force)
        #expect(invocation.data.validFraction == 0.2)
        #expect(invocation.data.testMonths == 1)
    }

    @Test func modelVersionDefaultsToTheEnvironmentsOnlyWithOutput() throws {
        let published = try TrainInvocation.parse(["--data", "x", "--output", "out"], defaultModelVersion: "2026-12-02")
        #expect(published.modelVersion == "2026-12-02")
        let explicit = try TrainInvocation.parse(["--data", "x", "--output", "out", "--model-version=v9"], defaultModelVersion: "env")
        #expect(explicit.modelVersion == "v9")
        // A trial (no --output) ignores MODEL_VERSION: it publishes nothing.
        #expect(try TrainInvocation.parse(["--data", "x"], defaultModelVersion: "env").modelVersion == nil)
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(["--data", "x", "--output", "out"], defaultModelVersion: "") }
    }

    @Test(arguments: [
        (["--alpha=1"], "invalid train arguments: --data is required"),
        (["--data", "x", "--alpha"], "invalid train arguments: unknown option --alpha; hyperparameters are written --NAME=VALUE"),
        (["--data", "x", "--valid-fraction=1.5"], "invalid train arguments: --valid-fraction must be in [0, 1)"),
        (["--data", "x", "--valid=v.csv", "--valid-fraction=0.1"], "invalid train arguments: give either --valid or --valid-fraction, not both"),
        (["--data", "x", "--model-version=v1"], "invalid train arguments: --model-version needs --output DIR"),
        (["--data", "x", "--output=out"], "invalid train arguments: --output needs a version to publish under: --model-version V, or set MODEL_VERSION"),
        (["data.csv"], "invalid train arguments: unexpected argument 'data.csv'; options start with --"),
        (["--data", "x", "--data", "y"], "invalid train arguments: --data is given twice"),
    ])
    func badArgumentsSayWhatIsWrong(arguments: [String], message: String) {
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(arguments) }
        do { _ = try TrainInvocation.parse(arguments) } catch { #expect(error.description == message) }
    }

    @Test func parallelInProcessTrialsShareTheCores() throws {
        let gbdt = try TrainInvocation.parse(["--trainer=gbdt", "--data=d.csv", "--num_leaves=7"])
        func threads(_ invocation: TrainInvocation) -> String? {
            invocation.hyperparameters.last { $0.name == "num_threads" }?.value
        }
        #expect(threads(gbdt.sharingCores(among: 2, cores: 2)) == "1")
        #expect(threads(gbdt.sharingCores(among: 2, cores: 8)) == "4")
        #expect(threads(gbdt.sharingCores(among: 3, cores: 2)) == "1")
        #expect(gbdt.sharingCores(among: 1, cores: 8) == gbdt, "one trial at a time keeps every core")
        let explicit = try TrainInvocation.parse(["--trainer=gbdt", "--data=d.csv", "--n-jobs=2"])
        #expect(explicit.sharingCores(among: 2, cores: 2) == explicit, "a trial's own thread count (any alias) wins")
        let ridge = try TrainInvocation.parse(["--data=d.csv", "--alpha=2"])
        #expect(ridge.sharingCores(among: 2, cores: 2) == ridge, "ridge takes no num_threads")
    }

    @Test func classificationAndTableOptions() throws {
        let invocation = try TrainInvocation.parse([
            "--data", "bike.csv", "--target", "count", "--date-columns=Date,When", "--categorical-columns", "Seasons",
            "--target-above=3000",
        ])
        #expect(invocation.data.dateColumns == ["Date", "When"] && invocation.data.categoricalColumns == ["Seasons"])
        #expect(invocation.data.targetAbove == 3000)
        #expect(invocation.notes.isEmpty && !invocation.hyperparameters.contains { $0.name == "objective" }, "ridge has no objective")
        let gbdt = try TrainInvocation.parse(["--data", "x.csv", "--trainer", "gbdt", "--target-above=3000"])
        #expect(gbdt.hyperparameters.map { "\($0.name)=\($0.value)" } == ["objective=binary"])
        #expect(gbdt.notes.count == 1)
        let explicit = try TrainInvocation.parse(["--data", "x.csv", "--trainer", "gbdt", "--target-above=3000", "--loss=cross_entropy"])
        #expect(explicit.hyperparameters.map { "\($0.name)=\($0.value)" } == ["loss=cross_entropy"])
        #expect(explicit.notes.isEmpty)
        #expect(throws: TunekitError.self) { try TrainInvocation.parse(["--data", "x.csv", "--target-above=lots"]) }
    }
}
