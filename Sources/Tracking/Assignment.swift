/// Minimum-cost assignment of rows to columns (the Hungarian method with potentials, O(n²m)).
///
/// `cost[r][c]` is the cost of pairing row r with column c; `nil` forbids the pair. Returns, for
/// each row, its column or nil. Among assignments with the most allowed pairs it finds one of least
/// total cost, so a forbidden pair is never traded for a cheaper allowed one elsewhere.
public func minimumCostAssignment(_ cost: [[Double?]]) -> [Int?] {
    let rows = cost.count
    guard rows > 0 else { return [] }
    let columns = cost[0].count
    guard columns > 0 else { return Array(repeating: nil, count: rows) }
    // The solver wants rows <= columns; solve the transpose when there are more rows.
    if rows > columns {
        let transposed = (0..<columns).map { c in (0..<rows).map { r in cost[r][c] } }
        var result = [Int?](repeating: nil, count: rows)
        for (c, r) in minimumCostAssignment(transposed).enumerated() { if let r { result[r] = c } }
        return result
    }
    // A forbidden pair costs more than any whole assignment of allowed pairs, so the solver uses one
    // only when no allowed column is left; such pairs are dropped from the result.
    let finite = cost.joined().compactMap { $0 }
    let forbidden = (finite.map(abs).max() ?? 0) * Double(rows + 1) + 1
    let a = cost.map { $0.map { $0 ?? forbidden } }

    // 1-based arrays as in the textbook formulation; column 0 is the virtual start.
    var u = [Double](repeating: 0, count: rows + 1), v = [Double](repeating: 0, count: columns + 1)
    var owner = [Int](repeating: 0, count: columns + 1), way = [Int](repeating: 0, count: columns + 1)
    for row in 1...rows {
        owner[0] = row
        var column0 = 0
        var minimum = [Double](repeating: .infinity, count: columns + 1)
        var used = [Bool](repeating: false, count: columns + 1)
        repeat {
            used[column0] = true
            let row0 = owner[column0]
            var delta = Double.infinity, column1 = 0
            for c in 1...columns where !used[c] {
                let reduced = a[row0 - 1][c - 1] - u[row0] - v[c]
                if reduced < minimum[c] { minimum[c] = reduced; way[c] = column0 }
                if minimum[c] < delta { delta = minimum[c]; column1 = c }
            }
            for c in 0...columns {
                if used[c] { u[owner[c]] += delta; v[c] -= delta } else { minimum[c] -= delta }
            }
            column0 = column1
        } while owner[column0] != 0
        repeat {
            let column1 = way[column0]
            owner[column0] = owner[column1]
            column0 = column1
        } while column0 != 0
    }
    var result = [Int?](repeating: nil, count: rows)
    for c in 1...columns where owner[c] != 0 {
        let r = owner[c] - 1
        if cost[r][c - 1] != nil { result[r] = c - 1 }
    }
    return result
}
