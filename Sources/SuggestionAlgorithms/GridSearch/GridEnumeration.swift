import ExperimentModel

/// The Cartesian product of every parameter's values, in declaration order with the last parameter varying fastest.
struct GridEnumeration {
    let axes: [[ParameterValue]]
    let size: Int

    /// Needs every parameter finite (a DOUBLE needs a step).
    init(space: SearchSpace) {
        axes = space.parameters.map { $0.allValues() ?? [] }
        size = space.finiteSize ?? 0
    }

    /// The point at mixed-radix `index` in `0..<size`.
    func point(at index: Int) -> [ParameterValue] {
        var rest = index
        var point = [ParameterValue](repeating: .int(0), count: axes.count)
        for axis in axes.indices.reversed() {
            point[axis] = axes[axis][rest % axes[axis].count]
            rest /= axes[axis].count
        }
        return point
    }

    func allPoints() -> [[ParameterValue]] { (0..<size).map(point(at:)) }
}
