import FaceDetection
import Frames
import Foundation
let args = CommandLine.arguments
let d = try! HaarDetector(path: args[1])
let data = try! Data(contentsOf: URL(fileURLWithPath: args[2]))
let img = try! PNM.decode([UInt8](data), source: args[2]).gray
let p = DetectionParameters(scaleFactor: Double(args[3])!, minNeighbors: Int(args[4])!, minSize: (Int(args[5])!, Int(args[5])!))
let t0 = Date()
var r: [Rect] = []
for _ in 0..<5 { r = d.detect(in: img, parameters: p) }
print(r.sorted { ($0.x, $0.y, $0.width) < ($1.x, $1.y, $1.width) }, Date().timeIntervalSince(t0) / 5 * 1000, "ms")
