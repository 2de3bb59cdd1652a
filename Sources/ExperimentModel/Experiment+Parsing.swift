extension Experiment {
    /// Parses a Katib Experiment from YAML or JSON text; errors name the field and its line.
    public static func parse(text: String, file: String) throws(ExperimentModelError) -> Experiment {
        try parse(document: try SpecNode.parse(yaml: text, file: file), file: file)
    }

    /// Parses an Experiment already read as a document (see `SpecNode.parse(yaml:file:)`).
    public static func parse(document root: SpecNode, file: String) throws(ExperimentModelError) -> Experiment {
        do {
            return try parse(root)
        } catch .invalidField(let path, let line, let message) {
            throw .invalidField(path: path, line: line, message: "\(message) (in \(file))")
        } catch {
            throw error
        }
    }

    static func parse(_ root: SpecNode) throws(ExperimentModelError) -> Experiment {
        let document = Field(node: root, path: "")
        if let kind = try document.optional("kind")?.string(), kind != "Experiment" {
            throw .invalidField(path: "kind", line: root["kind"]?.line, message: "expected 'Experiment', found '\(kind)'")
        }
        if let api = try document.optional("apiVersion")?.string(), !api.hasPrefix("kubeflow.org/") {
            throw .invalidField(path: "apiVersion", line: root["apiVersion"]?.line,
                                message: "expected kubeflow.org/v1beta1, found '\(api)'")
        }
        let metadata = try document.required("metadata")
        let name = try metadata.required("name").string()
        try checkName(name, line: metadata.node["name"]?.line)
        let spec = try document.required("spec")

        let objectiveField = try spec.required("objective")
        let typeField = try objectiveField.required("type")
        guard let type = ObjectiveType(katibName: try typeField.string()) else {
            throw typeField.error("must be 'minimize' or 'maximize'")
        }
        var strategies: [String: MetricStrategy] = [:]
        for item in try objectiveField.optional("metricStrategies")?.items() ?? [] {
            let valueField = try item.required("value")
            guard let strategy = MetricStrategy(rawValue: try valueField.string()) else {
                throw valueField.error("must be 'min', 'max' or 'latest'")
            }
            strategies[try item.required("name").string()] = strategy
        }
        let objective = Objective(
            type: type, goal: try objectiveField.optional("goal")?.double(),
            objectiveMetricName: try objectiveField.required("objectiveMetricName").string(),
            additionalMetricNames: try objectiveField.optional("additionalMetricNames")?.strings() ?? [],
            metricStrategies: strategies)

        if spec.node["nasConfig"] != nil {
            throw .invalidField(
                path: "spec.nasConfig", line: spec.node["nasConfig"]?.line,
                message: "neural architecture search (nasConfig, Katib's enas and darts) is a Katib feature that tunekit does not implement")
        }
        let parameters = try spec.required("parameters").items().map { field throws(ExperimentModelError) in
            try parseParameter(field)
        }
        return try Experiment(
            name: name, namespace: try metadata.optional("namespace")?.string(), objective: objective,
            algorithm: try parseAlgorithm(spec.required("algorithm")),
            parameters: parameters,
            parallelTrialCount: try spec.optional("parallelTrialCount")?.int() ?? 3,
            maxTrialCount: try spec.optional("maxTrialCount")?.int(),
            maxFailedTrialCount: try spec.optional("maxFailedTrialCount")?.int(),
            resumePolicy: try spec.optional("resumePolicy")?.string() ?? "Never",
            earlyStopping: try spec.optional("earlyStopping").map { field throws(ExperimentModelError) in
                try parseAlgorithm(field)
            },
            trialTemplate: try spec.optional("trialTemplate").map { field throws(ExperimentModelError) in
                try parseTrialTemplate(field)
            },
            metricsCollector: try spec.optional("metricsCollectorSpec").map { field throws(ExperimentModelError) in
                try parseCollector(field)
            } ?? MetricsCollectorSpec())
    }

    private static func checkName(_ name: String, line: Int?) throws(ExperimentModelError) {
        let allowed = name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        let first = name.utf8.first, last = name.utf8.last
        guard !name.isEmpty, name.count <= 40, allowed, let first, first >= 97, first <= 122, last != 45 else {
            throw .invalidField(
                path: "metadata.name", line: line,
                message: "'\(name)' must be at most 40 characters of lowercase letters, digits and '-', starting with a letter")
        }
    }

    private static func parseParameter(_ field: Field) throws(ExperimentModelError) -> ParameterSpec {
        let name = try field.required("name").string()
        let typeField = try field.required("parameterType")
        guard let type = ParameterType(katibName: try typeField.string()) else {
            throw typeField.error("must be one of double, int, discrete, categorical")
        }
        let space = try field.required("feasibleSpace")
        var distribution = Distribution.uniform
        if let distributionField = try space.optional("distribution") {
            guard let parsed = Distribution(katibName: try distributionField.string()) else {
                throw distributionField.error("must be one of uniform, logUniform, normal, logNormal")
            }
            distribution = parsed
        }
        return ParameterSpec(
            name: name, parameterType: type,
            feasibleSpace: FeasibleSpace(
                min: try space.optional("min")?.string(), max: try space.optional("max")?.string(),
                step: try space.optional("step")?.string(), list: try space.optional("list")?.strings() ?? [],
                distribution: distribution))
    }

    private static func parseAlgorithm(_ field: Field) throws(ExperimentModelError) -> AlgorithmSpec {
        let settings = try field.optional("algorithmSettings")?.items().map { item throws(ExperimentModelError) in
            AlgorithmSetting(name: try item.required("name").string(), value: try item.optional("value")?.string() ?? "")
        }
        return AlgorithmSpec(algorithmName: try field.required("algorithmName").string(), algorithmSettings: settings ?? [])
    }

    private static func parseTrialTemplate(_ field: Field) throws(ExperimentModelError) -> TrialTemplate {
        let trialParameters = try field.optional("trialParameters")?.items().map { item throws(ExperimentModelError) in
            TrialParameter(
                name: try item.required("name").string(),
                description: try item.optional("description")?.string() ?? "",
                reference: try item.required("reference").string())
        }
        let trialSpec = try field.optional("trialSpec")?.node
        if trialSpec == nil, try field.optional("configMap") == nil {
            throw field.error("needs either trialSpec or configMap")
        }
        let configMap = try field.optional("configMap").map { map throws(ExperimentModelError) in
            "\(try map.optional("configMapNamespace")?.string() ?? "")/\(try map.optional("configMapName")?.string() ?? "")"
        }
        return TrialTemplate(
            primaryContainerName: try field.required("primaryContainerName").string(),
            trialParameters: trialParameters ?? [], trialSpec: trialSpec,
            retain: try field.optional("retain")?.string() == "true", configMap: configMap)
    }

    private static func parseCollector(_ field: Field) throws(ExperimentModelError) -> MetricsCollectorSpec {
        var spec = MetricsCollectorSpec()
        if let kindField = try field.optional("collector")?.optional("kind") {
            guard let kind = MetricsCollectorSpec.Kind(rawValue: try kindField.string()) else {
                throw kindField.error("unknown collector kind")
            }
            spec.kind = kind
        }
        if let source = try field.optional("source") {
            if let path = try source.optional("fileSystemPath") {
                spec.filePath = try path.optional("path")?.string()
                if let formatField = try path.optional("format") {
                    guard let format = MetricsCollectorSpec.FileFormat(rawValue: try formatField.string()) else {
                        throw formatField.error("must be TEXT or JSON")
                    }
                    spec.fileFormat = format
                }
            }
            spec.metricsFormat = try source.optional("filter")?.optional("metricsFormat")?.strings() ?? []
        }
        if spec.kind == .file, spec.filePath == nil { spec.filePath = "/var/log/katib/metrics.log" }
        return spec
    }
}

/// A node with its field path, for error messages that point at the source.
struct Field {
    let node: SpecNode
    let path: String

    func error(_ message: String) -> ExperimentModelError {
        .invalidField(path: path, line: node.line, message: message)
    }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func optional(_ key: String) throws(ExperimentModelError) -> Field? {
        guard case .mapping = node else { throw error("expected a mapping") }
        guard let value = node[key] else { return nil }
        if case .null = value { return nil }
        return Field(node: value, path: child(key))
    }

    func required(_ key: String) throws(ExperimentModelError) -> Field {
        guard let field = try optional(key) else {
            throw .invalidField(path: child(key), line: node.line, message: "is required")
        }
        return field
    }

    func string() throws(ExperimentModelError) -> String {
        guard let text = node.scalarText else { throw error("expected a single value") }
        return text
    }

    func int() throws(ExperimentModelError) -> Int {
        guard let value = Int(try string()) else { throw error("'\(try string())' is not an integer") }
        return value
    }

    func double() throws(ExperimentModelError) -> Double {
        guard let value = Double(try string()), value.isFinite else { throw error("'\(try string())' is not a number") }
        return value
    }

    func items() throws(ExperimentModelError) -> [Field] {
        guard case .sequence(let items, _) = node else { throw error("expected a list") }
        return items.enumerated().map { Field(node: $1, path: "\(path)[\($0)]") }
    }

    func strings() throws(ExperimentModelError) -> [String] {
        try items().map { field throws(ExperimentModelError) in try field.string() }
    }
}
