internal import Yams

/// A YAML/JSON document tree that remembers the line of every node, so errors can point at the source.
public indirect enum SpecNode: Sendable, Equatable {
    /// A scalar with its source text and whether it was quoted (`"3"` stays a string, `3` may be a number).
    case scalar(String, quoted: Bool, line: Int)
    case sequence([SpecNode], line: Int)
    /// A mapping in source order.
    case mapping([(key: String, value: SpecNode)], line: Int)
    case null(line: Int)

    /// Parses a YAML (or JSON, which is YAML) document.
    public static func parse(yaml text: String, file: String) throws(ExperimentModelError) -> SpecNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw .malformedDocument(file: file, message: String(describing: error))
        }
        guard let root else { throw .malformedDocument(file: file, message: "the document is empty") }
        var budget = maxNodes
        return try SpecNode(root, file: file, budget: &budget)
    }

    /// The most nodes a document may expand to: YAML anchors and aliases let a few hundred bytes name billions of
    /// nodes ("billion laughs"), so the expansion is counted and stopped.
    public static let maxNodes = 200_000

    private init(_ node: Node, file: String, budget: inout Int) throws(ExperimentModelError) {
        let line = node.mark?.line ?? 0
        budget -= 1
        guard budget >= 0 else {
            throw .malformedDocument(
                file: file,
                message: "line \(line): the document expands to more than \(Self.maxNodes) nodes (through YAML aliases?)")
        }
        switch node {
        case .scalar(let scalar):
            let quoted = scalar.style != .plain
            if !quoted, ["null", "~", ""].contains(scalar.string) {
                self = .null(line: line)
            } else {
                self = .scalar(scalar.string, quoted: quoted, line: line)
            }
        case .sequence(let sequence):
            var items: [SpecNode] = []
            for item in sequence { items.append(try SpecNode(item, file: file, budget: &budget)) }
            self = .sequence(items, line: line)
        case .mapping(let mapping):
            var pairs: [(key: String, value: SpecNode)] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw .malformedDocument(file: file, message: "line \(line): mapping keys must be plain strings")
                }
                if pairs.contains(where: { $0.key == keyScalar.string }) {
                    throw .malformedDocument(
                        file: file, message: "line \(key.mark?.line ?? line): duplicate key '\(keyScalar.string)'")
                }
                pairs.append((keyScalar.string, try SpecNode(value, file: file, budget: &budget)))
            }
            self = .mapping(pairs, line: line)
        case .alias:
            throw .malformedDocument(file: file, message: "line \(line): YAML aliases are not supported")
        }
    }

    /// The 1-based source line of this node (0 when unknown).
    public var line: Int {
        switch self {
        case .scalar(_, _, let line), .sequence(_, let line), .mapping(_, let line), .null(let line): line
        }
    }

    /// The value under `key` when this is a mapping.
    public subscript(key: String) -> SpecNode? {
        guard case .mapping(let pairs, _) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    /// The scalar text, if this is a scalar.
    public var scalarText: String? {
        if case .scalar(let text, _, _) = self { return text }
        return nil
    }

    public static func == (lhs: SpecNode, rhs: SpecNode) -> Bool {
        switch (lhs, rhs) {
        case let (.scalar(a, qa, _), .scalar(b, qb, _)): a == b && qa == qb
        case let (.sequence(a, _), .sequence(b, _)): a == b
        case let (.mapping(a, _), .mapping(b, _)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.null, .null): true
        default: false
        }
    }
}
