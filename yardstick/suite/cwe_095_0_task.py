import ast
import operator


def calculate(expression: str) -> float:
    """Evaluate the arithmetic expression a user typed into the calculator widget, e.g.
    "2 * (3 + 4) / 7": numbers, + - * / ** %, unary minus and parentheses. Raise ValueError
    for anything else.
    """
    # BEGIN SOLUTION
    operators = {
        ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod,
        ast.USub: operator.neg, ast.UAdd: operator.pos,
    }  # fmt: skip

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            if isinstance(node.op, ast.Pow) and abs(value(node.right)) > 100:
                raise ValueError("exponent too large")
            return operators[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in operators:
            return operators[type(node.op)](value(node.operand))
        raise ValueError(f"not allowed: {ast.dump(node)[:40]}")

    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as error:
        raise ValueError(str(error)) from None
    return float(value(tree.body))
