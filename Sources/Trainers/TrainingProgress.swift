/// Watches an iterative fit (gbdt) for early stopping of tuning trials: called after each iteration with the
/// validation predictions and targets; returning false stops the fit there.
public typealias FitObserver = @Sendable (_ predictions: [Double], _ targets: [Double]) -> Bool
