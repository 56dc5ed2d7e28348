// ExpressionModel
