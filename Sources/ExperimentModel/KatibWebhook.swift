import Foundation

/// What Katib's experiment admission webhook refuses (kubeflow/katib `pkg/webhook/v1beta1/experiment/validator`, read at
/// 33c8ff4), checked on the document as written, after Katib's defaulter (parallelTrialCount 3, Job success and failure
/// conditions) as the webhook sees it. Each refusal names the field, its line and Katib's reason; the rules are listed
/// in docs/katib-compat.md. Also the one thing Kubernetes refuses when Katib creates a trial's Job that the webhook does
/// not look at: a container without an image.
public enum KatibWebhook {
    /// One refused field: who refuses it, Katib's field path, the document line, the reason (Katib's words).
    public struct Refusal: Sendable, Equatable, CustomStringConvertible {
        public let path: String
        public let line: Int?
        public let message: String
        /// "Katib's experiment webhook", or "Kubernetes" for what the API server refuses when a trial starts.
        public var refuser = "Katib's experiment webhook"

        public var description: String { "\(path)\(line.map { " (line \($0))" } ?? ""): \(message)" }
    }

    /// Algorithm names in Katib's default katib-config `runtime.suggestions` (and in tunekit's deploy/katib patch).
    public static let suggestionAlgorithms: Set<String> = [
        "random", "tpe", "grid", "multivariate-tpe", "cmaes", "sobol", "bayesianoptimization", "hyperband", "pbt", "enas",
        "darts",
    ]
    /// Early-stopping names in Katib's default katib-config `runtime.earlyStoppings`.
    public static let earlyStoppingAlgorithms: Set<String> = ["medianstop"]
    /// Trial kinds for which Katib's defaulter fills in the success and failure conditions.
    static let defaultedKinds: Set<String> = [
        "Job", "TFJob", "PyTorchJob", "XGBoostJob", "MPIJob", "PaddleJob", "JAXJob", "TrainJob",
    ]
    static let metaKeys: Set<String> = ["Name", "Namespace", "Kind", "APIVersion", "Annotations", "Labels"]

    /// Refusals as the checks find them, each at the line of the node it names.
    struct Refusals {
        var list: [Refusal] = []

        mutating func refuse(_ path: String, _ node: SpecNode?, _ message: String, by refuser: String? = nil) {
            var refusal = Refusal(path: path, line: node.map(\.line).flatMap { $0 > 0 ? $0 : nil }, message: message)
            if let refuser { refusal.refuser = refuser }
            list.append(refusal)
        }
    }

    /// Every refusal, in the order Katib's validator checks.
    public static func refusals(_ document: SpecNode) -> [Refusal] {
        var found = Refusals()
        func refuse(_ path: String, _ node: SpecNode?, _ message: String) { found.refuse(path, node, message) }
        let spec = document["spec"]
        func count(_ key: String) -> (value: Int, node: SpecNode)? {
            guard let node = spec?[key], let value = node.scalarText.flatMap({ Int($0) }) else { return nil }
            return (value, node)
        }
        let maxTrials = count("maxTrialCount"), maxFailed = count("maxFailedTrialCount")
        // The defaulter sets parallelTrialCount to 3 when it is absent.
        let parallel = count("parallelTrialCount") ?? (spec?["parallelTrialCount"] == nil ? (3, spec ?? document) : nil)
        if let maxFailed, maxFailed.value < 0 { refuse("spec.maxFailedTrialCount", maxFailed.node, "should not be less than 0") }
        if let maxTrials, maxTrials.value <= 0 { refuse("spec.maxTrialCount", maxTrials.node, "must be greater than 0") }
        if let parallel, parallel.value <= 0 { refuse("spec.parallelTrialCount", parallel.node, "must be greater than 0") }
        if let maxFailed, let maxTrials, maxFailed.value > maxTrials.value {
            refuse("spec.maxFailedTrialCount", maxFailed.node, "should be less than or equal to spec.maxTrialCount")
        }
        if let parallel, let maxTrials, parallel.value > maxTrials.value {
            refuse(
                "spec.parallelTrialCount", parallel.node,
                "should be less than or equal to spec.maxTrialCount\(spec?["parallelTrialCount"] == nil ? " (Katib's default is 3)" : "")")
        }

        guard let objective = spec?["objective"] else {
            refuse("spec.objective", spec, "must be specified")
            return found.list
        }
        let objectiveName = objective["objectiveMetricName"]?.scalarText ?? ""
        let type = objective["type"]?.scalarText ?? ""
        if type != "minimize", type != "maximize" {
            refuse("spec.objective.type", objective["type"] ?? objective, "Invalid value: \"\(type)\": must be minimize or maximize")
        }
        if objectiveName.isEmpty { refuse("spec.objective.objectiveMetricName", objective, "must be specified") }
        if strings(objective["additionalMetricNames"]).contains(objectiveName) {
            refuse(
                "spec.objective.additionalMetricNames", objective["additionalMetricNames"],
                "should not contain spec.objective.objectiveMetricName")
        }
        // Katib stops here when the objective is invalid.
        guard found.list.allSatisfy({ !$0.path.hasPrefix("spec.objective") }) else { return found.list }

        let algorithm = spec?["algorithm"]?["algorithmName"]
        if let name = algorithm?.scalarText, !name.isEmpty {
            if !suggestionAlgorithms.contains(name) {
                refuse(
                    "spec.algorithm.algorithmName", algorithm,
                    "unable to get Suggestion config data for algorithm \(name): katib-config has no suggestion '\(name)'")
            }
        } else {
            refuse("spec.algorithm.algorithmName", spec?["algorithm"] ?? spec, "must be specified")
        }
        if let stopping = spec?["earlyStopping"] {
            let name = stopping["algorithmName"]?.scalarText ?? ""
            if name.isEmpty {
                refuse("spec.earlyStopping.algorithmName", stopping, "must be specified")
            } else if !earlyStoppingAlgorithms.contains(name) {
                refuse(
                    "spec.earlyStopping.algorithmName", stopping["algorithmName"],
                    "unable to get EarlyStopping config data for algorithm \(name): katib-config has no early stopping '\(name)'")
            }
        }
        if let policy = spec?["resumePolicy"], !["", "Never", "LongRunning", "FromVolume"].contains(policy.scalarText ?? "?") {
            refuse("spec.resumePolicy", policy, "Invalid value: \"\(policy.scalarText ?? "")\": invalid ResumePolicyType")
        }
        trialTemplate(spec, parameters: names(spec?["parameters"]), into: &found)
        parameters(spec, into: &found)
        metricsCollector(spec?["metricsCollectorSpec"], into: &found)
        return found.list
    }

    private static func trialTemplate(_ spec: SpecNode?, parameters: Set<String>, into found: inout Refusals) {
        func refuse(_ path: String, _ node: SpecNode?, _ message: String) { found.refuse(path, node, message) }
        guard let template = spec?["trialTemplate"] else {
            refuse("spec.trialTemplate", spec, "must be specified")
            return
        }
        if (template["primaryContainerName"]?.scalarText ?? "").isEmpty {
            refuse("spec.trialTemplate.primaryContainerName", template, "must be specified")
        }
        let trialSpec = template["trialSpec"], configMap = template["configMap"]
        let kind = trialSpec?["kind"]?.scalarText ?? ""
        let conditionsDefaulted = trialSpec != nil && defaultedKinds.contains(kind)
        if !conditionsDefaulted,
           (template["successCondition"]?.scalarText ?? "").isEmpty || (template["failureCondition"]?.scalarText ?? "").isEmpty {
            refuse(
                "spec.trialTemplate", template,
                "successCondition and failureCondition must be specified (Katib fills them in only for Job and Kubeflow training jobs)")
        }
        guard case .sequence(let trialParameters, _)? = template["trialParameters"] else {
            refuse("spec.trialTemplate.trialParameters", template, "must be specified")
            return
        }
        if trialSpec == nil, configMap == nil {
            refuse("spec.trialTemplate.TrialSource", template, "spec.trialTemplate.trialSpec or spec.trialTemplate.configMap must be specified")
            return
        }
        if trialSpec != nil, configMap != nil {
            refuse("spec.trialTemplate", template, "only one of spec.trialTemplate.trialSpec or spec.trialTemplate.configMap can be specified")
            return
        }
        if let configMap {
            if ["configMapName", "configMapNamespace", "templatePath"].contains(where: { (configMap[$0]?.scalarText ?? "").isEmpty }) {
                refuse("spec.trialTemplate.configMap", configMap, "configMapName, configMapNamespace and templatePath must be specified")
            }
            // The template itself lives in the ConfigMap, which only the cluster can read.
            return
        }
        guard let trialSpec else { return }
        var text = scalars(trialSpec).joined(separator: "\n")
        var seenNames: Set<String> = [], seenReferences: Set<String> = []
        for (index, parameter) in trialParameters.enumerated() {
            let path = "spec.trialTemplate.trialParameters[\(index)]"
            let name = parameter["name"]?.scalarText ?? "", reference = parameter["reference"]?.scalarText ?? ""
            if name.isEmpty || reference.isEmpty || name.contains("{") || name.contains("}") {
                refuse(path, parameter, "name and reference must be specified and name must not contain '{' or '}'")
                continue
            }
            guard seenNames.insert(name).inserted else {
                refuse("\(path).name", parameter["name"], "parameter name \(name) can't be duplicated in spec.trialTemplate.trialParameters")
                continue
            }
            guard seenReferences.insert(reference).inserted else {
                refuse(
                    "\(path).reference", parameter["reference"],
                    "parameter reference \(reference) can't be duplicated in spec.trialTemplate.trialParameters")
                continue
            }
            if !parameters.isEmpty, !isMetaReference(reference), !parameters.contains(reference) {
                refuse("\(path).reference", parameter["reference"], "parameter reference \(reference) does not exist in spec.parameters")
            }
            let placeholder = "${trialParameters.\(name)}"
            guard text.contains(placeholder) else {
                refuse("\(path).name", parameter["name"], "parameter name: \(name) in spec.trialParameters not found in spec.trialTemplate")
                return
            }
            text = text.replacingOccurrences(of: placeholder, with: "test-value")
        }
        let undeclared = text.matches(of: /\$\{trialParameters\..+?\}/).map { String($0.output) }
        if !undeclared.isEmpty {
            refuse(
                "spec.trialTemplate", trialSpec,
                "parameters: \(undeclared) in spec.trialTemplate not found in spec.trialParameters")
        }
        let metadata = trialSpec["metadata"]
        if metadata?["name"] != nil || metadata?["namespace"] != nil {
            refuse(
                "spec.trialTemplate", metadata?["name"] ?? metadata?["namespace"],
                "metadata.name and metadata.namespace in spec.trialTemplate must be omitted")
        }
        if (trialSpec["apiVersion"]?.scalarText ?? "").isEmpty || kind.isEmpty {
            refuse("spec.trialTemplate", trialSpec, "APIVersion and Kind in spec.trialTemplate must be specified")
        }
        // Not the webhook: Kubernetes itself refuses the trial's Job when a container has no image.
        if case .sequence(let containers, _)? = trialSpec["spec"]?["template"]?["spec"]?["containers"] {
            for (index, container) in containers.enumerated() where (container["image"]?.scalarText ?? "").isEmpty {
                found.refuse(
                    "spec.trialTemplate.trialSpec.spec.template.spec.containers[\(index)].image", container,
                    "Required value: every trial's \(kind.isEmpty ? "Job" : kind) would be refused (Katib's webhook admits it)",
                    by: "Kubernetes")
            }
        }
    }

    private static func parameters(_ spec: SpecNode?, into found: inout Refusals) {
        func refuse(_ path: String, _ node: SpecNode?, _ message: String) { found.refuse(path, node, message) }
        guard case .sequence(let parameters, _)? = spec?["parameters"], !parameters.isEmpty else {
            if spec?["nasConfig"] == nil { refuse("spec", spec, "spec.parameters or spec.nasConfig must be specified") }
            return
        }
        for (index, parameter) in parameters.enumerated() {
            let path = "spec.parameters[\(index)]"
            let type = parameter["parameterType"]?.scalarText ?? ""
            if !["int", "double", "categorical", "discrete", "unknown"].contains(type) {
                refuse("\(path).parameterType", parameter["parameterType"], "parameterType: \(type) is not supported")
            }
            let space = parameter["feasibleSpace"]
            if let distribution = space?["distribution"]?.scalarText,
               !["", "uniform", "logUniform", "normal", "logNormal", "unknown"].contains(distribution) {
                refuse("\(path).feasibleSpace.distribution", space?["distribution"], "distribution: \(distribution) is not supported")
            }
            let set = ["min", "max", "step", "list", "distribution"].filter { key in
                guard let value = space?[key] else { return false }
                if case .sequence(let items, _) = value { return !items.isEmpty }
                return !(value.scalarText ?? "").isEmpty
            }
            guard !set.isEmpty else {
                refuse("\(path).feasibleSpace", parameter, "feasibleSpace must be specified")
                continue
            }
            if type == "double" || type == "int" {
                if set.contains("list") {
                    refuse("\(path).feasibleSpace.list", space?["list"], "feasibleSpace.list is not supported for parameterType: \(type)")
                }
                if !set.contains("min") || !set.contains("max") {
                    refuse("\(path).feasibleSpace.max", space, "feasibleSpace.max or feasibleSpace.min must be specified for parameterType: \(type)")
                }
            } else if type == "categorical" || type == "discrete", set.contains(where: { ["min", "max", "step"].contains($0) }) {
                refuse("\(path).feasibleSpace", space, "feasibleSpace .max, .min and .step is not supported for parameterType: \(type)")
            }
        }
    }

    private static func metricsCollector(_ collector: SpecNode?, into found: inout Refusals) {
        func refuse(_ path: String, _ node: SpecNode?, _ message: String) { found.refuse(path, node, message) }
        let kind = collector?["collector"]?["kind"]?.scalarText ?? "StdOut"
        let source = collector?["source"], path = source?["fileSystemPath"]
        let filePath = path?["path"]?.scalarText ?? "", fileKind = path?["kind"]?.scalarText ?? ""
        let format = path?["format"]?.scalarText ?? ""
        switch kind {
        case "StdOut", "Push": break
        case "File":
            // The defaulter fills in Katib's default path, kind File and format TEXT when they are absent.
            if path != nil, (!filePath.isEmpty && !filePath.hasPrefix("/") || !fileKind.isEmpty && fileKind != "File") {
                refuse("spec.metricsCollectorSpec.source.fileSystemPath.path", path, "file path where metrics file exists is required")
            }
            if !format.isEmpty, format != "TEXT", format != "JSON" {
                refuse("spec.metricsCollectorSpec.source.fileSystemPath.format", path?["format"], "format of metrics file is required for metrics collector")
            }
            if format == "JSON", source?["filter"] != nil {
                refuse("spec.metricsCollectorSpec.source.filter", source?["filter"], "filter must be nil when format of metrics file is json")
            }
        case "TensorFlowEvent":
            if fileKind != "Directory" || !filePath.hasPrefix("/") {
                refuse(
                    "spec.metricsCollectorSpec.source", source ?? collector,
                    "directory path where tensorflow event files exist is required by .spec.metricsCollectorSpec.source.fileSystemPath.path")
            }
            if !format.isEmpty { refuse("spec.metricsCollectorSpec.source.fileSystemPath.format", path?["format"], "must be empty") }
        case "PrometheusMetric":
            let port = source?["httpGet"]?["port"]?.scalarText.flatMap { Int($0) } ?? 0
            if port <= 0 {
                refuse("spec.metricsCollectorSpec.source.httpGet.port", source?["httpGet"], "must be a positive integer value for metrics collector kind: \(kind)")
            }
            if !(source?["httpGet"]?["path"]?.scalarText ?? "").hasPrefix("/") {
                refuse("spec.metricsCollectorSpec.source.httpGet.path", source?["httpGet"], "path is invalid for metrics collector kind: \(kind)")
            }
        case "Custom":
            if collector?["collector"]?["customCollector"] == nil {
                refuse("spec.metricsCollectorSpec.collector.customCollector", collector?["collector"], "metrics collector kind: \(kind) is required")
            }
        default:
            refuse("spec.metricsCollectorSpec.collector.kind", collector?["collector"]?["kind"], "invalid metrics collector kind: \(kind)")
        }
        for pattern in strings(source?["filter"]?["metricsFormat"]) {
            guard (try? Regex(pattern)) != nil else {
                refuse("spec.metricsCollectorSpec.source.filter.metricsFormat", source?["filter"], "invalid filter: \(pattern)")
                continue
            }
            if pattern.firstMatch(of: /.*\(.*\).*\(.*\).*/) == nil {
                refuse("spec.metricsCollectorSpec.source.filter.metricsFormat", source?["filter"], "two top subexpressions are required")
            }
        }
    }

    /// `${trialSpec.Name}` and the other metadata references (Labels[key], Annotations[key]).
    public static func isMetaReference(_ reference: String) -> Bool {
        guard let key = reference.firstMatch(of: /\$\{trialSpec\.(.+?)\}/)?.output.1 else { return false }
        if metaKeys.contains(String(key)) { return true }
        guard let indexed = key.firstMatch(of: /(.+)\[(.+)]/) else { return false }
        return metaKeys.contains(String(indexed.output.1))
    }

    private static func strings(_ node: SpecNode?) -> [String] {
        guard case .sequence(let items, _)? = node else { return [] }
        return items.compactMap(\.scalarText)
    }

    private static func names(_ node: SpecNode?) -> Set<String> {
        guard case .sequence(let items, _)? = node else { return [] }
        return Set(items.compactMap { $0["name"]?.scalarText })
    }

    /// Every key and scalar under `node`, the text Katib searches for `${trialParameters.…}` placeholders.
    private static func scalars(_ node: SpecNode) -> [String] {
        switch node {
        case .scalar(let text, _, _): [text]
        case .sequence(let items, _): items.flatMap(scalars)
        case .mapping(let pairs, _): pairs.flatMap { [$0.key] + scalars($0.value) }
        case .null: []
        }
    }
}
