import Foundation
import NumericKernels
import Trainers

/// One cross-validation fold: positions in the training rows that fit, and those that score.
public struct CrossValidationFold: Sendable, Equatable {
    public let train: [Int]
    public let validation: [Int]
}

/// How a plain CSV's rows are split: into train, validation and test (fractions, a seeded shuffle, stratified, a split
/// column, a time column) and the training rows into cross-validation folds.
extension DataLoader {
    /// Where each row of a plain CSV goes, as `train` and trials split it: its line in the file, its split (`train`,
    /// `valid`, `test`) and, cross-validating, the fold (from 1) it validates in and the folds it trains in (time-ordered
    /// folds train on earlier rows only) — to reproduce the split elsewhere.
    public static func assignment(
        _ spec: DataSpec
    ) throws(TunekitError) -> [(line: Int, split: String, fold: Int?, trainsIn: [Int])] {
        if try isTrafficData(spec.path) {
            throw .invalidArguments("\(spec.path) is traffic data, split by months: `tunekit datasets featurize` writes its splits")
        }
        let table = try wrap { () throws(TrainerError) in try DataTable.read(csv: spec.path) }
        try checkNamedColumns(spec, table: table)
        let parts = try splitRows(spec, table: table)
        var rows = table.lines.map { (line: $0, split: "train", fold: Int?.none, trainsIn: [Int]()) }
        for row in parts.validation { rows[row].split = "valid" }
        for row in parts.test { rows[row].split = "test" }
        for (index, fold) in (try folds(spec, table: table, pool: parts.train) ?? []).enumerated() {
            for position in fold.validation { rows[parts.train[position]].fold = index + 1 }
            for position in fold.train { rows[parts.train[position]].trainsIn.append(index + 1) }
        }
        return rows
    }

    /// Row indices of each split of the main file, each in file order: by a split column, by a time column, or by
    /// fractions (the latest rows, or a seeded shuffle). Fractions count rows to the nearest whole row.
    static func splitRows(_ spec: DataSpec, table: DataTable) throws(TunekitError) -> (train: [Int], validation: [Int], test: [Int]) {
        let n = table.rowCount
        if let column = spec.splitColumn {
            guard let cells = table.column(named: column) else { throw .data("\(spec.path): no column '\(column)' (--split-column)") }
            var parts: (train: [Int], validation: [Int], test: [Int]) = ([], [], [])
            for row in 0..<n {
                let value = cells.text(row).trimmingCharacters(in: .whitespaces)
                switch spec.splitValues.map({ $0[value] }) ?? value.lowercased() {
                case "train", "training": parts.train.append(row)
                case "valid", "validation", "val": parts.validation.append(row)
                case "test": parts.test.append(row)
                default:
                    let allowed = spec.splitValues.map { $0.keys.sorted().joined(separator: ", ") + " (--split-values)" } ?? "train, valid or test"
                    throw .data("\(spec.path), line \(table.lines[row]): --split-column \(column) has '\(value)'; each row must be \(allowed)")
                }
            }
            if spec.crossValidates, let first = parts.validation.first {
                throw .data(
                    "\(spec.path), line \(table.lines[first]): --split-column \(column) marks validation rows, but cross-validation scores on folds of every non-test row; mark them train")
            }
            return parts
        }
        if let column = spec.timeColumn {
            return try splitByTime(spec, table: table, column: column)
        }
        // Stratified: each target value's rows are split on their own, so every split keeps its share.
        var groups: [[Int]] = [Array(0..<n)]
        if spec.stratify == true {
            groups = try classGroups(spec, table: table, rows: Array(0..<n))
        }
        var random = spec.shuffleSeed.map { Xoshiro256(seed: $0) }
        var parts: (train: [Int], validation: [Int], test: [Int]) = ([], [], [])
        // The split sizes are rounded once for all rows, then shared among the classes by largest remainder, so small
        // classes neither round every split away nor add up to more rows than asked for.
        let sizes = groups.map(\.count)
        let testCounts = apportion(spec.testPath == nil ? Int((Double(n) * spec.testFraction).rounded()) : 0, among: sizes)
        let validCounts = apportion(
            spec.validPath == nil ? Int((Double(n) * spec.validFraction).rounded()) : 0, among: zip(sizes, testCounts).map { $0 - $1 })
        for (index, group) in groups.enumerated() {
            let order = shuffled(group, with: &random)
            let count = order.count
            let testCount = testCounts[index], validCount = validCounts[index]
            let trainEnd = max(0, count - testCount - validCount), validEnd = max(trainEnd, count - testCount)
            parts.train += order[..<trainEnd]
            parts.validation += order[trainEnd..<validEnd]
            parts.test += order[validEnd...]
        }
        return (parts.train.sorted(), parts.validation.sorted(), parts.test.sorted())
    }

    /// `rows` in a Fisher–Yates order drawn from `random`; as they are without one.
    fileprivate static func shuffled(_ rows: [Int], with random: inout Xoshiro256?) -> [Int] {
        guard random != nil else { return rows }
        var order = rows
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random!.nextIndex(below: i + 1)) }
        return order
    }

    /// `total` rows shared among groups of these sizes in proportion: each group's floor, then one more for the largest
    /// remainders (ties to the earlier group), never above a group's size (a floor below its exact share leaves room
    /// for one more, so the floors and the remainders always reach the total).
    static func apportion(_ total: Int, among sizes: [Int]) -> [Int] {
        let sum = sizes.reduce(0, +)
        guard total > 0, sum > 0 else { return sizes.map { _ in 0 } }
        let share = min(1, Double(total) / Double(sum))
        let exact = sizes.map { Double($0) * share }
        var counts = zip(exact, sizes).map { min($1, Int($0)) }
        var left = min(total, sum) - counts.reduce(0, +)
        for index in exact.indices.sorted(by: { (exact[$0] - exact[$0].rounded(.down), -$0) > (exact[$1] - exact[$1].rounded(.down), -$1) })
        where left > 0 && counts[index] < sizes[index] {
            counts[index] += 1
            left -= 1
        }
        return counts
    }

    /// Rows before `validFrom` train, from `validFrom` validate, from `testFrom` test, comparing numbers when every
    /// value (and bound) is one, else text (ISO dates and months sort as text).
    fileprivate static func splitByTime(
        _ spec: DataSpec, table: DataTable, column: String
    ) throws(TunekitError) -> (train: [Int], validation: [Int], test: [Int]) {
        let (values, before) = try timeOrder(spec, table: table, column: column)
        if let validFrom = spec.validFrom, let testFrom = spec.testFrom, before(testFrom, validFrom) {
            throw .invalidArguments("--valid-from \(validFrom) is after --test-from \(testFrom): the validation and test ranges would overlap")
        }
        var parts: (train: [Int], validation: [Int], test: [Int]) = ([], [], [])
        for (row, value) in values.enumerated() {
            if let testFrom = spec.testFrom, !before(value, testFrom) {
                parts.test.append(row)
            } else if let validFrom = spec.validFrom, !before(value, validFrom) {
                parts.validation.append(row)
            } else {
                parts.train.append(row)
            }
        }
        return parts
    }

    /// The time column's values and their order: numbers when every value (and bound) is one, else text (ISO dates
    /// and months sort as text).
    fileprivate static func timeOrder(
        _ spec: DataSpec, table: DataTable, column: String
    ) throws(TunekitError) -> (values: [String], before: @Sendable (String, String) -> Bool) {
        guard let cells = table.column(named: column) else { throw .data("\(spec.path): no column '\(column)' (--time-column)") }
        let bounds = [spec.validFrom, spec.testFrom].compactMap { $0 }
        let values = (0..<table.rowCount).map { cells.text($0).trimmingCharacters(in: .whitespaces) }
        if let empty = values.firstIndex(where: \.isEmpty) {
            throw .data("\(spec.path), line \(table.lines[empty]): --time-column \(column) is empty; every row needs a time to be split by it")
        }
        let numeric = (values + bounds).allSatisfy { Double($0) != nil }
        return (values, { a, b in numeric ? Double(a)! < Double(b)! : a < b })
    }

    /// Most distinct target values a stratified split accepts: more is a regression target, not class labels.
    static let maxStrata = 100

    /// Positions in `rows` grouped by class (the target's value, or its side of `--target-above`), classes in sorted
    /// order.
    fileprivate static func classGroups(_ spec: DataSpec, table: DataTable, rows: [Int]) throws(TunekitError) -> [[Int]] {
        guard let target = spec.target, let labels = table.column(named: target) else { return [Array(rows.indices)] }
        let key: (Int) -> String = { position in
            let row = rows[position]
            guard let threshold = spec.targetAbove else { return labels.text(row) }
            return DataTable.numericCell(Substring(labels.text(row).trimmingCharacters(in: .whitespaces))).map { $0 > threshold ? "1" : "0" } ?? ""
        }
        let groups = Dictionary(grouping: rows.indices, by: key)
        guard groups.count <= maxStrata else {
            throw .invalidArguments(
                "--stratify keeps each class's share, but '\(target)' has \(groups.count) distinct values: that is a regression target, not class labels (drop --stratify, or --stratify=false with --cv)")
        }
        return groups.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Cross-validation folds over the training rows `pool` (file rows, in file order), as positions in `pool`: the
    /// fold column's values; time-ordered folds (fold i trains on the rows before its block, as scikit-learn's
    /// TimeSeriesSplit, never cutting between equal times); else k-fold, in file order or shuffled by the shuffle seed,
    /// and within each class when stratified (StratifiedKFold).
    static func folds(_ spec: DataSpec, table: DataTable, pool: [Int]) throws(TunekitError) -> [CrossValidationFold]? {
        guard spec.crossValidates else { return nil }
        let m = pool.count
        func fold(validating isValidation: [Bool]) -> CrossValidationFold {
            CrossValidationFold(train: (0..<m).filter { !isValidation[$0] }, validation: (0..<m).filter { isValidation[$0] })
        }
        if let column = spec.foldColumn {
            guard let cells = table.column(named: column) else { throw .data("\(spec.path): no column '\(column)' (--fold-column)") }
            let labels = pool.map { cells.text($0).trimmingCharacters(in: .whitespaces) }
            if let empty = labels.firstIndex(where: \.isEmpty) {
                throw .data("\(spec.path), line \(table.lines[pool[empty]]): --fold-column \(column) is empty; every training row needs a fold")
            }
            let numeric = labels.allSatisfy { Double($0) != nil }
            let distinct = Set(labels).sorted { numeric ? Double($0)! < Double($1)! : $0 < $1 }
            guard (2...DataSpec.maxFolds).contains(distinct.count) else {
                throw .data("\(spec.path): --fold-column \(column) has \(distinct.count) distinct values among the training rows; cross-validation needs 2 to \(DataSpec.maxFolds) folds")
            }
            if let k = spec.crossValidationFolds, k != distinct.count {
                throw .data("\(spec.path): --cv \(k) but --fold-column \(column) names \(distinct.count) folds (\(distinct.prefix(5).joined(separator: ", ")))")
            }
            return distinct.map { value in fold(validating: labels.map { $0 == value }) }
        }
        let k = spec.crossValidationFolds ?? 5
        guard m >= 2 * k else {
            throw .data("\(spec.path): \(m) training rows are too few for \(k)-fold cross-validation (at least \(2 * k))")
        }
        if let column = spec.timeColumn {
            let (values, before) = try timeOrder(spec, table: table, column: column)
            let order = (0..<m).sorted { a, b in
                before(values[pool[a]], values[pool[b]]) || (!before(values[pool[b]], values[pool[a]]) && a < b)
            }
            // k + 1 blocks of about equal size, each boundary moved past rows with the time just before it.
            var bounds = [0]
            for block in 1...k {
                var bound = max(bounds.last!, m * block / (k + 1))
                while bound > 0, bound < m, !before(values[pool[order[bound - 1]]], values[pool[order[bound]]]) { bound += 1 }
                bounds.append(bound)
            }
            bounds.append(m)
            guard zip(bounds, bounds.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw .data("\(spec.path): --time-column \(column) has too few distinct times before the test rows for \(k) time-ordered folds")
            }
            return (1...k).map { i in
                CrossValidationFold(train: order[0..<bounds[i]].sorted(), validation: order[bounds[i]..<bounds[i + 1]].sorted())
            }
        }
        let groups = spec.stratify == true
            ? try classGroups(spec, table: table, rows: pool)
            : [Array(0..<m)]
        var random = spec.shuffleSeed.map { Xoshiro256(seed: $0, stream: StreamDerivation.code("folds")) }
        var foldOf = [Int](repeating: 0, count: m)
        if groups.count == 1 {
            // Contiguous blocks of the (shuffled) order, as KFold.
            for (position, row) in shuffled(groups[0], with: &random).enumerated() { foldOf[row] = position * k / m }
        } else {
            // Stratified: the classes' rows one class after another, dealt to the folds in turn, so each fold holds its
            // share of every class and all folds hold rows even when every class is smaller than k.
            var dealt = 0
            for group in groups {
                for row in shuffled(group, with: &random) {
                    foldOf[row] = dealt % k
                    dealt += 1
                }
            }
        }
        return (0..<k).map { f in fold(validating: foldOf.map { $0 == f }) }
    }
}
