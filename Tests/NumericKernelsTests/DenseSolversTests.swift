import NumericKernels
import Testing

@Suite struct DenseSolversTests {
    @Test func choleskySolvesAHandComputedSystem() throws {
        // [[4, 2], [2, 3]] x = [2, 1]  ⇒  x = [0.5, 0].
        let a = Matrix(rows: 2, columns: 2, storage: [4, 2, 2, 3])
        let (factor, rcond) = try DenseSolvers.cholesky(a)
        #expect(abs(factor[0, 0] - 2) < 1e-15)
        #expect(abs(factor[1, 0] - 1) < 1e-15)
        #expect(abs(factor[1, 1] - 2.0.squareRoot()) < 1e-15)
        #expect(factor[0, 1] == 0)
        #expect(rcond > 0.1)
        let x = try DenseSolvers.choleskySolve(factor: factor, [2, 1])
        #expect(abs(x[0] - 0.5) < 1e-15 && abs(x[1]) < 1e-15)
    }

    @Test func triangularSolveOfManyColumnsByHand() {
        let l = Matrix(rows: 3, columns: 3, storage: [2, 1, -1, 0, 3, 0.5, 0, 0, 4])
        let b = Matrix(rows: 3, columns: 2, storage: [2, 7, 3.5, -1, 0, 8])
        let together = DenseSolvers.lowerTriangularSolve(factor: l, b)
        // Forward substitution, column 0: x = [1, 2, (3.5 + 1 − 1)/4]; column 1: x = [−0.5, 0.5/3, (8 − 0.5 − 0.5/6)/4].
        #expect(together[0, 0] == 1 && together[1, 0] == 2 && abs(together[2, 0] - 0.875) < 1e-15)
        #expect(together[0, 1] == -0.5 && abs(together[1, 1] - 0.5 / 3) < 1e-15)
        #expect(abs(together[2, 1] - (8 - 0.5 - 0.5 / 6) / 4) < 1e-15)
    }

    @Test func choleskyRejectsIndefiniteMatrices() {
        let a = Matrix(rows: 2, columns: 2, storage: [1, 2, 2, 1])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(minor: 2)) { try DenseSolvers.cholesky(a) }
    }

    @Test func leastSquaresRecoversAnExactLine() throws {
        // y = 1 + 2x at x = 0…4, with a duplicated column (rank deficient): minimum-norm splits the slope.
        let xs: [Double] = [0, 1, 2, 3, 4]
        let a = Matrix(rows: 5, columns: 3, storage: Array(repeating: 1, count: 5) + xs + xs)
        let solution = try DenseSolvers.leastSquares(a, xs.map { 1 + 2 * $0 })
        #expect(abs(solution[0] - 1) < 1e-12)
        #expect(abs(solution[1] - 1) < 1e-12 && abs(solution[2] - 1) < 1e-12)
    }

    @Test func symmetricEigenOfATwoByTwo() throws {
        let (values, vectors) = try DenseSolvers.symmetricEigen(Matrix(rows: 2, columns: 2, storage: [2, 1, 1, 2]))
        #expect(abs(values[0] - 1) < 1e-14 && abs(values[1] - 3) < 1e-14)
        #expect(abs(abs(vectors[0, 1]) - 0.5.squareRoot()) < 1e-14)
    }

    @Test func gramAndTransposeMultiplyMatchTheDefinition() {
        let x = Matrix(rows: 3, columns: 2, storage: [1, 2, 3, 4, 5, 6])
        let g = DenseSolvers.gram(x)
        #expect(g.storage == [14, 32, 32, 77])
        #expect(DenseSolvers.transposeMultiply(x, [1, 0, 1]) == [4, 10])
    }
}
