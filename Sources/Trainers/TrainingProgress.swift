/// A fit in progress, reported to whoever bound an observer around it (early stopping of tuning trials).
public enum TrainingProgress {
    /// Called by iterative trainers (gbdt) after each iteration with the validation predictions and targets; returning
    /// false stops the fit there. Bind it for one fit with `TrainingProgress.$observer.withValue(…) { … }`.
    @TaskLocal public static var observer: (@Sendable (_ predictions: [Double], _ targets: [Double]) -> Bool)?
}
