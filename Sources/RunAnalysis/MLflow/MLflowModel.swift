import Foundation
import ModelArtifacts
import ModelRegistry
import ModelTraining
import NumericKernels
import StrictJSON
import Trainers

/// A published model directory as an MLflow model (the files of the artifact folder `model/`): `MLmodel` with the
/// `python_function` flavour for every trainer (the loader `code/tunekit_mlflow.py` predicts raw rows as
/// `tunekit predict` does) and, for gbdt, the `lightgbm` flavour (a `lightgbm.Booster` from `model.txt`, for encoded
/// rows); the model's own files under `data/`, a signature, an input example and the Python requirements.
enum MLflowModel {
    /// The artifact path the model is logged under.
    static let artifactPath = "model"

    /// The loader module's name and source (embedded in the binary).
    static let loaderModule = "tunekit_mlflow"
    static var loaderSource: Data { Data(PackageResources.tunekit_mlflow_py) }

    /// Relative path → contents of every file of the MLflow model for `directory` (a published `model/<V>/`).
    static func files(directory: String, runID: String, createdAt: Date = Date()) throws(TunekitError) -> [(path: String, data: Data)] {
        let served = try ModelBundle.loadVersion(directory: directory)
        let record = served.record
        var files: [(path: String, data: Data)] = []
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw .artifacts("\(directory): cannot list the model's files")
        }
        for name in names where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            files.append(("data/\(name)", data))
        }
        files.append(("code/\(loaderModule).py", loaderSource))
        let isGBDT = record.trainer == "gbdt"
        files.append(("requirements.txt", Data((["mlflow", "numpy", "pandas"] + (isGBDT ? ["lightgbm"] : [])).joined(separator: "\n").utf8 + [10])))
        let example = try inputExample(directory: directory, served: served)
        files.append(("input_example.json", example))

        var flavors = """
            flavors:
              python_function:
                code: code
                data: data
                loader_module: \(loaderModule)

            """
        if isGBDT {
            flavors += """
                  lightgbm:
                    code: null
                    data: data/model.txt
                    model_class: lightgbm.basic.Booster

                """
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
        let mlmodel = """
            artifact_path: \(artifactPath)
            \(flavors)model_uuid: \(MLflowExport.hexID("model", runID, served.version))
            run_id: \(runID)
            saved_input_example_info:
              artifact_path: input_example.json
              pandas_orient: split
              type: dataframe
            signature:
              inputs: \(MLflowExport.yamlString(signatureInputs(served)))
              outputs: \(MLflowExport.yamlString(signatureOutputs(served)))
              params: null
            utc_time_created: '\(formatter.string(from: createdAt))'

            """
        files.append(("MLmodel", Data(mlmodel.utf8)))
        return files
    }

    /// The raw input columns: text for categories and dates, double otherwise (MLflow's ColSpec JSON).
    static func signatureInputs(_ served: ServedModel) -> String {
        let categories = served.record.encoding.categories
        let dates = Set((served.record.encoding.dates ?? []).map(\.name))
        let columns = served.inputColumns.map { column -> JSONValue in
            let type = categories[column] != nil || dates.contains(column) ? "string" : "double"
            return ["type": .string(type), "name": .string(column), "required": true]
        }
        return json(.array(columns))
    }

    /// `prediction` (double, or string class names) and a classifier's probability columns.
    static func signatureOutputs(_ served: ServedModel) -> String {
        var columns: [JSONValue] = [
            ["type": .string(served.targetClasses == nil ? "double" : "string"), "name": "prediction", "required": true],
        ]
        if served.isClassifier {
            let empty = served.predict(encoded: .init(rows: 0, columns: served.featureNames.count, storage: []))
            if case .probabilities(_, let classes) = empty {
                let names = classes.count == 2
                    ? ["probability"]
                    : classes.map { label in
                        "probability_" + (served.targetClasses.flatMap { label >= 0 && Int(label) < $0.count ? $0[Int(label)] : nil }
                            ?? DataTable.format(label))
                    }
                columns += names.map { ["type": "double", "name": .string($0), "required": true] }
            }
        }
        return json(.array(columns))
    }

    /// Up to three rows of the model's reference sample as raw input rows (date parts back to ISO dates), in
    /// pandas' split orient.
    static func inputExample(directory: String, served: ServedModel) throws(TunekitError) -> Data {
        let path = (directory as NSString).appendingPathComponent(ReferenceSample.fileName)
        let table: DataTable
        do { table = try DataTable.read(csv: path) } catch {
            throw .artifacts("\(path): cannot read the reference sample for the input example: \(error.description)")
        }
        let rows = min(3, table.rowCount)
        let dates = Dictionary((served.record.encoding.dates ?? []).map { ($0.name, $0) }) { a, _ in a }
        var data: [[JSONValue]] = Array(repeating: [], count: rows)
        for column in served.inputColumns {
            for row in 0..<rows {
                if let date = dates[column] {
                    let part = { (name: String) in table.column(named: "\(column)_\(name)").map { number($0, row) } ?? .nan }
                    let (year, month, day, hour) = (part("year"), part("month"), part("day"), date.hasTime ? part("hour") : .nan)
                    guard year.isFinite, month.isFinite, day.isFinite else {
                        data[row].append(.null)
                        continue
                    }
                    var text = String(format: "%04d-%02d-%02d", Int(year), Int(month), Int(day))
                    if hour.isFinite { text += String(format: "T%02d", Int(hour)) }
                    data[row].append(.string(text))
                } else if let cells = table.column(named: column) {
                    if served.record.encoding.categories[column] != nil {
                        let text = cells.text(row)
                        data[row].append(text.isEmpty ? .null : .string(text))
                    } else {
                        let value = number(cells, row)
                        data[row].append(value.isFinite ? .number(value) : .null)
                    }
                } else {
                    data[row].append(.null)
                }
            }
        }
        return Data(json(["columns": .array(served.inputColumns.map(JSONValue.string)), "data": .array(data.map(JSONValue.array))]).utf8)
    }

    private static func number(_ column: DataTable.Column, _ row: Int) -> Double {
        switch column {
        case .numeric(let values): values[row]
        case .text(let values): Double(values[row]) ?? .nan
        }
    }

    private static func json(_ value: JSONValue) -> String {
        String(decoding: JSONWriter.document { $0.value(value) }, as: UTF8.self)
    }
}
