/// Failures of the dense solvers; each says which routine failed and why.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// The matrix is not (numerically) positive definite: Cholesky failed at the given leading minor.
    case notPositiveDefinite(minor: Int)
    /// A LAPACK routine returned a non-zero status.
    case lapackFailure(routine: String, info: Int)

    public var description: String {
        switch self {
        case .notPositiveDefinite(let minor):
            "matrix is not positive definite (leading minor \(minor) is not positive)"
        case .lapackFailure(let routine, let info):
            "LAPACK \(routine) failed with info = \(info)"
        }
    }
}
