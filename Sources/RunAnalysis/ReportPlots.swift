import ExperimentRunner
import Foundation

/// The report's multi-parameter plots as inline SVG: parallel coordinates of the trials and a contour (heat map) of
/// the importance forest's prediction over two parameters. Colours run along a viridis-like scale, dark = low.
enum ReportPlots {
    /// An axis over a parameter (or the objective): numbers on a linear or (positive bounds) log scale, choices
    /// evenly spaced.
    struct Axis {
        var name: String
        var domain: RecordedParameter.Domain
        var log = false
        /// A categorical domain's choices by position (constant-time lookups for every trial).
        private var choiceIndex: [String: Int] = [:]

        init(name: String, domain: RecordedParameter.Domain, log: Bool = false) {
            self.name = name
            self.domain = domain
            if case let .numeric(low, high) = domain, low > 0, high > low { self.log = log }
            if case let .categorical(choices) = domain {
                for (index, choice) in choices.enumerated() where choiceIndex[choice] == nil { choiceIndex[choice] = index }
            }
        }

        init(_ parameter: RecordedParameter) {
            self.init(name: parameter.name, domain: parameter.domain, log: parameter.logScale)
        }

        /// Position on 0…1 of a value, nil when it is not in the domain.
        func position(_ text: String) -> Double? {
            switch domain {
            case let .numeric(low, high):
                guard let value = Double(text), value.isFinite else { return nil }
                guard high > low else { return 0.5 }
                // Logarithms and halves, so neither tiny nor huge bounds overflow.
                let fraction = log
                    ? (Foundation.log(max(value, low)) - Foundation.log(low)) / (Foundation.log(high) - Foundation.log(low))
                    : (value / 2 - low / 2) / (high / 2 - low / 2)
                return fraction.isFinite ? min(max(fraction, 0), 1) : nil
            case let .categorical(choices):
                guard let index = choiceIndex[text] else { return nil }
                return choices.count > 1 ? Double(index) / Double(choices.count - 1) : 0.5
            }
        }

        /// The number at a position on 0…1 of a numeric axis.
        func value(at position: Double) -> Double {
            guard case let .numeric(low, high) = domain else { return .nan }
            return log ? exp(Foundation.log(low) + position * (Foundation.log(high) - Foundation.log(low)))
                : low * (1 - position) + high * position
        }

        /// A few labelled positions: the bounds and middle for numbers, every choice (at most 12) otherwise.
        var labels: [(position: Double, text: String)] {
            switch domain {
            case let .numeric(low, high):
                guard high > low else { return [(0.5, SVGChart.label(low))] }
                return [0, 0.5, 1].map { ($0, SVGChart.label(value(at: $0))) }
            case let .categorical(choices):
                let shown = choices.count <= 12 ? Array(choices.indices) : stride(from: 0, to: choices.count, by: choices.count / 12 + 1).map { $0 }
                return shown.map { (choices.count > 1 ? Double($0) / Double(choices.count - 1) : 0.5, choices[$0]) }
            }
        }
    }

    /// One polyline per trial through the objective's axis and then each parameter's, coloured by the objective.
    static func parallelCoordinates(
        axes: [Axis], trials: [(number: Int, parameters: [String: String], value: Double)], metric: String
    ) -> String {
        // An axis some trial has no value for (a parameter not assigned, a value outside its domain) is left out.
        let axes = axes.filter { axis in trials.allSatisfy { axis.position($0.parameters[axis.name] ?? "") != nil } }
        let values = trials.map(\.value)
        guard let low = values.min(), let high = values.max(), !axes.isEmpty else { return "" }
        let objective = Axis(name: metric, domain: .numeric(low: low, high: high))
        let all = [objective] + axes
        let width = max(520.0, 130.0 * Double(all.count)), height = 320.0, top = 40.0, bottom = 30.0, margin = 60.0
        let spacing = (width - 2 * margin) / Double(max(all.count - 1, 1))
        func x(_ index: Int) -> Double { margin + Double(index) * spacing }
        func y(_ position: Double) -> Double { top + (1 - position) * (height - top - bottom) }
        var svg = open(width: width, height: height, title: "Parallel coordinates")
        for trial in trials {
            var points: [String] = []
            for (axisIndex, axis) in all.enumerated() {
                let text = axisIndex == 0 ? String(trial.value) : trial.parameters[axis.name] ?? ""
                guard let position = axis.position(text) else { break }
                points.append("\(f(x(axisIndex))),\(f(y(position)))")
            }
            guard points.count == all.count else { continue }
            svg += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(color((trial.value / 2 - low / 2) / max(high / 2 - low / 2, .leastNormalMagnitude)))\" stroke-opacity=\"0.7\" stroke-width=\"1.2\"><title>trial \(trial.number): \(SVGChart.label(trial.value))</title></polyline>"
        }
        for (axisIndex, axis) in all.enumerated() {
            svg += "<line x1=\"\(f(x(axisIndex)))\" x2=\"\(f(x(axisIndex)))\" y1=\"\(f(y(1)))\" y2=\"\(f(y(0)))\" stroke=\"#555\"/>"
            svg += "<text x=\"\(f(x(axisIndex)))\" y=\"\(f(top - 10))\" text-anchor=\"middle\" class=\"t\">\(html(axis.name))</text>"
            for label in axis.labels {
                svg += "<text x=\"\(f(x(axisIndex) + 4))\" y=\"\(f(y(label.position) + 4))\">\(html(label.text))</text>"
            }
        }
        return svg + "</svg>" + legend(low: low, high: high, metric: metric)
    }

    /// A heat map of `prediction` over two parameters (24 cells a side for numbers, one per choice), with the
    /// trials drawn on top.
    static func contour(
        x: Axis, y: Axis, trials: [(number: Int, parameters: [String: String], value: Double)], metric: String,
        prediction: ([String: String]) -> Double?
    ) -> String {
        func cells(_ axis: Axis) -> [(low: Double, high: Double, value: String)] {
            switch axis.domain {
            case .numeric:
                return (0..<24).map { cell -> (low: Double, high: Double, value: String) in
                    (Double(cell) / 24, Double(cell + 1) / 24, String(axis.value(at: (Double(cell) + 0.5) / 24)))
                }
            case let .categorical(choices):
                let half = choices.count > 1 ? 0.5 / Double(choices.count - 1) : 0.5
                return choices.enumerated().map { index, choice in
                    let centre = choices.count > 1 ? Double(index) / Double(choices.count - 1) : 0.5
                    return (max(0, centre - half), min(1, centre + half), choice)
                }
            }
        }
        let columns = cells(x), rows = cells(y)
        var grid: [[Double?]] = rows.map { row in columns.map { column in prediction([x.name: column.value, y.name: row.value]) } }
        let finite = grid.flatMap { $0 }.compactMap { $0 }.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return "" }
        grid = grid.map { $0.map { $0?.isFinite == true ? $0 : nil } }
        let width = 460.0, height = 400.0, left = 70.0, right = 16.0, top = 28.0, bottom = 50.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ position: Double) -> Double { left + position * plotWidth }
        func py(_ position: Double) -> Double { top + (1 - position) * plotHeight }
        var svg = open(width: width, height: height, title: "\(metric) over \(x.name) and \(y.name)")
        svg += "<text x=\"\(left)\" y=\"18\" class=\"t\">\(html(x.name)) × \(html(y.name))</text>"
        for (rowIndex, row) in rows.enumerated() {
            for (columnIndex, column) in columns.enumerated() {
                guard let value = grid[rowIndex][columnIndex] else { continue }
                let shade = color((value / 2 - low / 2) / max(high / 2 - low / 2, .leastNormalMagnitude))
                svg += "<rect x=\"\(f(px(column.low)))\" y=\"\(f(py(row.high)))\" width=\"\(f(px(column.high) - px(column.low) + 0.5))\" height=\"\(f(py(row.low) - py(row.high) + 0.5))\" fill=\"\(shade)\"><title>\(html(x.name))=\(html(column.value)) \(html(y.name))=\(html(row.value)): \(SVGChart.label(value))</title></rect>"
            }
        }
        for trial in trials {
            guard let a = trial.parameters[x.name].flatMap(x.position), let b = trial.parameters[y.name].flatMap(y.position) else { continue }
            svg += "<circle cx=\"\(f(px(a)))\" cy=\"\(f(py(b)))\" r=\"3\" fill=\"#fff\" stroke=\"#222\"><title>trial \(trial.number): \(SVGChart.label(trial.value))</title></circle>"
        }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" class=\"frame\"/>"
        for label in x.labels {
            svg += "<text x=\"\(f(px(label.position)))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(html(label.text))</text>"
        }
        for label in y.labels {
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py(label.position) + 4))\" text-anchor=\"end\">\(html(label.text))</text>"
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(html(x.name))</text>"
        svg += "<text transform=\"translate(14 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(html(y.name))</text>"
        return svg + "</svg>" + legend(low: low, high: high, metric: metric)
    }

    private static func open(width: Double, height: Double, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\"><title>\(html(title))</title>"
    }

    private static func legend(low: Double, high: Double, metric: String) -> String {
        let stops = (0...4).map { "<span class=\"key\" style=\"background:\(color(Double($0) / 4));margin:0\"></span>" }.joined()
        return "<div>\(html(metric)): \(SVGChart.label(low)) \(stops) \(SVGChart.label(high))</div>"
    }

    /// A colour on a five-stop viridis-like scale for a position in 0…1.
    static func color(_ position: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let t = position.isFinite ? min(max(position, 0), 1) * 4 : 0
        let index = min(Int(t), 3), fraction = t - Double(index)
        let (a, b) = (stops[index], stops[index + 1])
        func mix(_ u: Double, _ v: Double) -> Int { Int((u + (v - u) * fraction).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
