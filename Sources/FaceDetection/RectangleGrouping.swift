import Frames

/// OpenCV's `groupRectangles`: cluster similar rectangles, average each cluster, drop
/// weak clusters and clusters nested inside stronger ones.
public enum RectangleGrouping {
    static func similar(_ a: Rect, _ b: Rect, eps: Double) -> Bool {
        let delta = eps * (Double(min(a.width, b.width) + min(a.height, b.height)) * 0.5)
        return Double(abs(a.x - b.x)) <= delta && Double(abs(a.y - b.y)) <= delta
            && Double(abs(a.x + a.width - b.x - b.width)) <= delta
            && Double(abs(a.y + a.height - b.y - b.height)) <= delta
    }

    public static func group(_ rects: [Rect], minNeighbors: Int, eps: Double) -> [Rect] {
        guard minNeighbors > 0, !rects.isEmpty else { return rects }
        // Connected components of the similarity relation (union-find).
        var parent = Array(rects.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        for i in rects.indices {
            for j in (i + 1)..<rects.count where similar(rects[i], rects[j], eps: eps) {
                let a = root(i), b = root(j)
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        var clusterOf: [Int: Int] = [:]
        var sums: [(x: Int, y: Int, w: Int, h: Int)] = []
        var counts: [Int] = []
        for i in rects.indices {
            let r = root(i)
            let c: Int
            if let existing = clusterOf[r] {
                c = existing
            } else {
                c = sums.count
                clusterOf[r] = c
                sums.append((0, 0, 0, 0))
                counts.append(0)
            }
            sums[c].x += rects[i].x; sums[c].y += rects[i].y; sums[c].w += rects[i].width; sums[c].h += rects[i].height
            counts[c] += 1
        }
        let averaged: [Rect] = sums.indices.map { c in
            let s = 1 / Float(counts[c])
            func avg(_ v: Int) -> Int { Int((Float(v) * s).rounded(.toNearestOrEven)) }
            return Rect(x: avg(sums[c].x), y: avg(sums[c].y), width: avg(sums[c].w), height: avg(sums[c].h))
        }
        var result: [Rect] = []
        for i in averaged.indices where counts[i] > minNeighbors {
            let r1 = averaged[i], n1 = counts[i]
            var nested = false
            for j in averaged.indices where j != i && counts[j] > minNeighbors {
                let r2 = averaged[j], n2 = counts[j]
                let dx = Int((Double(r2.width) * eps).rounded(.toNearestOrEven))
                let dy = Int((Double(r2.height) * eps).rounded(.toNearestOrEven))
                if r1.x >= r2.x - dx && r1.y >= r2.y - dy && r1.x + r1.width <= r2.x + r2.width + dx
                    && r1.y + r1.height <= r2.y + r2.height + dy && (n2 > max(3, n1) || n1 < 3)
                {
                    nested = true
                    break
                }
            }
            if !nested { result.append(r1) }
        }
        return result
    }
}
