import Foundation

/// A small scatter/line chart as inline SVG (no script, no external resources): linear axes with a few round ticks,
/// points, step or polyline series. Enough for a run report; every number is escaped-free text.
struct SVGChart {
    struct Series {
        enum Style { case points, line, steps }
        var points: [(x: Double, y: Double)]
        var style: Style
        var color: String
        var label: String
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    /// Category names for an axis of indices (a categorical parameter).
    var xCategories: [String]?
    var width = 520.0, height = 300.0
    /// A logarithmic x axis (a log-uniform parameter): positions by log10, ticks at values (non-positive x are left out).
    var logX = false

    private let left = 64.0, right = 16.0, top = 28.0, bottom = 44.0

    func render() -> String {
        guard logX else { return draw() }
        var scaled = self
        scaled.logX = false
        scaled.series = series.map { item in
            var item = item
            item.points = item.points.filter { $0.x > 0 }.map { (log10($0.x), $0.y) }
            return item
        }
        return scaled.draw(xTickLabel: { Self.label(pow(10, $0)) })
    }

    private func draw(xTickLabel: (Double) -> String = SVGChart.label) -> String {
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        guard !all.isEmpty else { return "<p class=\"empty\">\(html(title)): no values to plot</p>" }
        let (x0, x1) = Self.range(all.map(\.x)), (y0, y1) = Self.range(all.map(\.y))
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        // Halves, so values near ±Double.greatestFiniteMagnitude do not overflow the span.
        func px(_ x: Double) -> Double { left + (x / 2 - x0 / 2) / (x1 / 2 - x0 / 2) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y / 2 - y0 / 2) / (y1 / 2 - y0 / 2)) * plotHeight }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"
        svg += "<title>\(html(title))</title><text x=\"\(left)\" y=\"18\" class=\"t\">\(html(title))</text>"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" class=\"frame\"/>"
        for tick in Self.ticks(y0, y1) {
            let y = py(tick)
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(f(y))\" y2=\"\(f(y))\" class=\"grid\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(Self.label(tick))</text>"
        }
        if let categories = xCategories {
            for (index, name) in categories.enumerated() {
                svg += "<text x=\"\(f(px(Double(index))))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(html(name))</text>"
            }
        } else {
            for tick in Self.ticks(x0, x1) {
                svg += "<text x=\"\(f(px(tick)))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(xTickLabel(tick))</text>"
            }
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\">\(html(xLabel))</text>"
        svg += "<text transform=\"translate(14 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(html(yLabel))</text>"
        for item in series {
            let points = item.points.filter { $0.x.isFinite && $0.y.isFinite }
            switch item.style {
            case .points:
                for point in points {
                    svg += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"3.5\" fill=\"\(item.color)\" fill-opacity=\"0.75\"><title>\(html(item.label)) \(Self.label(point.x)): \(Self.label(point.y))</title></circle>"
                }
            case .line, .steps:
                var path = ""
                for (index, point) in points.enumerated() {
                    if index == 0 {
                        path += "M\(f(px(point.x))) \(f(py(point.y)))"
                    } else if item.style == .steps {
                        path += " H\(f(px(point.x))) V\(f(py(point.y)))"
                    } else {
                        path += " L\(f(px(point.x))) \(f(py(point.y)))"
                    }
                }
                svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(item.color)\" stroke-width=\"1.5\"><title>\(html(item.label))</title></path>"
            }
        }
        return svg + "</svg>"
    }

    /// The data range, widened a little (and around a single value).
    static func range(_ values: [Double]) -> (Double, Double) {
        var low = values.min()!, high = values.max()!
        if low == high { (low, high) = (low - max(1, abs(low) * 0.1), high + max(1, abs(high) * 0.1)) }
        let pad = (high / 2 - low / 2) * 0.1
        return (low - pad).isFinite && (high + pad).isFinite ? (low - pad, high + pad) : (low, high)
    }

    /// About five round ticks inside the range.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        let raw = (high / 2 - low / 2) / 2.5
        guard raw.isFinite, raw > 0, (high - low).isFinite else { return [low, high] }
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var tick = ceil(low / step) * step
        while tick <= high, ticks.count < 12 {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }

    static func label(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.4g", value)
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// Text made safe for HTML and SVG.
func html(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
