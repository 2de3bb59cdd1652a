import CLapack

/// Dense symmetric and least-squares solvers over LAPACK (OpenBLAS), column-major.
public enum DenseSolvers {
    /// The Gram matrix `XᵀX` (upper and lower triangles filled) of a column-major `rows × columns` matrix.
    public static func gram(_ x: Matrix) -> Matrix {
        _ = singleThreaded
        let n = x.columns
        var c = [Double](repeating: 0, count: n * n)
        guard x.rows > 0, n > 0 else { return Matrix(rows: n, columns: n, storage: c) }
        x.storage.withUnsafeBufferPointer { a in
            c.withUnsafeMutableBufferPointer { out in
                cblas_dsyrk(
                    CblasColMajor, CblasUpper, CblasTrans, Int32(n), Int32(x.rows),
                    1.0, a.baseAddress, Int32(x.rows), 0.0, out.baseAddress, Int32(n))
            }
        }
        for j in 0..<n { for i in (j + 1)..<max(j + 1, n) { c[i + j * n] = c[j + i * n] } }
        return Matrix(rows: n, columns: n, storage: c)
    }

    /// `Xᵀ diag(w) Z` for column-major `X` (n × p) and `Z` (n × q) with row weights `w` of any sign (BLAS dgemm).
    public static func weightedCrossProduct(_ x: Matrix, _ weights: [Double], _ z: Matrix) -> Matrix {
        _ = singleThreaded
        precondition(weights.count == x.rows && z.rows == x.rows, "one weight per row")
        var scaled = z.storage
        for j in 0..<z.columns { for i in 0..<z.rows { scaled[i + j * z.rows] *= weights[i] } }
        var c = [Double](repeating: 0, count: x.columns * z.columns)
        guard x.rows > 0, x.columns > 0, z.columns > 0 else { return Matrix(rows: x.columns, columns: z.columns, storage: c) }
        x.storage.withUnsafeBufferPointer { a in
            scaled.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { out in
                    cblas_dgemm(
                        CblasColMajor, CblasTrans, CblasNoTrans, Int32(x.columns), Int32(z.columns), Int32(x.rows),
                        1.0, a.baseAddress, Int32(x.rows), b.baseAddress, Int32(x.rows), 0.0, out.baseAddress, Int32(x.columns))
                }
            }
        }
        return Matrix(rows: x.columns, columns: z.columns, storage: c)
    }

    /// `Xᵀy` for a column-major matrix `X`.
    public static func transposeMultiply(_ x: Matrix, _ y: [Double]) -> [Double] {
        _ = singleThreaded
        precondition(y.count == x.rows, "vector length does not match the row count")
        var out = [Double](repeating: 0, count: x.columns)
        guard x.rows > 0, x.columns > 0 else { return out }
        x.storage.withUnsafeBufferPointer { a in
            y.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    cblas_dgemv(
                        CblasColMajor, CblasTrans, Int32(x.rows), Int32(x.columns), 1.0,
                        a.baseAddress, Int32(x.rows), v.baseAddress, 1, 0.0, o.baseAddress, 1)
                }
            }
        }
        return out
    }

    /// The lower Cholesky factor of a symmetric positive definite matrix, with LAPACK's reciprocal condition estimate.
    public static func cholesky(_ a: Matrix) throws(LinearAlgebraError) -> (factor: Matrix, reciprocalCondition: Double) {
        _ = singleThreaded
        precondition(a.rows == a.columns, "Cholesky needs a square matrix")
        let n = Int32(a.rows)
        var factor = a
        let uplo = CChar(UInt8(ascii: "L"))
        let norm = factor.storage.withUnsafeBufferPointer { p in
            LAPACKE_dlansy(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "1")), uplo, n, p.baseAddress, max(1, n))
        }
        let info = factor.storage.withUnsafeMutableBufferPointer { p in
            LAPACKE_dpotrf(LAPACK_COL_MAJOR, uplo, n, p.baseAddress, max(1, n))
        }
        if info > 0 { throw .notPositiveDefinite(minor: Int(info)) }
        if info < 0 { throw .lapackFailure(routine: "dpotrf", info: Int(info)) }
        var rcond = 0.0
        let conInfo = factor.storage.withUnsafeBufferPointer { p in
            LAPACKE_dpocon(LAPACK_COL_MAJOR, uplo, n, p.baseAddress, max(1, n), norm, &rcond)
        }
        if conInfo != 0 { throw .lapackFailure(routine: "dpocon", info: Int(conInfo)) }
        for j in 0..<a.columns { for i in 0..<j { factor[i, j] = 0 } }
        return (factor, rcond)
    }

    /// Solves `A x = b` given the lower Cholesky factor `L` of `A`.
    public static func choleskySolve(factor: Matrix, _ b: [Double]) throws(LinearAlgebraError) -> [Double] {
        _ = singleThreaded
        let n = Int32(factor.rows)
        var x = b
        var l = factor.storage
        let info = l.withUnsafeMutableBufferPointer { lp in
            x.withUnsafeMutableBufferPointer { xp in
                LAPACKE_dpotrs(
                    LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), n, 1, lp.baseAddress, max(1, n),
                    xp.baseAddress, max(1, n))
            }
        }
        if info != 0 { throw .lapackFailure(routine: "dpotrs", info: Int(info)) }
        return x
    }

    /// `A⁻¹` (both triangles filled) from the lower Cholesky factor of `A` (LAPACK dpotri).
    public static func choleskyInverse(factor: Matrix) throws(LinearAlgebraError) -> Matrix {
        _ = singleThreaded
        let n = factor.rows
        var inverse = factor
        let info = inverse.storage.withUnsafeMutableBufferPointer { p in
            LAPACKE_dpotri_work(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), p.baseAddress, Int32(max(1, n)))
        }
        if info != 0 { throw .lapackFailure(routine: "dpotri", info: Int(info)) }
        for j in 0..<n { for i in 0..<j { inverse[i, j] = inverse[j, i] } }
        return inverse
    }

    /// Solves `L X = B` for a lower-triangular `L` and every column of `B` at once (BLAS dtrsm).
    public static func lowerTriangularSolve(factor: Matrix, _ b: Matrix) -> Matrix {
        _ = singleThreaded
        precondition(factor.rows == factor.columns && b.rows == factor.rows, "shapes do not match")
        var x = b
        guard b.rows > 0, b.columns > 0 else { return x }
        factor.storage.withUnsafeBufferPointer { l in
            x.storage.withUnsafeMutableBufferPointer { v in
                cblas_dtrsm(
                    CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, Int32(b.rows), Int32(b.columns),
                    1.0, l.baseAddress, Int32(b.rows), v.baseAddress, Int32(b.rows))
            }
        }
        return x
    }

    /// OpenBLAS runs single-threaded in every process that uses these solvers, set once before the first call.
    /// tunekit parallelises above BLAS (trials, tree blocks, requests) and its matrices are small, where BLAS threads
    /// only spin; and OpenBLAS's threaded kernels, entered from two threads at once, spin forever.
    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// Minimum-norm least-squares solution of `A x ≈ b` by SVD (dgelsd); robust to rank deficiency.
    public static func leastSquares(_ a: Matrix, _ b: [Double]) throws(LinearAlgebraError) -> [Double] {
        _ = singleThreaded
        precondition(b.count == a.rows, "right-hand side length does not match the row count")
        let m = Int32(a.rows), n = Int32(a.columns)
        let ldb = max(m, n, 1)
        var rhs = b + [Double](repeating: 0, count: Int(ldb) - b.count)
        var work = a.storage
        var singular = [Double](repeating: 0, count: Int(min(m, n)) + 1)
        var rank: Int32 = 0
        let info = work.withUnsafeMutableBufferPointer { ap in
            rhs.withUnsafeMutableBufferPointer { bp in
                singular.withUnsafeMutableBufferPointer { sp in
                    LAPACKE_dgelsd(
                        LAPACK_COL_MAJOR, m, n, 1, ap.baseAddress, max(1, m), bp.baseAddress, ldb,
                        sp.baseAddress, -1.0, &rank)
                }
            }
        }
        if info != 0 { throw .lapackFailure(routine: "dgelsd", info: Int(info)) }
        return Array(rhs.prefix(Int(n)))
    }

    /// Eigen-decomposition of a symmetric matrix (dsyevd): ascending eigenvalues, orthonormal eigenvectors as columns.
    public static func symmetricEigen(_ a: Matrix) throws(LinearAlgebraError) -> (values: [Double], vectors: Matrix) {
        _ = singleThreaded
        precondition(a.rows == a.columns, "eigen-decomposition needs a square matrix")
        let n = Int32(a.rows)
        var vectors = a
        var values = [Double](repeating: 0, count: a.rows)
        let info = vectors.storage.withUnsafeMutableBufferPointer { p in
            values.withUnsafeMutableBufferPointer { w in
                LAPACKE_dsyevd(
                    LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")), n,
                    p.baseAddress, max(1, n), w.baseAddress)
            }
        }
        if info != 0 { throw .lapackFailure(routine: "dsyevd", info: Int(info)) }
        return (values, vectors)
    }
}
