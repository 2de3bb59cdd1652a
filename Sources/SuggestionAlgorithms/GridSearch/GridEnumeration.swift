import ExperimentModel

/// The Cartesian product of every parameter's values, in declaration order with the last parameter varying fastest.
/// Points are computed from their index; nothing is materialised.
struct GridEnumeration {
    let axes: [GridAxis]
    let size: Int

    /// Needs every parameter finite (a DOUBLE needs a step); `size` is 0 when the product overflows an Int.
    init(space: SearchSpace) {
        axes = space.parameters.compactMap(GridAxis.init)
        size = axes.count == space.parameters.count ? space.finiteSize ?? 0 : 0
    }

    /// The point at mixed-radix `index` in `0..<size`.
    func point(at index: Int) -> [ParameterValue] {
        var rest = index
        var point = [ParameterValue](repeating: .int(0), count: axes.count)
        for axis in axes.indices.reversed() {
            point[axis] = axes[axis].value(at: rest % axes[axis].count)
            rest /= axes[axis].count
        }
        return point
    }
}
