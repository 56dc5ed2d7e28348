import Frames

/// Where labels and panels go so that nothing covers a face, another label, a panel or the HUD.
///
/// Faces and the HUD are claimed first; each label or panel then takes the first of its candidate places
/// that lies inside the frame and overlaps nothing claimed. A label with no free place is not drawn (its face
/// keeps its coloured box); the selected face's panel falls back to a free corner of the frame.
struct OverlayLayout {
    let bounds: Rect
    private(set) var claimed: [Rect]

    /// `faces` are padded by the outline drawn around them.
    init(width: Int, height: Int, faces: [Rect], hud: Rect?) {
        bounds = Rect(x: 0, y: 0, width: width, height: height)
        claimed = faces.map { Rect(x: $0.x - 3, y: $0.y - 3, width: $0.width + 6, height: $0.height + 6) }
        if let hud { claimed.append(hud) }
    }

    func isFree(_ r: Rect) -> Bool {
        r.x >= 0 && r.y >= 0 && r.x + r.width <= bounds.width && r.y + r.height <= bounds.height
            && !claimed.contains { !$0.intersection(r).isEmpty }
    }

    /// Takes the first free candidate, or nothing.
    mutating func claim(_ candidates: [Rect]) -> Rect? {
        guard let place = candidates.first(where: isFree) else { return nil }
        claimed.append(place)
        return place
    }

    /// A label's places: above the face (left- then right-aligned), below it, then beside it.
    static func labelCandidates(for box: Rect, width w: Int, height h: Int) -> [Rect] {
        let right = box.x + box.width, bottom = box.y + box.height
        return [
            Rect(x: box.x, y: box.y - h - 3, width: w, height: h),
            Rect(x: right - w, y: box.y - h - 3, width: w, height: h),
            Rect(x: box.x, y: bottom + 3, width: w, height: h),
            Rect(x: right - w, y: bottom + 3, width: w, height: h),
            Rect(x: right + 4, y: box.y, width: w, height: h),
            Rect(x: box.x - w - 4, y: box.y, width: w, height: h),
        ]
    }

    /// A panel's places: right of the face, left, below, above (each also slid along the face), then the
    /// frame's corners.
    func panelCandidates(for box: Rect, width w: Int, height h: Int) -> [Rect] {
        let right = box.x + box.width, bottom = box.y + box.height
        var result: [Rect] = []
        for dy in [0, box.height - h, -h / 2, box.height / 2] {
            result.append(Rect(x: right + 8, y: box.y + dy, width: w, height: h))
            result.append(Rect(x: box.x - w - 8, y: box.y + dy, width: w, height: h))
        }
        for dx in [0, box.width - w] {
            result.append(Rect(x: box.x + dx, y: bottom + 30, width: w, height: h))
            result.append(Rect(x: box.x + dx, y: box.y - h - 30, width: w, height: h))
        }
        let m = 8
        result += [
            Rect(x: bounds.width - w - m, y: bounds.height - h - m, width: w, height: h),
            Rect(x: m, y: bounds.height - h - m, width: w, height: h),
            Rect(x: bounds.width - w - m, y: m, width: w, height: h),
        ]
        return result
    }
}
