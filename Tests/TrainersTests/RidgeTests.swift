import NumericKernels
import TestSupport
import Testing
@testable import Trainers

@Suite struct RidgeTests {
    static let train = Dataset(
        featureNames: ["a", "b", "year", "constant"],
        features: Matrix(rows: RidgeReference.trainRows, columns: 4, storage: RidgeReference.trainFeatures),
        target: RidgeReference.trainTarget)
    static let test = Matrix(rows: RidgeReference.testRows, columns: 4, storage: RidgeReference.testFeatures)

    static func fit(_ c: RidgeReference.Case) throws -> RidgeModel {
        let parameters = try RidgeTrainer.parameterTable.resolve([
            ("alpha", String(c.alpha)), ("standardize", String(c.standardize)), ("fit_intercept", String(c.fitIntercept)),
        ])
        return try RidgeTrainer.fit(try RidgeTrainer.prepare(train), parameters: parameters)
    }

    @Test(arguments: RidgeReference.cases.indices)
    func matchesScikitLearn(_ index: Int) throws {
        let reference = RidgeReference.cases[index]
        let model = try Self.fit(reference)
        #expect(model.solver == "cholesky")
        for (ours, theirs) in zip(model.predict(Self.test), reference.predictions) {
            #expect(isClose(ours, theirs, relative: 1e-8), "case \(index): \(ours) vs scikit-learn \(theirs)")
        }
    }

    @Test func alphaPathEqualsIndividualFits() throws {
        let prepared = try RidgeTrainer.prepare(Self.train)
        let alphas = [0.1, 1, 10, 1000]
        let path = try RidgeTrainer.fitPath(prepared, alphas: alphas)
        for (alpha, model) in zip(alphas, path) {
            let single = try Self.fit(.init(standardize: true, fitIntercept: true, alpha: alpha, predictions: []))
            for (a, b) in zip(model.predict(Self.test), single.predict(Self.test)) {
                #expect(isClose(a, b, relative: 1e-9))
            }
        }
    }

    @Test func singularSystemFallsBackToLeastSquares() throws {
        // Two identical columns and alpha 0: XᵀX is singular; the minimum-norm solution still fits y = 1 + 2x exactly.
        let xs: [Double] = [0, 1, 2, 3, 4, 5]
        let data = Dataset(featureNames: ["x", "copy"], columns: [xs, xs], target: xs.map { 1 + 2 * $0 })
        let parameters = try RidgeTrainer.parameterTable.resolve([("alpha", "0"), ("standardize", "false")])
        let model = try RidgeTrainer.fit(try RidgeTrainer.prepare(data), parameters: parameters)
        #expect(model.solver == "lstsq")
        #expect(abs(model.coefficients[0] - 1) < 1e-9 && abs(model.coefficients[1] - 1) < 1e-9)
        #expect(abs(model.predict(Matrix(rows: 1, columns: 2, storage: [10, 10]))[0] - 21) < 1e-9)
    }

    @Test func missingFeatureValuesAreRejectedWithTheColumnName() {
        let data = Dataset(featureNames: ["x", "z"], columns: [[1, 2, 3], [1, .nan, 3]], target: [1, 2, 3])
        #expect {
            try RidgeTrainer.prepare(data)
        } throws: { error in
            "\(error)".contains("'z'") && "\(error)".contains("row 2")
        }
    }

    @Test func savedModelPredictsIdentically() throws {
        let model = try Self.fit(RidgeReference.cases[1])
        let data = try JSONEncoder().encode(model)
        let loaded = try TrainerRegistry.decodeModel(kind: "ridge", from: data)
        #expect(loaded.predict(Self.test) == model.predict(Self.test))
        #expect(loaded.parameters == model.parameters)
    }

    @Test func sameDataSameModel() throws {
        #expect(try Self.fit(RidgeReference.cases[2]) == Self.fit(RidgeReference.cases[2]))
    }
}

import Foundation
