import ExpressionModel
import Frames

/// One face in a frame: where it is and, when a model is loaded, its expression.
public struct DetectedFace: Sendable {
    public var box: Rect
    public var expression: Expression?

    public init(box: Rect, expression: Expression? = nil) {
        self.box = box
        self.expression = expression
    }
}
