import Foundation

/// A `trialTemplate.trialParameters[]` entry: placeholder `name` takes the value of `reference`.
public struct TrialParameter: Sendable, Equatable {
    public var name: String
    public var description: String
    /// A parameter name, or a meta reference such as `${trialSpec.Name}`.
    public var reference: String

    public init(name: String, description: String = "", reference: String) {
        self.name = name
        self.description = description
        self.reference = reference
    }

    /// True for `${trialSpec.…}` meta references.
    public var isMetaReference: Bool { reference.hasPrefix("${trialSpec.") }
}

/// The trial template: how each trial runs and which container reports the metrics.
public struct TrialTemplate: Sendable, Equatable {
    public var primaryContainerName: String
    public var trialParameters: [TrialParameter]
    /// The Kubernetes resource (usually a batch Job) each trial creates; nil when a ConfigMap holds it.
    public var trialSpec: SpecNode?
    public var retain: Bool
    /// `namespace/name` of the ConfigMap holding the trial spec, when the template is kept in the cluster.
    public var configMap: String?

    public init(
        primaryContainerName: String, trialParameters: [TrialParameter], trialSpec: SpecNode?, retain: Bool = false,
        configMap: String? = nil
    ) {
        self.primaryContainerName = primaryContainerName
        self.trialParameters = trialParameters
        self.trialSpec = trialSpec
        self.retain = retain
        self.configMap = configMap
    }

    /// The trial resource's `kind` and `apiVersion` (a batch/v1 Job unless the template says otherwise).
    public var trialKind: (kind: String, apiVersion: String) {
        (trialSpec?["kind"]?.scalarText ?? "Job", trialSpec?["apiVersion"]?.scalarText ?? "batch/v1")
    }

    /// True when the primary container has `args` but no `command` (the image's entrypoint would run them).
    public var primaryContainerHasArgsOnly: Bool {
        guard let trialSpec, let container = Self.findContainer(named: primaryContainerName, in: trialSpec) else { return false }
        func isEmpty(_ node: SpecNode?) -> Bool {
            guard case .sequence(let items, _) = node else { return true }  // absent, null or not a list
            return items.isEmpty
        }
        return isEmpty(container["command"]) && !isEmpty(container["args"])
    }

    /// The primary container's `command` followed by its `args`, still holding `${trialParameters.…}` placeholders.
    public func primaryContainerCommand() -> [String]? {
        guard let trialSpec, let container = Self.findContainer(named: primaryContainerName, in: trialSpec) else {
            return nil
        }
        func strings(_ node: SpecNode?) -> [String] {
            guard case .sequence(let items, _) = node else { return [] }
            return items.compactMap(\.scalarText)
        }
        let command = strings(container["command"]) + strings(container["args"])
        return command.isEmpty ? nil : command
    }

    /// The primary container's `env:` entries with literal values, in order; `valueFrom` entries (secrets, config maps,
    /// field references) cannot be resolved off the cluster and are returned by name in `unresolved`.
    public func primaryContainerEnvironment() -> (values: [(name: String, value: String)], unresolved: [String]) {
        guard let trialSpec, let container = Self.findContainer(named: primaryContainerName, in: trialSpec),
              case .sequence(let items, _) = container["env"]
        else { return ([], []) }
        var values: [(name: String, value: String)] = [], unresolved: [String] = []
        for item in items {
            guard let name = item["name"]?.scalarText else { continue }
            if item["valueFrom"] != nil {
                unresolved.append(name)
            } else {
                values.append((name, item["value"]?.scalarText ?? ""))
            }
        }
        return (values, unresolved)
    }

    /// The primary container's `workingDir`, if set.
    public var primaryContainerWorkingDirectory: String? {
        trialSpec.flatMap { Self.findContainer(named: primaryContainerName, in: $0) }?["workingDir"]?.scalarText
    }

    /// The trial Job's `spec.activeDeadlineSeconds` as written (Kubernetes stops a trial that runs longer).
    public var activeDeadlineSecondsText: String? { trialSpec?["spec"]?["activeDeadlineSeconds"]?.scalarText }

    /// `activeDeadlineSeconds` when it is a positive whole number, as Kubernetes requires.
    public var activeDeadlineSeconds: Double? {
        activeDeadlineSecondsText.flatMap(Int.init).flatMap { $0 > 0 ? Double($0) : nil }
    }

    /// Replaces every `${trialParameters.NAME}` in `text` with the trial's value for it (plain text replace, as Katib
    /// does). Meta references take the trial's name, `namespace`, and the template's kind, apiVersion, labels and
    /// annotations (`${trialSpec.Labels[key]}`).
    public func substitute(_ text: String, values: [String: String], trialName: String, namespace: String = "default") -> String {
        var result = text
        for parameter in trialParameters {
            let value = parameter.isMetaReference
                ? metaValue(parameter.reference, trialName: trialName, namespace: namespace)
                : values[parameter.reference] ?? ""
            result = result.replacingOccurrences(of: "${trialParameters.\(parameter.name)}", with: value)
        }
        return result
    }

    /// Katib's meta references (docs/katib-compat.md §6); an unknown one, or a missing label, is empty.
    func metaValue(_ reference: String, trialName: String, namespace: String) -> String {
        let inner = reference.dropFirst("${trialSpec.".count).dropLast()
        switch inner {
        case "Name": return trialName
        case "Namespace": return namespace
        case "Kind": return trialSpec?["kind"]?.scalarText ?? ""
        case "APIVersion": return trialSpec?["apiVersion"]?.scalarText ?? ""
        default:
            for (prefix, field) in [("Labels[", "labels"), ("Annotations[", "annotations")]
            where inner.hasPrefix(prefix) && inner.hasSuffix("]") {
                let key = String(inner.dropFirst(prefix.count).dropLast())
                return trialSpec?["metadata"]?[field]?[key]?.scalarText ?? ""
            }
            return ""
        }
    }

    /// Every `${trialParameters.X}` placeholder name used anywhere in the trial spec.
    func placeholderNames() -> Set<String> {
        guard let trialSpec else { return [] }
        var names: Set<String> = []
        Self.visitScalars(trialSpec) { text in
            var rest = Substring(text)
            while let start = rest.range(of: "${trialParameters.") {
                let after = rest[start.upperBound...]
                guard let end = after.firstIndex(of: "}") else { break }
                names.insert(String(after[..<end]))
                rest = after[after.index(after: end)...]
            }
        }
        return names
    }

    private static func visitScalars(_ node: SpecNode, _ body: (String) -> Void) {
        switch node {
        case .scalar(let text, _, _): body(text)
        case .sequence(let items, _): items.forEach { visitScalars($0, body) }
        case .mapping(let pairs, _): pairs.forEach { visitScalars($0.value, body) }
        case .null: break
        }
    }

    private static func findContainer(named name: String, in node: SpecNode) -> SpecNode? {
        switch node {
        case .mapping(let pairs, _):
            for (key, value) in pairs {
                if key == "containers", case .sequence(let items, _) = value,
                   let match = items.first(where: { $0["name"]?.scalarText == name }) {
                    return match
                }
                if let found = findContainer(named: name, in: value) { return found }
            }
            return nil
        case .sequence(let items, _):
            return items.lazy.compactMap { findContainer(named: name, in: $0) }.first
        default:
            return nil
        }
    }
}

/// Where and how trial metrics are collected (`metricsCollectorSpec`).
public struct MetricsCollectorSpec: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case stdOut = "StdOut", file = "File", tensorFlowEvent = "TensorFlowEvent"
        case prometheusMetric = "PrometheusMetric", custom = "Custom", push = "Push", none = "None"
    }

    public enum FileFormat: String, Sendable {
        case text = "TEXT", json = "JSON"
    }

    public var kind: Kind
    public var filePath: String?
    public var fileFormat: FileFormat
    /// `source.filter.metricsFormat` regular expressions (two capture groups: name, value).
    public var metricsFormat: [String]

    public init(kind: Kind = .stdOut, filePath: String? = nil, fileFormat: FileFormat = .text, metricsFormat: [String] = []) {
        self.kind = kind
        self.filePath = filePath
        self.fileFormat = fileFormat
        self.metricsFormat = metricsFormat
    }

    /// Katib's default metric line filter: `name=value` pairs.
    public static let defaultFilter = #"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"#
}
