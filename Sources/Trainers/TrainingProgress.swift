/// Watches an iterative fit (gbdt) for early stopping of tuning trials: called after each iteration with the
/// validation predictions (as the model would make them), the true targets and their weights (nil: unweighted);
/// returning false stops the fit there.
public typealias FitObserver = @Sendable (_ predictions: Predictions, _ targets: [Double], _ weights: [Double]?) -> Bool
