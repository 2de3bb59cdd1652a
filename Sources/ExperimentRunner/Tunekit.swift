import NumericKernels

/// The tunekit release, recorded in every artifact.
public enum Tunekit {
    public static let version = "0.1.0"

    /// Process-wide setup every entry point runs first: BLAS stays single-threaded, because tunekit parallelises
    /// above it (trials, tree blocks, requests) and its matrices are small enough that BLAS threads only spin.
    public static func prepareProcess() {
        DenseSolvers.limitThreads(to: 1)
    }
}
