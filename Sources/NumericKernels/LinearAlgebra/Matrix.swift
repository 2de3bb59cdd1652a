/// A dense column-major matrix of doubles, the layout LAPACK expects.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// Entries in column-major order: element (i, j) is at `i + j * rows`.
    public var storage: [Double]

    public init(rows: Int, columns: Int, storage: [Double]) {
        precondition(storage.count == rows * columns, "storage size does not match the shape")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        self.init(rows: rows, columns: columns, storage: Array(repeating: value, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Double {
        get { storage[row + column * rows] }
        set { storage[row + column * rows] = newValue }
    }
}
