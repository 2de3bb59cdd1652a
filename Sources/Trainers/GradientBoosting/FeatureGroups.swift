/// Features with few bins grouped so that one byte per row holds the bins of every feature of a group: the training
/// rows take at most 256 distinct combinations of the group's bins (an hour and its sine and cosine codes take 24
/// together, not 24 × 22 × 22; Seoul traffic's spot × hour codes take 240, weekday × month × holiday codes 84). A
/// leaf's histogram then adds one value per group and row instead of one per feature, into a histogram of the group's
/// combinations, which is spread back onto each member's bins afterwards (one add per combination and member, not per
/// row). The sums are the same sums in another order: exact for quantized gradients, equal up to rounding for float
/// ones.
struct FeatureGroups: Sendable {
    /// Most distinct combinations of a group: its code is one byte.
    static let maxCombinations = 256
    /// Features with more bins join no group (two such features have more combinations than one byte holds).
    static let maxMemberBins = 128

    struct Group: Sendable {
        /// The member features, in increasing order.
        let features: [Int]
        /// `bins[code * features.count + k]`: the bin of member k in combination `code`.
        let bins: [UInt8]
        var combinations: Int { bins.count / features.count }
    }

    let groups: [Group]
    /// Each feature's column of `rows`: its group's, or its own for a feature in no group.
    let columnOfFeature: [Int]
    /// Each feature's group, or nil.
    let groupOfFeature: [Int?]
    /// Row-major codes: `rows[i * width + c]` is row i's combination code of group c (c < `groups.count`), or its bin
    /// of the ungrouped feature of column c.
    let rows: [UInt8]
    let width: Int
    /// The first cell of each group's combinations after a dataset's `histogramSize` cells.
    let combinationOffsets: [Int]
    let combinationCount: Int

    /// Passes over the rows that grouping may take (each trial of a feature against a group is one, at most): wide
    /// data with many few-bin features groups its first ones and leaves the rest alone.
    static let maxPasses = 64

    /// Groups `data`'s features greedily (most bins first, each into the group whose combinations it adds fewest to,
    /// as long as they stay at most 256, within `maxPasses` passes over the rows); nil when no two features can be
    /// grouped.
    init?(_ data: BinnedDataset) {
        let n = data.rowCount, width = data.featureCount
        let candidates = (0..<width).filter { (2...Self.maxMemberBins).contains(data.mappers[$0].totalBins) }
            .sorted { (data.mappers[$0].totalBins, $1) > (data.mappers[$1].totalBins, $0) }
        guard candidates.count >= 2 else { return nil }
        var members: [[Int]] = []
        var codes: [[UInt8]] = []
        var counts: [Int] = []
        var table = [Int16](repeating: -1, count: Self.maxCombinations * Self.maxMemberBins)
        var used: [Int] = []
        var rowsLeft = Self.maxPasses * n
        data.bins.withUnsafeBufferPointer { bins in
            // The combinations of each row's `code` with its bin of feature f, numbered in row order (with `keep`, each
            // row's new code); stops at the 257th.
            func joined(_ code: [UInt8], _ f: Int, keep: Bool) -> (count: Int, codes: [UInt8]?) {
                let binCount = data.mappers[f].totalBins
                // Only the entries the last call set are reset: at most 257, not the whole table.
                for key in used { table[key] = -1 }
                used.removeAll(keepingCapacity: true)
                var next = 0
                var result = keep ? [UInt8](repeating: 0, count: n) : nil
                for row in 0..<n {
                    let key = Int(code[row]) * binCount + Int(bins[row * width + f])
                    if table[key] < 0 {
                        guard next < Self.maxCombinations else {
                            rowsLeft -= row + 1
                            return (next + 1, nil)
                        }
                        table[key] = Int16(next)
                        used.append(key)
                        next += 1
                    }
                    if keep { result![row] = UInt8(truncatingIfNeeded: table[key]) }
                }
                rowsLeft -= n
                return (next, result)
            }
            for f in candidates {
                guard rowsLeft > 0 else { break }
                var best: (group: Int, count: Int)?
                for g in members.indices where rowsLeft > 0 {
                    let count = joined(codes[g], f, keep: false).count
                    if count <= Self.maxCombinations, count < best?.count ?? .max { best = (g, count) }
                }
                if let best {
                    let result = joined(codes[best.group], f, keep: true)
                    members[best.group].append(f)
                    codes[best.group] = result.codes!
                    counts[best.group] = result.count
                } else {
                    let result = joined([UInt8](repeating: 0, count: n), f, keep: true)
                    members.append([f])
                    codes.append(result.codes!)
                    counts.append(result.count)
                }
            }
        }
        let kept = members.indices.filter { members[$0].count >= 2 }
        guard !kept.isEmpty else { return nil }
        var groups: [Group] = []
        var groupOfFeature = [Int?](repeating: nil, count: width)
        for g in kept {
            let features = members[g].sorted()
            var combinationBins = [UInt8](repeating: 0, count: counts[g] * features.count)
            for row in 0..<n {
                let code = Int(codes[g][row])
                for (k, f) in features.enumerated() { combinationBins[code * features.count + k] = data.bins[row * width + f] }
            }
            for f in features { groupOfFeature[f] = groups.count }
            groups.append(Group(features: features, bins: combinationBins))
        }
        let ungrouped = (0..<width).filter { groupOfFeature[$0] == nil }
        var columnOfFeature = groupOfFeature.map { $0 ?? 0 }
        for (k, f) in ungrouped.enumerated() { columnOfFeature[f] = groups.count + k }
        let columns = groups.count + ungrouped.count
        var rows = [UInt8](repeating: 0, count: n * columns)
        for row in 0..<n {
            for (c, g) in kept.enumerated() { rows[row * columns + c] = codes[g][row] }
            for (k, f) in ungrouped.enumerated() { rows[row * columns + groups.count + k] = data.bins[row * width + f] }
        }
        var offsets: [Int] = [], total = 0
        for group in groups {
            offsets.append(total)
            total += group.combinations
        }
        self.groups = groups
        self.columnOfFeature = columnOfFeature
        self.groupOfFeature = groupOfFeature
        self.rows = rows
        self.width = columns
        combinationOffsets = offsets
        combinationCount = total
    }

    /// How a histogram of `features` over `rowCount` rows reads the grouped rows: the columns, their bin counts and
    /// first histogram bins (a group's combinations after `histogramSize`), and which members to spread back. Nil when
    /// spreading back would cost more than the adds it saves.
    func plan(for features: [Int], rowCount: Int, histogramSize: Int, histogramOffsets: [Int], binCounts: (Int) -> Int) -> GroupedColumns? {
        var columns: [Int] = [], columnBins: [Int] = [], slots: [Int] = []
        var spread: [(group: Int, members: [(index: Int, feature: Int)])] = []
        var spreadCost = 0
        for f in features {
            if let g = groupOfFeature[f] {
                if let existing = spread.firstIndex(where: { $0.group == g }) {
                    spread[existing].members.append((groups[g].features.firstIndex(of: f)!, f))
                } else {
                    spread.append((g, [(groups[g].features.firstIndex(of: f)!, f)]))
                    columns.append(columnOfFeature[f])
                    columnBins.append(groups[g].combinations)
                    slots.append(histogramSize + combinationOffsets[g])
                }
                spreadCost += groups[g].combinations
            } else {
                columns.append(columnOfFeature[f])
                columnBins.append(binCounts(f))
                slots.append(histogramOffsets[f])
            }
        }
        let saved = rowCount * (features.count - columns.count)
        guard saved > 2 * spreadCost else { return nil }
        return GroupedColumns(columns: columns, binCounts: columnBins, slots: slots, spread: spread)
    }
}

/// The columns a grouped histogram reads (see `FeatureGroups.plan`).
struct GroupedColumns {
    let columns: [Int]
    let binCounts: [Int]
    /// First histogram bin of each column.
    let slots: [Int]
    /// Groups to spread back onto the bins of their sampled members (index within the group, feature).
    let spread: [(group: Int, members: [(index: Int, feature: Int)])]
}
