public import Trainers

/// Loads each data spec and prepares each trainer once, however many trials ask concurrently.
public actor TrainingCache {
    private var data: [DataSpec: Task<Result<LoadedData, TunekitError>, Never>] = [:]
    private var trainers: [TrainerKey: Task<Result<PreparedTrainer, TunekitError>, Never>] = [:]

    /// Which rows a prepared trainer was fitted on: a cross-validation fold's are the training rows of fold `n`.
    public enum Scope: Sendable, Hashable { case train, trainAndValidation, fold(Int) }

    private struct TrainerKey: Hashable {
        let spec: DataSpec
        let trainer: String
        let scope: Scope
    }

    public init() {}

    public func data(_ spec: DataSpec) async throws(TunekitError) -> LoadedData {
        let task = data[spec] ?? Task.detached { () -> Result<LoadedData, TunekitError> in
            Result { () throws(TunekitError) in try DataLoader.load(spec) }
        }
        data[spec] = task
        return try await task.value.get()
    }

    public func prepared(_ trainer: String, spec: DataSpec, scope: Scope) async throws(TunekitError) -> PreparedTrainer {
        let key = TrainerKey(spec: spec, trainer: trainer, scope: scope)
        if let task = trainers[key] { return try await task.value.get() }
        let loaded = try await data(spec)
        let task: Task<Result<PreparedTrainer, TunekitError>, Never>
        switch scope {
        case .fold(let index):
            // Restricted from the preparation on every training row (gbdt bins once for all folds).
            let all = try await prepared(trainer, spec: spec, scope: .train)
            guard let fold = loaded.folds?[index] else { throw .data("no cross-validation fold \(index + 1)") }
            task = trainers[key] ?? Task.detached {
                Result { () throws(TrainerError) in try all.restricted(to: fold.train) }.mapError { TunekitError.data($0.description) }
            }
        case .train, .trainAndValidation:
            task = trainers[key] ?? Task.detached { () -> Result<PreparedTrainer, TunekitError> in
                let rows = scope == .train ? loaded.splits.train : loaded.splits.train.appending(loaded.splits.validation)
                return Result { () throws(TrainerError) in try TrainerRegistry.prepare(trainer, data: rows) }
                    .mapError { TunekitError.data($0.description) }
            }
        }
        trainers[key] = task
        return try await task.value.get()
    }
}
