import Foundation
import NumericKernels
import TestSupport
import Testing
@testable import Trainers

@Suite struct LogisticTests {
    static func fit(_ data: Dataset, _ raw: [(String, String)]) throws -> LogisticModel {
        try LogisticTrainer.fit(LogisticTrainer.prepare(data), parameters: LogisticTrainer.parameterTable.resolve(raw))
    }

    static func dataset(rows: Int, features: [Double], target: [Double]) -> Dataset {
        Dataset(featureNames: ["a", "b", "year", "constant"], features: Matrix(rows: rows, columns: 4, storage: features), target: target)
    }

    /// Coefficients, intercepts and probabilities equal scikit-learn's LogisticRegression (recorded by
    /// Tools/reference/logistic_reference.py) to 1e-6, for two classes (labels 3 and 7) and three.
    @Test(arguments: ["binary", "multiclass"])
    func matchesScikitLearn(kind: String) throws {
        let data = kind == "binary"
            ? Self.dataset(rows: LogisticReference.binaryRows, features: LogisticReference.binaryFeatures, target: LogisticReference.binaryTarget)
            : Self.dataset(rows: LogisticReference.multiclassRows, features: LogisticReference.multiclassFeatures, target: LogisticReference.multiclassTarget)
        let test = Matrix(rows: LogisticReference.testRows, columns: 4, storage: LogisticReference.testFeatures)
        for reference in kind == "binary" ? LogisticReference.binaryCases : LogisticReference.multiclassCases {
            let model = try Self.fit(data, [
                ("C", String(reference.c)), ("standardize", String(reference.standardize)),
                ("fit_intercept", String(reference.fitIntercept)),
            ])
            let label = "\(kind) standardize=\(reference.standardize) intercept=\(reference.fitIntercept) C=\(reference.c)"
            #expect(model.converged, "\(label)")
            #expect(model.coefficients.count == reference.coefficients.count)
            for (ours, theirs) in zip(model.coefficients, reference.coefficients) {
                for (a, b) in zip(ours, theirs) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b)), "\(label): \(a) vs \(b)") }
            }
            for (a, b) in zip(model.intercepts, reference.intercepts) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b)), "\(label): intercept \(a) vs \(b)") }
            guard case .probabilities(let probabilities, let classes) = model.predictions(test) else {
                Issue.record("a classifier predicts probabilities")
                continue
            }
            #expect(classes == (kind == "binary" ? [3, 7] : [0, 1, 2]))
            for (ours, theirs) in zip(probabilities, reference.probabilities) {
                for (a, b) in zip(ours, theirs) { #expect(abs(a - b) <= 1e-6, "\(label): probability \(a) vs \(b)") }
            }
        }
    }

    @Test func alphaIsTheInverseOfC() throws {
        let data = Self.dataset(rows: LogisticReference.binaryRows, features: LogisticReference.binaryFeatures, target: LogisticReference.binaryTarget)
        #expect(try Self.fit(data, [("alpha", "4")]).coefficients == Self.fit(data, [("C", "0.25")]).coefficients)
    }

    @Test func badInputIsRefusedWithTheReason() {
        let missing = Dataset(featureNames: ["x"], columns: [[1, .nan, 3]], target: [0, 1, 0])
        #expect { try Self.fit(missing, []) } throws: { "\($0)".contains("complete numeric features; row 2 is missing") }
        let one = Dataset(featureNames: ["x"], columns: [[1, 2, 3]], target: [1, 1, 1])
        #expect { try Self.fit(one, []) } throws: { "\($0)".contains("at least two classes") }
        let fractional = Dataset(featureNames: ["x"], columns: [[1, 2, 3]], target: [0, 0.5, 2])
        #expect { try Self.fit(fractional, []) } throws: { "\($0)".contains("class labels 0, 1") }
        // Ten classes (labels up to 9) × 501 coefficients: a Newton system too large to solve.
        let wide = Dataset(featureNames: (0..<500).map { "x\($0)" }, columns: (0..<500).map { _ in [0, 1, 2, 3] }, target: [0, 1, 2, 9])
        #expect { try LogisticTrainer.prepare(wide) } throws: { "\($0)".contains("accepts at most 4096") }
        let two = Dataset(featureNames: ["x"], columns: [[1, 2, 3]], target: [0, 1, 0])
        #expect { try Self.fit(two, [("penalty", "l1")]) } throws: { "\($0)".contains("L1 penalty is not implemented") }
    }

    @Test func savedModelPredictsTheSame() throws {
        let data = Self.dataset(rows: LogisticReference.multiclassRows, features: LogisticReference.multiclassFeatures, target: LogisticReference.multiclassTarget)
        let model = try Self.fit(data, [])
        let decoded = try JSONDecoder().decode(LogisticModel.self, from: JSONEncoder().encode(model))
        #expect(decoded.predictions(data.features) == model.predictions(data.features))
    }
}
