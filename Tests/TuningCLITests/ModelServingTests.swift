import Foundation
import ModelArtifacts
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

/// `tunekit serve --models` over loopback: KServe's V1 protocol and the Open Inference Protocol V2 (JSON and binary
/// tensors) must give exactly what `tunekit predict` writes, refuse hostile requests with a clear error, and log
/// predictions where asked.
@Suite(.serialized) struct ModelServingTests {
    /// Published models on a small table (numeric x1…x3, text `site`): gbdt `g1`, ridge `r1`, logistic classifier `c1`.
    final class Fixture: Sendable {
        let directory: TemporaryDirectory
        let rows: String
        let classRows: String

        var output: String { directory.file("out") }

        init() throws {
            directory = TemporaryDirectory("tunekit-serving")
            let table = directory.write("table.csv", regressionCSV(rows: 400, seed: 7))
            let classes = directory.write("classes.csv", classificationCSV(rows: 400, seed: 3, classes: ["low", "mid", "high"]))
            rows = directory.write("rows.csv", regressionCSV(rows: 40, seed: 99))
            classRows = directory.write("class-rows.csv", classificationCSV(rows: 30, seed: 5, classes: ["low", "mid", "high"]))
            let out = directory.file("out")
            for (version, arguments) in [
                ("g1", ["--trainer", "gbdt", "--data", table, "--target", "y", "--num_iterations=30", "--min_data_in_leaf=5"]),
                ("r1", ["--trainer", "ridge", "--data", table, "--target", "y", "--alpha=0.5"]),
                ("c1", ["--trainer", "logistic", "--data", classes, "--target", "label"]),
            ] {
                let result = try TunekitProcess.run(["train"] + arguments + ["--valid-fraction", "0.2", "--output", out, "--model-version", version])
                guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: result.stderr]) }
            }
        }

        /// `tunekit predict`'s `prediction` column for a version.
        func expected(_ version: String, input: String? = nil) throws -> [String] {
            let path = directory.file("pred-\(version).csv")
            let result = try TunekitProcess.run(["predict", "--model", "\(output)/model/\(version)", "--input", input ?? rows, "--output", path])
            #expect(result.status == 0, "\(result.stderr)")
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            let column = lines[0].split(separator: ",").firstIndex(of: "prediction")!
            return lines.dropFirst().map { String($0.split(separator: ",", omittingEmptySubsequences: false)[column]) }
        }

        func table(_ path: String? = nil) throws -> (header: [String], rows: [[String]]) {
            let lines = try String(contentsOfFile: path ?? rows, encoding: .utf8).split(separator: "\n")
            return (lines[0].split(separator: ",").map(String.init), lines.dropFirst().map { $0.split(separator: ",").map(String.init) })
        }
    }

    static let fixture: Fixture? = try? Fixture()

    /// A `tunekit serve --models-only` process for the duration of `body`.
    static func serving(
        _ arguments: [String], environment: [String: String] = [:], _ body: (URL) async throws -> Void
    ) async throws {
        try await ServeProcess.run(["--models-only"] + arguments, environment: environment) { try await body($0.base) }
    }

    struct Reply {
        let status: Int
        let body: Data
        let headers: [AnyHashable: Any]

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var error: String { json["error"] as? String ?? String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? {
            headers.first { ($0.key as? String)?.lowercased() == name.lowercased() }?.value as? String
        }
    }

    static func send(_ base: URL, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: base.absoluteString + "/" + path)!)
        if let body {
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return Reply(status: http?.statusCode ?? 0, body: data, headers: http?.allHeaderFields ?? [:])
    }

    static func json(_ object: Any) -> Data { try! JSONSerialization.data(withJSONObject: object) }

    /// The numbers of the first `"key":[…]` list in a reply, as printed (Foundation's JSON parser on Linux can miss
    /// the nearest double by an ulp, so numbers are compared as the text both tools print: the shortest round trip).
    static func printed(_ body: Data, _ key: String) -> [String] {
        let text = String(decoding: body, as: UTF8.self)
        guard let start = text.range(of: "\"\(key)\":[") else { return [] }
        let rest = text[start.upperBound...]
        return rest[..<(rest.firstIndex(of: "]") ?? rest.endIndex)].split(separator: ",").map(String.init)
    }

    @Test func v1AndV2AnswerWhatPredictWrites() async throws {
        let fixture = try #require(Self.fixture)
        let (header, rows) = try fixture.table()
        let instances: [[String: Any]] = rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(header, row).filter { $0.0 != "y" }.map { name, cell in
                (name, name == "site" ? cell as Any : Double(cell)! as Any)
            })
        }
        let gbdt = try fixture.expected("g1"), ridge = try fixture.expected("r1")
        try await Self.serving(["--models", fixture.output, "--model-name", "demand", "--model-version", "g1"]) { base in
            #expect(try await Self.send(base, "v2/health/ready").json["ready"] as? Bool == true)
            #expect(try await Self.send(base, "v1/models/demand").json["ready"] as? Bool == true)
            let metadata = try await Self.send(base, "v2/models/demand").json
            #expect(Set(metadata["versions"] as? [String] ?? []) == ["g1", "r1", "c1"])

            // V1, rows as objects, default version (g1).
            let v1 = try await Self.send(base, "v1/models/demand:predict", body: Self.json(["instances": instances]))
            #expect(v1.status == 200, "\(v1.error)")
            #expect(Self.printed(v1.body, "predictions") == gbdt)

            // V1, rows as lists in column order (x1, x2, x3, site).
            let lists = rows.map { row in [Double(row[0])!, Double(row[1])!, Double(row[2])!, row[3]] as [Any] }
            let v1Lists = try await Self.send(base, "v1/models/demand:predict", body: Self.json(["instances": lists]))
            #expect(Self.printed(v1Lists.body, "predictions") == gbdt, "\(v1Lists.error)")

            // V2, one JSON tensor per column, ridge by version.
            let tensors: [[String: Any]] = header.indices.filter { header[$0] != "y" }.map { k in
                header[k] == "site"
                    ? ["name": "site", "datatype": "BYTES", "shape": [rows.count], "data": rows.map { $0[k] }]
                    : ["name": header[k], "datatype": "FP64", "shape": [rows.count, 1], "data": rows.map { [Double($0[k])!] }]
            }
            let v2 = try await Self.send(base, "v2/models/demand/versions/r1/infer", body: Self.json(["id": "q-1", "inputs": tensors]))
            #expect(v2.status == 200, "\(v2.error)")
            #expect(v2.json["model_version"] as? String == "r1")
            #expect(v2.json["id"] as? String == "q-1")
            let output = try #require((v2.json["outputs"] as? [[String: Any]])?.first)
            #expect(output["name"] as? String == "output-0" && output["shape"] as? [Int] == [rows.count])
            #expect(Self.printed(v2.body, "data") == ridge)
        }
    }

    static func gzip(_ data: Data) throws -> Data {
        let scratch = TemporaryDirectory("tunekit-gzip")
        defer { scratch.remove() }
        let path = scratch.file("body")
        try data.write(to: URL(fileURLWithPath: path))
        let result = try TestProcess.runBlocking("/bin/gzip", ["-n", path])
        #expect(result.status == 0)
        return try Data(contentsOf: URL(fileURLWithPath: path + ".gz"))
    }

    /// Bodies sent with `Content-Encoding: gzip` (one member) answer as plain ones; `NA`, `null` and empty cells are
    /// missing values, as `tunekit predict` reads them in a CSV.
    @Test func gzipBodiesAndMissingValuesReadAsPredictReadsThem() async throws {
        let fixture = try #require(Self.fixture)
        let (header, rows) = try fixture.table()
        var missing = rows.prefix(3).map { $0 }
        (missing[0][1], missing[1][1], missing[2][1]) = ("NA", "null", "")
        let input = fixture.directory.write(
            "missing.csv", ([header] + missing).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n")
        let expected = try fixture.expected("g1", input: input)
        try await Self.serving(["--models", fixture.output, "--model-version", "g1"]) { base in
            let instances = missing.map { row in Dictionary(uniqueKeysWithValues: zip(header, row).filter { $0.0 != "y" }) }
            let body = Self.json(["instances": instances])
            let plain = try await Self.send(base, "v1/models/tunekit:predict", body: body)
            #expect(plain.status == 200, "\(plain.error)")
            #expect(Self.printed(plain.body, "predictions") == expected)
            let zipped = try Self.gzip(body)
            let inflated = try await Self.send(base, "v1/models/tunekit:predict", body: zipped, headers: ["Content-Encoding": "gzip"])
            #expect(inflated.status == 200, "\(inflated.error)")
            #expect(Self.printed(inflated.body, "predictions") == expected, "\(inflated.error)")
            let twoMembers = try await Self.send(
                base, "v1/models/tunekit:predict", body: zipped + zipped, headers: ["Content-Encoding": "gzip"])
            #expect(twoMembers.status == 400, "\(twoMembers.error)")
            #expect(twoMembers.error.contains("follow the first gzip member"), "\(twoMembers.error)")
            let brotli = try await Self.send(base, "v1/models/tunekit:predict", body: body, headers: ["Content-Encoding": "br"])
            #expect(brotli.status == 415, "\(brotli.error)")
            #expect(brotli.error.contains("Content-Encoding 'br' is not supported"), "\(brotli.error)")
        }
    }

    /// The binary tensor data extension: a JSON header of `Inference-Header-Content-Length` bytes, then raw tensors —
    /// encoded rows as FP64 (category codes, as model.bst takes them) and a BYTES column — with the output in binary.
    @Test func v2BinaryTensorsBothWays() async throws {
        let fixture = try #require(Self.fixture)
        let (header, rows) = try fixture.table()
        let training = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(fixture.output)/model/g1/training.json"))) as! [String: Any]
        let encoding = training["encoding"] as! [String: Any]
        let features = encoding["featureNames"] as! [String]
        let sites = (encoding["categories"] as! [String: [String]])["site"]!
        var raw = Data()
        for row in rows {
            for feature in features {
                let cell = row[header.firstIndex(of: feature)!]
                let value = feature == "site" ? Double(sites.firstIndex(of: cell)!) : Double(cell)!
                withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) }
            }
        }
        let json = Self.json([
            "inputs": [["name": "input-0", "datatype": "FP64", "shape": [rows.count, features.count],
                        "parameters": ["binary_data_size": raw.count]]],
            "outputs": [["name": "output-0", "parameters": ["binary_data": true]]],
        ])
        let expected = try fixture.expected("g1").map { Double($0)! }
        try await Self.serving(["--models", "\(fixture.output)/model/g1"]) { base in
            let reply = try await Self.send(
                base, "v2/models/tunekit/infer", body: json + raw,
                headers: ["Inference-Header-Content-Length": "\(json.count)", "Content-Type": "application/octet-stream"])
            #expect(reply.status == 200, "\(reply.error)")
            let length = try #require(reply.header("Inference-Header-Content-Length").flatMap { Int($0) })
            let head = try JSONSerialization.jsonObject(with: reply.body.prefix(length)) as! [String: Any]
            let output = (head["outputs"] as! [[String: Any]])[0]
            #expect((output["parameters"] as? [String: Any])?["binary_data_size"] as? Int == rows.count * 8)
            let values = reply.body.dropFirst(length).withUnsafeBytes { bytes in
                (0..<rows.count).map { Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
            }
            #expect(values == expected)

            // BYTES in binary: each element a 4-byte little-endian length, then its text.
            var columns: [[String: Any]] = [], payload = Data()
            for (k, name) in header.enumerated() where name != "y" {
                var bytes = Data()
                if name == "site" {
                    for row in rows {
                        withUnsafeBytes(of: UInt32(row[k].utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
                        bytes.append(contentsOf: row[k].utf8)
                    }
                } else {
                    for row in rows { withUnsafeBytes(of: Float(row[k])!.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
                }
                columns.append(["name": name, "datatype": name == "site" ? "BYTES" : "FP32", "shape": [rows.count],
                                "parameters": ["binary_data_size": bytes.count]])
                payload.append(bytes)
            }
            let head2 = Self.json(["inputs": columns])
            let mixed = try await Self.send(
                base, "v2/models/tunekit/infer", body: head2 + payload, headers: ["Inference-Header-Content-Length": "\(head2.count)"])
            #expect(mixed.status == 200, "\(mixed.error)")
            let data = ((mixed.json["outputs"] as? [[String: Any]])?.first?["data"] as? [Double]) ?? []
            #expect(data.count == rows.count)
        }
    }

    @Test func classifierAnswersClassNamesAndProbabilities() async throws {
        let fixture = try #require(Self.fixture)
        let expected = try fixture.expected("c1", input: fixture.classRows)
        let (header, rows) = try fixture.table(fixture.classRows)
        let instances = rows.map { row in [Double(row[0])!, Double(row[1])!, row[2]] as [Any] }
        #expect(header.prefix(3) == ["x1", "x2", "site"])
        try await Self.serving(["--models", fixture.output, "--model-version", "c1"]) { base in
            let v1 = try await Self.send(base, "v1/models/tunekit:predict", body: Self.json(["instances": instances]))
            #expect(v1.status == 200, "\(v1.error)")
            #expect(v1.json["predictions"] as? [String] == expected)
            let probabilities = v1.json["probabilities"] as? [[Double]] ?? []
            #expect(probabilities.count == rows.count)
            #expect(probabilities.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-9 })

            let metadata = try await Self.send(base, "v2/models/tunekit").json
            let outputs = (metadata["outputs"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(outputs == ["output-0", "probabilities"])
            // Which class each probability column is for, in column order.
            let probabilityOutput = (metadata["outputs"] as? [[String: Any]])?.last
            #expect(probabilityOutput?["shape"] as? [Int] == [-1, 3])
            #expect((probabilityOutput?["parameters"] as? [String: Any])?["classes"] as? String == #"["high","low","mid"]"#, "\(metadata)")
            let v2 = try await Self.send(base, "v2/models/tunekit/infer", body: Self.json([
                "inputs": [["name": "rows", "datatype": "BYTES", "shape": [rows.count, 3], "data": rows.map { Array($0.prefix(3)) }]],
                "outputs": [["name": "probabilities"]],
            ]))
            #expect(v2.status == 200, "\(v2.error)")
            let output = try #require((v2.json["outputs"] as? [[String: Any]])?.first)
            #expect(output["name"] as? String == "probabilities" && output["shape"] as? [Int] == [rows.count, 3])
            let twice = try await Self.send(base, "v2/models/tunekit/infer", body: Self.json([
                "inputs": [["name": "rows", "datatype": "BYTES", "shape": [1, 3], "data": Array(rows[0].prefix(3))]],
                "outputs": [["name": "probabilities"], ["name": "probabilities"]],
            ]))
            #expect(twice.status == 400, "\(twice.error)")
            #expect(twice.error.contains("output 'probabilities' is requested twice"), "\(twice.error)")
        }
    }

    @Test func hostileRequestsGetClearErrorsAndTheServerStaysUp() async throws {
        let fixture = try #require(Self.fixture)
        try await Self.serving(["--models", fixture.output, "--model-version", "g1", "--max-batch-rows", "50"]) { base in
            let deep = Data(("{\"instances\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}").utf8)
            let cases: [(path: String, body: Data, headers: [String: String], status: Int, message: String)] = [
                ("v1/models/tunekit:predict", deep, [:], 400, "nested deeper than"),
                ("v1/models/tunekit:predict", Data("{\"instances\": [1, 2,, 3]}".utf8), [:], 400, "not valid JSON: line 1, column 21: unexpected character"),
                ("v1/models/tunekit:predict", Data(#"{"instances": []}"#.utf8), [:], 400, "empty"),
                // Strings are UTF-8 with paired surrogates, or the request is refused (never repaired into other text).
                ("v1/models/tunekit:predict", Data(#"{"instances": [[1, 2, 3, "n"#.utf8) + Data([0xFF]) + Data(#""]]}"#.utf8), [:], 400, "a string is not UTF-8"),
                ("v1/models/tunekit:predict", Data(#"{"instances": [[1, 2, 3, "\ud800"]]}"#.utf8), [:], 400, "a lone UTF-16 surrogate"),
                ("v1/models/tunekit:predict", Self.json(["instances": Array(repeating: [1, 2, 3, "north"], count: 51)]), [:], 413, "\"instances\" has more than the limit of 50 items"),
                ("v1/models/tunekit:predict", Self.json(["instances": [[1, 2]]]), [:], 400, "rows have 2 values"),
                ("v1/models/tunekit:predict", Self.json(["instances": [["x1": 1]]]), [:], 400, "column 'x2' is in no instance"),
                ("v1/models/tunekit:predict", Self.json(["instances": [[["nested"], 2, 3, "north"]]]), [:], 400, "a list or object"),
                ("v1/models/other:predict", Self.json(["instances": [[1, 2, 3, "north"]]]), [:], 404, "not served here"),
                ("v1/models/tunekit:explain", Self.json(["instances": [[1, 2, 3, "north"]]]), [:], 501, "not a predict path"),
                ("v2/models/tunekit/versions/nope/infer", Self.json(["inputs": []]), [:], 404, "no version 'nope'"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [1 << 40, 1 << 40], "data": [1]]]]), [:], 413, "too large"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [0, 1 << 40], "data": []]]]), [:], 400, "no rows"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [-1, 4], "data": []]]]), [:], 400, "not a non-negative integer"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [2, 4], "data": [1, 2]]]]), [:], 400, "2 values for shape [2, 4]"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP16", "shape": [1, 4], "data": [1, 2, 3, 4]]]]), [:], 400, "FP16 is not supported"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "x1", "datatype": "FP64", "shape": [1], "data": [1]], ["name": "x1", "datatype": "FP64", "shape": [1], "data": [1]]]]), [:], 400, "given twice"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "x9", "datatype": "FP64", "shape": [1], "data": [1]]]]), [:], 400, "not a column"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [1, 4], "data": [1, 2, 3, 4]]], "outputs": [["name": "probabilities"]]]), [:], 400, "not one of this model's outputs"),
                ("v2/models/tunekit/infer", Data("{}".utf8), ["Inference-Header-Content-Length": "99999"], 400, "not a length within"),
                ("v2/models/tunekit/infer", Data(#"{"inputs": [{"name": "input-0", "datatype": "FP64", "shape": [1, 4], "data": [1e999, 2, 3, 4]}]}"#.utf8), [:], 400, "line 1, column 79: number 1e999 is out of range"),
                // Uneven nesting would move values between rows.
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [2, 4], "data": [[1, 2, 3], [4, 5, 6, 7, 8]]]]]), [:], 400, "not nested as its shape [2, 4]"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [2, 4], "data": [1, 2, 3, 4, [5, 6, 7, 8]]]]]), [:], 400, "not nested as its shape"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [2, 7], "data": Array(repeating: 0, count: 14)]]]), [:], 400, "rows of 7 values"),
                ("v2/models/tunekit/infer", Self.json(["id": ["a": 1], "inputs": [["name": "input-0", "datatype": "FP64", "shape": [1, 4], "data": [1, 2, 3, 4]]]]), [:], 400, "\"id\" must be a string"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [1, 4], "data": [1, 2, 3, 4]]], "outputs": [] as [Any]]), [:], 400, "\"outputs\" must be a list of 1 to 1"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [1, 4], "data": [1, 2, 3, 4]]], "outputs": [["name": "output-0"], ["name": "output-0"]]]), [:], 400, "\"outputs\" must be a list of 1 to 1"),
                // 45,000 repeats of one output would each get the whole prediction tensor.
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [1, 4], "data": [1, 2, 3, 4]]], "outputs": Array(repeating: ["name": "output-0"], count: 45_000)]), [:], 413, "\"outputs\" has more than the limit of 2 items"),
                ("v2/models/tunekit/infer", Data(#"{"inputs": [{"name": "input-0", "datatype": "FP64", "shape": [true, 4], "data": [1, 2, 3, 4]}]}"#.utf8), [:], 400, "has a size that is not a non-negative integer"),
                ("v2/models/tunekit/infer", Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [51, 4], "data": Array(repeating: 1, count: 204)]]]), [:], 413, "51 rows exceed the limit of 50"),
            ]
            for item in cases {
                let reply = try await Self.send(base, item.path, body: item.body, headers: item.headers)
                #expect(reply.status == item.status, "\(item.path): \(reply.error)")
                #expect(reply.error.contains(item.message), "\(item.path): \(reply.error)")
            }
            // Binary headers naming more bytes than follow them, or fewer, or a BYTES element longer than its data.
            for (size, sent, message) in [
                (32, 8, "exceeds the 8 bytes left"), (1 << 40, 32, "exceeds the 32 bytes left"), (16, 32, "16 bytes of binary data for 4 FP64 elements"),
                ("32" as Any, 32, "must be a non-negative integer, got \"32\""), (-8, 32, "must be a non-negative integer, got -8"),
            ] as [(Any, Int, String)] {
                let head = Self.json(["inputs": [["name": "input-0", "datatype": "FP64", "shape": [1, 4], "parameters": ["binary_data_size": size]]]])
                let reply = try await Self.send(
                    base, "v2/models/tunekit/infer", body: head + Data(count: sent), headers: ["Inference-Header-Content-Length": "\(head.count)"])
                #expect(reply.status == 400, "\(reply.error)")
                #expect(reply.error.contains(message), "\(reply.error)")
            }
            let bytesHead = Self.json(["inputs": [["name": "site", "datatype": "BYTES", "shape": [1], "parameters": ["binary_data_size": 8]]]])
            let bytesReply = try await Self.send(
                base, "v2/models/tunekit/infer", body: bytesHead + Data([0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3, 4]),
                headers: ["Inference-Header-Content-Length": "\(bytesHead.count)"])
            #expect(bytesReply.status == 400, "\(bytesReply.error)")
            #expect(bytesReply.error.contains("longer than the data left"), "\(bytesReply.error)")
            let wide = Self.json(["inputs": [["name": "x", "datatype": "UINT8", "shape": [50, 83], "parameters": ["binary_data_size": 50 * 83]]]])
            let wideReply = try await Self.send(
                base, "v2/models/tunekit/infer", body: wide + Data(count: 50 * 83), headers: ["Inference-Header-Content-Length": "\(wide.count)"])
            #expect(wideReply.status == 400, "\(wideReply.error)")
            #expect(wideReply.error.contains("rows of 83 values"), "\(wideReply.error)")
            #expect(try await Self.send(base, "v2/health/live").json["live"] as? Bool == true)
        }
    }

    /// tritonclient (V2, JSON and binary, named and `[rows, features]` tensors) and kserve's REST client (V1 and V2),
    /// from PyPI, against a served gbdt and a served ridge model: the same numbers as `tunekit predict`, bit for bit.
    @Test(.enabled(if: RealTools.enabled(pythonWithKServeClients))) func realKServeClientsGetWhatPredictWrites() async throws {
        let fixture = try #require(Self.fixture)
        let python = try #require(pythonWithKServeClients)
        for version in ["g1", "r1"] {
            _ = try fixture.expected(version)
            let model = "\(fixture.output)/model/\(version)"
            try await Self.serving(["--models", model, "--model-name", "demand"]) { base in
                let result = try TunekitProcess.runTool(python, [
                    PackagePaths.file("Tests/ServingClients/kserve_clients.py"), "\(base.host!):\(base.port!)", "demand", model,
                    fixture.directory.file("pred-\(version).csv"), version,
                ])
                #expect(result.status == 0, "\(version): \(result.stdout)\n\(result.stderr)")
                #expect(result.stdout.components(separatedBy: "equal tunekit predict").count - 1 == 7, "\(result.stdout)")
                #expect(result.stdout.contains("unseen categories flagged in parameters: site:"), "\(result.stdout)")
            }
        }
    }

    /// A category the model never saw and a column an instance leaves out are predicted as missing values (as
    /// `tunekit predict` does), and the server says so: in the response (V1 `warnings`, V2 `parameters`), in
    /// `/metrics` by model, version, column and problem, and in its log once per column and minute; with
    /// `--strict-inputs` such requests are refused.
    @Test func unknownInputsAreCountedLoggedAndFlagged() async throws {
        let fixture = try #require(Self.fixture)
        let (header, rows) = try fixture.table()
        var objects: [[String: Any]] = rows.prefix(4).map { row in
            Dictionary(uniqueKeysWithValues: zip(header, row).filter { $0.0 != "y" }.map { name, cell in
                (name, name == "site" ? cell as Any : Double(cell)! as Any)
            })
        }
        objects[0]["site"] = "ZZ"
        objects[1]["site"] = "ZZ"
        objects[2]["x2"] = nil
        // What predict writes for the same rows: the unseen site and the absent x2 are missing values there too.
        var edited = rows.prefix(4).map { $0 }
        (edited[0][3], edited[1][3], edited[2][1]) = ("ZZ", "ZZ", "")
        let input = fixture.directory.write("unknown.csv", ([header] + edited).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n")
        let expected = try fixture.expected("g1", input: input)
        let body = Self.json(["instances": objects])
        try await ServeProcess.run(["--models-only", "--models", fixture.output, "--model-version", "g1"]) { server in
            let v1 = try await Self.send(server.base, "v1/models/tunekit:predict", body: body)
            #expect(v1.status == 200, "\(v1.error)")
            #expect(Self.printed(v1.body, "predictions") == expected)
            let warnings = try #require(v1.json["warnings"] as? [[String: Any]], "\(String(decoding: v1.body, as: UTF8.self))")
            #expect(warnings.count == 2)
            let site = try #require(warnings.first { $0["column"] as? String == "site" })
            #expect(site["problem"] as? String == "unseen_category")
            #expect(site["rows"] as? Int == 2)
            #expect(site["example"] as? String == "ZZ")
            let x2 = try #require(warnings.first { $0["column"] as? String == "x2" })
            #expect(x2["problem"] as? String == "missing_column")
            #expect(x2["rows"] as? Int == 1)

            let tensors: [[String: Any]] = [
                ["name": "x1", "datatype": "FP64", "shape": [1], "data": [0.5]],
                ["name": "x2", "datatype": "FP64", "shape": [1], "data": [0.5]],
                ["name": "x3", "datatype": "FP64", "shape": [1], "data": [0.5]],
                ["name": "site", "datatype": "BYTES", "shape": [1], "data": ["ZZ"]],
            ]
            let v2 = try await Self.send(server.base, "v2/models/tunekit/infer", body: Self.json(["inputs": tensors]))
            #expect(v2.status == 200, "\(v2.error)")
            let parameters = try #require(v2.json["parameters"] as? [String: Any])
            #expect(parameters["unknown_input_values"] as? Int == 1)
            #expect((parameters["unknown_inputs"] as? String)?.contains("site: 1 row with a value not seen in training (e.g. 'ZZ')") == true)
            // A clean request is not flagged, nor is a missing value sent on purpose.
            let clean = try await Self.send(server.base, "v1/models/tunekit:predict", body: Self.json(["instances": [objects[3]]]))
            #expect(clean.status == 200)
            #expect(clean.json["warnings"] == nil)
            var withNull = objects[3]
            withNull["site"] = NSNull()
            let null = try await Self.send(server.base, "v1/models/tunekit:predict", body: Self.json(["instances": [withNull, objects[3]]]))
            #expect(null.status == 200)
            #expect(null.json["warnings"] == nil, "\(String(decoding: null.body, as: UTF8.self))")
            // A column an instance leaves out is counted once, as missing (not also as an unseen empty category).
            var withoutSite = objects[3]
            withoutSite["site"] = nil
            let absent = try await Self.send(server.base, "v1/models/tunekit:predict", body: Self.json(["instances": [withoutSite, objects[3]]]))
            let absentWarnings = try #require(absent.json["warnings"] as? [[String: Any]])
            #expect(absentWarnings.count == 1)
            #expect(absentWarnings.first?["problem"] as? String == "missing_column")

            let metrics = String(decoding: try await Self.send(server.base, "metrics").body, as: UTF8.self)
            #expect(metrics.contains(#"tunekit_inference_unknown_inputs_total{model="tunekit",version="g1",column="site",problem="unseen_category"} 3"#), "\(metrics)")
            #expect(metrics.contains(#"tunekit_inference_unknown_inputs_total{model="tunekit",version="g1",column="site",problem="missing_column"} 1"#))
            #expect(metrics.contains(#"tunekit_inference_unknown_inputs_total{model="tunekit",version="g1",column="x2",problem="missing_column"} 1"#))
            #expect(metrics.contains(#"tunekit_inference_requests_total{model="tunekit",version="g1",endpoint="v1.predict",status="200"} 4"#))
            #expect(metrics.contains(#"tunekit_inference_rows_total{model="tunekit",version="g1",endpoint="v1.predict"} 9"#))
            #expect(metrics.contains(#"tunekit_model_info{model="tunekit",version="g1",kind="gbdt",default="true"} 1"#))
            // Logged once per column and problem within the minute, though two requests had an unseen site.
            let logged = server.stderr.split(separator: "\n").filter { $0.contains("unknown input values") }
            #expect(logged.count == 3, "\(server.stderr)")
            #expect(logged.contains { $0.contains("column=site") && $0.contains("problem=unseen_category") })
        }
        try await Self.serving(["--models", fixture.output, "--model-version", "g1", "--strict-inputs"]) { base in
            let refused = try await Self.send(base, "v1/models/tunekit:predict", body: body)
            #expect(refused.status == 400)
            #expect(refused.error.contains("--strict-inputs"), "\(refused.error)")
            #expect(refused.error.contains("site: 2 rows with a value not seen in training (e.g. 'ZZ')"), "\(refused.error)")
            #expect(refused.error.contains("x2: missing from 1 instance"), "\(refused.error)")
            let clean = try await Self.send(base, "v1/models/tunekit:predict", body: Self.json(["instances": [objects[3]]]))
            #expect(clean.status == 200, "\(clean.error)")
            let metrics = String(decoding: try await Self.send(base, "metrics").body, as: UTF8.self)
            #expect(metrics.contains(#"tunekit_request_errors_total{endpoint="v1.predict",code="invalid_argument"} 1"#), "\(metrics)")
        }
    }

    /// Every metric the Grafana dashboard in deploy/ queries is one the server exports (suggestions, predictions,
    /// the prediction log, the process), and every exported family is on the dashboard.
    @Test func grafanaDashboardQueriesOnlyExportedMetrics() async throws {
        let fixture = try #require(Self.fixture)
        let path = PackagePaths.file("deploy/grafana/tunekit-dashboard.json")
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count >= 10)
        let names = Set(expressions.flatMap { expression in
            expression.matches(of: /\b((?:tunekit|process)_[a-z0-9_]+)/).map { String($0.1) }
        })
        let logs = fixture.directory.file("dashboard-log")
        try await ServeProcess.run(["--models", fixture.output, "--prediction-log", logs]) { server in
            let text = String(decoding: try await Self.send(server.base, "metrics").body, as: UTF8.self)
            let exported = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
            let histograms = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") && $0.hasSuffix(" histogram") }
                .map { String($0.split(separator: " ")[2]) })
            for name in names {
                let family = ["_bucket", "_sum", "_count"].first { name.hasSuffix($0) && histograms.contains(String(name.dropLast($0.count))) }
                    .map { String(name.dropLast($0.count)) } ?? name
                #expect(exported.contains(family), "the dashboard queries \(name), which the server does not export")
            }
            let queried = Set(names.map { $0.replacing(/_(bucket|sum|count)$/, with: "") })
            for family in exported where !queried.contains(family) {
                Issue.record("the server exports \(family), which the dashboard does not show")
            }
        }
    }

    /// Every request lands in the rotating log as KServe-logger-shaped events; `tunekit drift` reads the log against
    /// the model's stored reference sample: no drift for rows like the training data, drift (exit 3) for shifted ones.
    @Test func predictionLogFeedsTheDriftCheck() async throws {
        let fixture = try #require(Self.fixture)
        let (header, rows) = try fixture.table()
        func instances(shift: Double) -> [[String: Any]] {
            rows.map { row in
                ["x1": Double(row[0])! + shift, "x2": Double(row[1])! - shift, "x3": Double(row[2])!, "site": row[header.firstIndex(of: "site")!]]
            }
        }
        for (name, shift, expectedStatus) in [("same", 0.0, Int32(0)), ("shifted", 25.0, Int32(3))] {
            let log = fixture.directory.file("log-\(name)")
            try await Self.serving([
                "--models", "\(fixture.output)/model/g1", "--prediction-log", log, "--prediction-log-max-bytes", "4000",
                "--prediction-log-max-files", "3",
            ]) { base in
                for k in 0..<8 {
                    let reply = try await Self.send(
                        base, "v1/models/tunekit:predict", body: Self.json(["instances": instances(shift: shift)]),
                        headers: ["X-Request-Id": "req-\(k)"])
                    #expect(reply.status == 200, "\(reply.error)")
                }
            }
            let files = try FileManager.default.contentsOfDirectory(atPath: log).sorted()
            #expect(files.count == 3, "\(files)")
            #expect(files.last == "predictions-000008.jsonl", "\(files)")
            var ids: [String: Set<String>] = [:]
            for file in files {
                for line in try String(contentsOfFile: "\(log)/\(file)", encoding: .utf8).split(separator: "\n") {
                    let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    #expect(event["specversion"] as? String == "1.0" && event["modelversion"] as? String == "g1")
                    ids[event["id"] as? String ?? "", default: []].insert(event["type"] as? String ?? "")
                    if event["type"] as? String == "org.kubeflow.serving.inference.request" {
                        let first = try #require(((event["data"] as? [String: Any])?["instances"] as? [[String: Any]])?.first)
                        #expect(Set(first.keys) == ["x1", "x2", "x3", "site"] && first["site"] is String)
                    }
                }
            }
            #expect(ids.keys.sorted() == ["req-5", "req-6", "req-7"], "\(ids.keys)")
            #expect(ids.values.allSatisfy { $0.count == 2 })
            let drift = try TunekitProcess.run(["drift", "--reference", "\(fixture.output)/model/g1", "--current", log])
            #expect(drift.status == expectedStatus, "\(name): \(drift.stdout)\(drift.stderr)")
        }

        // Two servers writing one folder (a misconfiguration) keep each other's files: every request is logged.
        let shared = fixture.directory.file("log-shared")
        try await Self.serving(["--models", "\(fixture.output)/model/g1", "--prediction-log", shared]) { first in
            try await Self.serving(["--models", "\(fixture.output)/model/g1", "--prediction-log", shared]) { second in
                for k in 0..<6 {
                    let reply = try await Self.send(
                        k % 2 == 0 ? first : second, "v1/models/tunekit:predict", body: Self.json(["instances": instances(shift: 0)]))
                    #expect(reply.status == 200)
                }
            }
        }
        let sharedLines = try FileManager.default.contentsOfDirectory(atPath: shared).map {
            try String(contentsOfFile: "\(shared)/\($0)", encoding: .utf8).split(separator: "\n").count
        }
        #expect(sharedLines.reduce(0, +) == 12, "\(sharedLines)")

        // A damaged line is named by its line number, blank lines counted.
        let damaged = fixture.directory.write("damaged/predictions-000001.jsonl", try String(
            contentsOfFile: "\(shared)/predictions-000001.jsonl", encoding: .utf8).split(separator: "\n")[0] + "\n\n\n{not json\n{}\n")
        let refused = try TunekitProcess.run(["drift", "--reference", "\(fixture.output)/model/g1", "--current", damaged])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("line 4: not a prediction log event"), "\(refused.stderr)")

        // `--prediction-log -` (KServe's Serverless mode: no writable volume) writes the same events to stdout, after
        // the `listening on` line; collected into a .jsonl file, drift reads them and skips the text line.
        var collected = ""
        try await ServeProcess.run(["--models-only", "--models", "\(fixture.output)/model/g1", "--prediction-log", "-"]) { server in
            for shift in [25.0, 25.0] {
                let reply = try await Self.send(server.base, "v1/models/tunekit:predict", body: Self.json(["instances": instances(shift: shift)]))
                #expect(reply.status == 200)
            }
            collected = server.stdout
        }
        let lines = collected.split(separator: "\n")
        #expect(lines.count == 5, "\(collected)")
        #expect(lines.first?.hasPrefix("listening on http://") == true)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(#"{"specversion":"1.0""#) })
        let file = fixture.directory.write("collected/pod-a.jsonl", collected)
        let fromStdout = try TunekitProcess.run(["drift", "--reference", "\(fixture.output)/model/g1", "--current", file])
        #expect(fromStdout.status == 3, "\(fromStdout.stdout)\(fromStdout.stderr)")
    }

    /// Writes failing under the prediction log (the file-size limit lowered with prlimit: the same failed write as a
    /// full disk, without mounting anything): the server says it is not ready and counts the failures, keeps every file
    /// and line it wrote (no new files, no deletions, no torn lines), and recovers once writes succeed again. An
    /// unwritable log folder stops `serve` at start; file names it did not write (numbers out of its range) are left
    /// alone.
    @Test func aFailingPredictionLogIsLoudAndKeepsItsHistory() async throws {
        let fixture = try #require(Self.fixture)
        let (header, rows) = try fixture.table()
        let body = Self.json(["instances": rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(header, row).filter { $0.0 != "y" }.map { ($0.0, $0.1 as Any) })
        }])
        let scratch = TemporaryDirectory("tunekit-log-full")
        defer { scratch.remove() }
        let log = scratch.file("log")
        try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: true)
        // History from an earlier server, and names that are not this log's: a number past its range, and one that
        // would overflow an Int.
        let event = #"{"type":"org.kubeflow.serving.inference.request","data":{"instances":[{"x1":1}]}}"#
        _ = scratch.write("log/predictions-000001.jsonl", event + "\n")
        _ = scratch.write("log/predictions-000002.jsonl", event + "\n")
        _ = scratch.write("log/predictions-9223372036854775807.jsonl", "")
        _ = scratch.write("log/predictions-1000000000.jsonl", "")
        try await ServeProcess.run([
            "--models-only", "--models", fixture.output, "--model-version", "g1", "--prediction-log", log,
            "--prediction-log-max-bytes", "1000000", "--prediction-log-max-files", "3",
        ]) { server in
            let limit = try await TestProcess.run("/usr/bin/prlimit", ["--pid", String(server.pid), "--fsize=65536:unlimited"])
            #expect(limit.status == 0, "\(limit.errors)")
            var filesWhenFailing: [String]?
            for _ in 0..<200 where filesWhenFailing == nil {
                let reply = try await Self.send(server.base, "v1/models/tunekit:predict", body: body)
                #expect(reply.status == 200, "predictions are answered while the log fails: \(reply.error)")
                if try await Self.send(server.base, "readyz").status == 503 {
                    filesWhenFailing = try FileManager.default.contentsOfDirectory(atPath: log).sorted()
                }
            }
            let failing = try #require(filesWhenFailing, "the log never failed")
            for _ in 0..<20 { _ = try await Self.send(server.base, "v1/models/tunekit:predict", body: body) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: log).sorted() == failing, "no file started or deleted while failing")
            #expect(failing.contains("predictions-000001.jsonl"), "history kept: \(failing)")
            #expect(failing.contains("predictions-000002.jsonl"), "history kept: \(failing)")
            #expect(failing.contains("predictions-9223372036854775807.jsonl"))
            #expect(failing.contains("predictions-1000000000.jsonl"))
            #expect(try await Self.send(server.base, "v2/health/ready").status == 503)
            let metrics = String(decoding: try await Self.send(server.base, "metrics").body, as: UTF8.self)
            #expect(metrics.contains("tunekit_prediction_log_healthy 0"), "\(metrics)")
            #expect(metrics.contains("tunekit_prediction_log_write_failures_total 2"), "at least 21 failures: \(metrics)")
            var lines = 0
            for file in failing where file.hasPrefix("predictions-0") {
                for line in try String(contentsOfFile: "\(log)/\(file)", encoding: .utf8).split(separator: "\n") {
                    #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "a torn line in \(file)")
                    lines += 1
                }
            }
            #expect(lines >= 4, "whole request/response pairs: \(lines)")
            #expect(lines % 2 == 0, "whole request/response pairs: \(lines)")
            // Room again: the same server writes again and is ready.
            let lifted = try await TestProcess.run("/usr/bin/prlimit", ["--pid", String(server.pid), "--fsize=unlimited:unlimited"])
            #expect(lifted.status == 0, "\(lifted.errors)")
            _ = try await Self.send(server.base, "v1/models/tunekit:predict", body: body)
            #expect(try await Self.send(server.base, "readyz").status == 200)
        }
        // A log folder that cannot be created stops serve with the reason.
        let blocked = scratch.write("not-a-folder", "")
        let refused = try TunekitProcess.run([
            "serve", "--port", "0", "--models-only", "--models", fixture.output, "--prediction-log", blocked + "/log",
        ])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("not-a-folder"), "\(refused.stderr)")
    }

    /// The log folder deleted under a running server: events are not written to the vanished file; the server stays
    /// unready (no flapping) until the folder is back, then writes a new file there.
    @Test func aRemovedPredictionLogFolderIsReportedUntilItIsBack() async throws {
        let fixture = try #require(Self.fixture)
        let (header, rows) = try fixture.table()
        let body = Self.json(["instances": rows.prefix(2).map { row in
            Dictionary(uniqueKeysWithValues: zip(header, row).filter { $0.0 != "y" }.map { ($0.0, $0.1 as Any) })
        }])
        let scratch = TemporaryDirectory("tunekit-log-removed")
        defer { scratch.remove() }
        let log = scratch.file("log")
        try await Self.serving(["--models", fixture.output, "--model-version", "g1", "--prediction-log", log]) { base in
            #expect(try await Self.send(base, "v1/models/tunekit:predict", body: body).status == 200)
            try FileManager.default.removeItem(atPath: log)
            var readiness: [Int] = []
            for _ in 0..<4 {
                #expect(try await Self.send(base, "v1/models/tunekit:predict", body: body).status == 200)
                readiness.append(try await Self.send(base, "readyz").status)
            }
            #expect(readiness == [503, 503, 503, 503], "\(readiness)")
            let metrics = String(decoding: try await Self.send(base, "metrics").body, as: UTF8.self)
            #expect(metrics.contains("tunekit_prediction_log_write_failures_total 4"), "\(metrics)")
            try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: true)
            #expect(try await Self.send(base, "v1/models/tunekit:predict", body: body).status == 200)
            #expect(try await Self.send(base, "readyz").status == 200)
            let files = try FileManager.default.contentsOfDirectory(atPath: log)
            #expect(files.count == 1 && (try? String(contentsOfFile: "\(log)/\(files[0])", encoding: .utf8))?.split(separator: "\n").count == 2, "\(files)")
        }
    }

    /// A model trained on VolInfo data takes raw rows (spot, date, hour) with a history of hourly volumes: the served
    /// features — calendar and lags — and so the predictions equal `tunekit predict` on the featurized rows.
    @Test func trafficModelsTakeRawRowsWithHistory() async throws {
        let scratch = TemporaryDirectory("tunekit-serving-traffic")
        defer { scratch.remove() }
        let data = PackagePaths.file("datasets/seoul-traffic"), out = scratch.file("out")
        let train = try TunekitProcess.run([
            "train", "--trainer", "gbdt", "--data", data, "--num_iterations=20", "--output", out, "--model-version", "t1",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(try TunekitProcess.run(["datasets", "featurize", data, "--out", scratch.file("featurized")]).status == 0)
        let lines = try String(contentsOfFile: scratch.file("featurized/test.csv"), encoding: .utf8).split(separator: "\n")
        let rowsPath = scratch.write("rows.csv", lines.prefix(31).joined(separator: "\n") + "\n")
        let predicted = scratch.file("predicted.csv")
        #expect(try TunekitProcess.run(["predict", "--model", "\(out)/model/t1", "--input", rowsPath, "--output", predicted]).status == 0)
        let expected = try String(contentsOfFile: predicted, encoding: .utf8).split(separator: "\n").dropFirst().map { String($0.split(separator: ",").last!) }
        let header = lines[0].split(separator: ",").map(String.init)
        let column = { (name: String) in header.firstIndex(of: name)! }
        var instances: [[String: Any]] = [], history: [[String: Any]] = []
        for line in lines.dropFirst().prefix(30) {
            let cells = line.split(separator: ",").map(String.init)
            let stamp = cells[column("date")], spot = cells[column("spot_num")]
            instances.append(["spot_num": spot, "date": String(stamp.prefix(10)), "hour": Int(cells[column("hour")])!])
            // The row's own lags are the volumes 24 and 168 hours earlier.
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            let date = day.date(from: String(stamp.prefix(10)))!.addingTimeInterval(Double(Int(cells[column("hour")])!) * 3600)
            for lag in [24, 168] {
                let then = date.addingTimeInterval(-Double(lag) * 3600)
                let hour = Int(then.timeIntervalSince1970) / 3600 % 24
                history.append(["spot_num": spot, "date": "\(day.string(from: then))T\(hour < 10 ? "0" : "")\(hour)", "volume": Double(cells[column("lag_\(lag)h")])!])
            }
        }
        try await Self.serving(["--models", out]) { base in
            let v1 = try await Self.send(base, "v1/models/tunekit:predict", body: Self.json(["instances": instances, "history": history]))
            #expect(v1.status == 200, "\(v1.error)")
            #expect(Self.printed(v1.body, "predictions") == expected)

            let v2 = try await Self.send(base, "v2/models/tunekit/infer", body: Self.json(["inputs": [
                ["name": "spot_num", "datatype": "BYTES", "shape": [30], "data": instances.map { $0["spot_num"]! }],
                ["name": "date", "datatype": "BYTES", "shape": [30], "data": instances.map { $0["date"]! }],
                ["name": "hour", "datatype": "INT32", "shape": [30], "data": instances.map { $0["hour"]! }],
                ["name": "history_spot_num", "datatype": "BYTES", "shape": [history.count], "data": history.map { $0["spot_num"]! }],
                ["name": "history_date", "datatype": "BYTES", "shape": [history.count], "data": history.map { $0["date"]! }],
                ["name": "history_volume", "datatype": "FP64", "shape": [history.count], "data": history.map { $0["volume"]! }],
            ]]))
            #expect(v2.status == 200, "\(v2.error)")
            #expect(Self.printed(v2.body, "data") == expected)

            let noHistory = try await Self.send(base, "v1/models/tunekit:predict", body: Self.json(["instances": instances]))
            #expect(noHistory.status == 400, "\(noHistory.error)")
            #expect(noHistory.error.contains("row 0: lag_24h needs the volume of"), "\(noHistory.error)")
            let future = try await Self.send(base, "v1/models/tunekit:predict", body: Self.json([
                "instances": [["spot_num": "A-01", "date": "2031-01-01", "hour": 8]], "history": history]))
            #expect(future.status == 400, "\(future.error)")
            #expect(future.error.contains("no holiday calendar for 2031"), "\(future.error)")
            let badHour = try await Self.send(base, "v1/models/tunekit:predict", body: Self.json([
                "instances": [["spot_num": "A-01", "date": "2025-06-01", "hour": 24]], "history": history]))
            #expect(badHour.status == 400, "\(badHour.error)")
            #expect(badHour.error.contains("\"hour\" 0-23"), "\(badHour.error)")
        }
    }

    /// Ridge and logistic models whose arrays were shortened (checksum recomputed) are refused on load like gbdt's;
    /// a copy of a version under another name, and a version linked in from outside the models folder, are not served.
    @Test func storedModelsAreCheckedAndVersionsAreWhatTheirFilesSay() async throws {
        let fixture = try #require(Self.fixture)
        let scratch = TemporaryDirectory("tunekit-tampered")
        defer { scratch.remove() }
        let out = scratch.file("out")
        try FileManager.default.copyItem(atPath: fixture.output, toPath: out)
        func tamper(_ version: String, _ edit: (inout [String: Any]) -> Void) throws {
            let folder = "\(out)/model/\(version)"
            var model = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/model.json"))) as? [String: Any])
            edit(&model)
            let bytes = try JSONSerialization.data(withJSONObject: model)
            try bytes.write(to: URL(fileURLWithPath: "\(folder)/model.json"))
            var manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/manifest.json"))) as? [String: Any])
            var files = manifest["files"] as? [String: String] ?? [:]
            files["model.json"] = SHA256.hex(bytes)
            manifest["files"] = files
            try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: "\(folder)/manifest.json"))
        }
        try tamper("r1") { $0["coefficients"] = Array(($0["coefficients"] as? [Any] ?? []).dropLast()) }
        try tamper("c1") { model in
            var vectors = model["coefficients"] as? [[Any]] ?? []
            vectors[0] = Array(vectors[0].dropLast())
            model["coefficients"] = vectors
        }
        for version in ["r1", "c1"] {
            let predicted = try TunekitProcess.run(["predict", "--model", "\(out)/model/\(version)", "--input", fixture.rows, "--output", scratch.file("p.csv")])
            #expect(predicted.status == 1, "\(version): \(predicted.stderr)")
            #expect(predicted.stderr.contains("is inconsistent"), "\(version): \(predicted.stderr)")
        }
        // g1 copied as v7, and an outside copy linked in as v8: neither is served; g1 still is.
        let fm = FileManager.default
        try fm.copyItem(atPath: "\(out)/model/g1", toPath: "\(out)/model/v7")
        try fm.copyItem(atPath: "\(out)/artifact/g1", toPath: "\(out)/artifact/v7")
        try fm.copyItem(atPath: "\(out)/model/g1", toPath: scratch.file("elsewhere"))
        try fm.createSymbolicLink(atPath: "\(out)/model/v8", withDestinationPath: scratch.file("elsewhere"))
        try fm.copyItem(atPath: "\(out)/artifact/g1", toPath: "\(out)/artifact/v8")
        try await Self.serving(["--models", out, "--model-version", "g1"]) { base in
            let ready = try await Self.send(base, "v2/models/tunekit/versions/g1/ready").status
            let copied = try await Self.send(base, "v2/models/tunekit/versions/v7/ready").status
            let linked = try await Self.send(base, "v2/models/tunekit/versions/v8/ready").status
            #expect(ready == 200, "\(ready) \(copied) \(linked)")
            #expect(copied == 404, "\(ready) \(copied) \(linked)")
            #expect(linked == 404, "\(ready) \(copied) \(linked)")
        }
        let loaded = try TunekitProcess.run(["serve", "--port", "1", "--models-only", "--models", out, "--model-version", "v7"])
        #expect(loaded.status == 1, "\(loaded.stderr)")
        #expect(loaded.stderr.contains("holds version g1 (its manifest.json), not v7"), "\(loaded.stderr)")
        let linked = try TunekitProcess.run(["serve", "--port", "1", "--models-only", "--models", out, "--model-version", "v8"])
        #expect(linked.status == 1, "\(linked.stderr)")
        #expect(linked.stderr.contains("is a link to a folder outside"), "\(linked.stderr)")
    }

    /// A traffic model trained with `--calendar` carries the calendar in its directory (checksummed): serving it no
    /// longer depends on the file or the working directory.
    @Test func trafficModelsCarryTheirCalendar() async throws {
        let scratch = TemporaryDirectory("tunekit-calendar")
        defer { scratch.remove() }
        let calendar = scratch.write("holidays.txt", "2024-01-01\n2024-05-06\n2025-01-01\n2025-05-05\n2025-06-03\n2026-01-01\n")
        let out = scratch.file("out")
        let train = try TunekitProcess.run([
            "train", "--trainer", "ridge", "--data", PackagePaths.file("datasets/seoul-traffic"), "--calendar", calendar,
            "--output", out, "--model-version", "c1",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let stored = try String(contentsOfFile: "\(out)/model/c1/calendar.txt", encoding: .utf8)
        #expect(stored == (try String(contentsOfFile: calendar, encoding: .utf8)))
        let manifest = try String(contentsOfFile: "\(out)/model/c1/manifest.json", encoding: .utf8)
        #expect(manifest.contains("calendar.txt"))
        try FileManager.default.removeItem(atPath: calendar)
        try await Self.serving(["--models", out]) { base in
            let reply = try await Self.send(base, "v1/models/tunekit:predict", body: Self.json([
                "instances": [["spot_num": "A-01", "date": "2026-01-01", "hour": 8]], "history": [] as [Any]]))
            // The built-in calendar ends in 2025; the stored one covers 2026, so the request gets as far as its history.
            #expect(reply.status == 400, "the stored calendar, not the built-in one: \(reply.error)")
            #expect(reply.error.contains("needs the volume of"), "the stored calendar, not the built-in one: \(reply.error)")
        }
    }

    @Test func refusesAMissingOrUnpublishedModel() throws {
        let fixture = try #require(Self.fixture)
        let missing = try TunekitProcess.run(["serve", "--port", "0", "--models", fixture.directory.file("nowhere")])
        #expect(missing.status != 0, "\(missing.stderr)")
        #expect(missing.stderr.contains("no such folder"), "\(missing.stderr)")
        let unknown = try TunekitProcess.run(["serve", "--port", "0", "--models", fixture.output, "--model-version", "zz"])
        #expect(unknown.status != 0, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("version zz is not published"), "\(unknown.stderr)")
        let empty = try TunekitProcess.run(["serve", "--port", "0", "--models", fixture.directory.path])
        #expect(empty.status != 0, "\(empty.stderr)")
        #expect(empty.stderr.contains("no published model"), "\(empty.stderr)")

        // training.json edited to name fewer features, with the manifest's checksum updated to match: refused at
        // load (it used to load, then crash the server on the first request).
        let copy = fixture.directory.file("mismatched")
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: "\(fixture.output)/model/r1", toPath: copy)
        let trainingPath = "\(copy)/training.json"
        let training = try String(contentsOfFile: trainingPath, encoding: .utf8)
        let originalSum = String(try TunekitProcess.runTool("sha256sum", [trainingPath]).stdout.prefix(64))
        #expect(training.contains("\"x3\","))
        try training.replacingOccurrences(of: "\"x3\",", with: "").write(toFile: trainingPath, atomically: true, encoding: .utf8)
        let newSum = String(try TunekitProcess.runTool("sha256sum", [trainingPath]).stdout.prefix(64))
        let manifestPath = "\(copy)/manifest.json"
        let manifest = try String(contentsOfFile: manifestPath, encoding: .utf8)
        #expect(manifest.contains(originalSum))
        #expect(originalSum != newSum)
        try manifest.replacingOccurrences(of: originalSum, with: newSum).write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let mismatched = try TunekitProcess.run(["serve", "--port", "0", "--models", copy])
        #expect(mismatched.status != 0, "\(mismatched.stderr)")
        #expect(mismatched.stderr.contains("does not describe model.json"), "\(mismatched.stderr)")
    }
}

/// The Python interpreter with `tritonclient[http]` and `kserve` (`.ci/run` installs them): `$TUNEKIT_PYTHON`, else
/// `python3`; nil when either is absent (the real-client check is then skipped).
let pythonWithKServeClients: String? = {
    let python = ProcessInfo.processInfo.environment["TUNEKIT_PYTHON"] ?? "python3"
    let check = try? TunekitProcess.runTool(python, ["-c", "import tritonclient.http, kserve"])
    return check?.status == 0 ? python : nil
}()
