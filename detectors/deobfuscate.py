"""Undo the indirections that hide a dangerous call from pattern rules, before Semgrep reads
the code.

A model rewarded by a scanner learns to restructure code until the pattern no longer matches:
`getattr(os, "system")(cmd)`, `__import__("os").system(cmd)`, `run = os.system; run(cmd)`.
The interpreter runs the same call either way, so the scanned copy spells it out:

- `getattr(obj, "name")` (and with a default) becomes `obj.name` when the name is a literal
  identifier;
- `__import__("os")` becomes `os` (the top package, as the interpreter returns it), and
  `importlib.import_module("os.path")` becomes `os.path`;
- `builtins.eval`, `__builtins__.exec`, ... become the builtin itself;
- a name bound once in its scope to a module attribute or a builtin that runs code
  (`run = os.system`, `load = pickle.loads`, `ev = eval`) is replaced by that attribute where it
  is called.

Line numbers are kept (every rewrite is inside one expression). Code that does not parse is
returned as it is.
"""

from __future__ import annotations

import ast
import re

from core.python_syntax import parse_python
from detectors.simplify import SpanEditor

# Cheap test before parsing: most files have none of these.
# The last alternative is any line that binds a bare name or dotted path, however written:
# `run = os.system  # x`, `run = (os.system)`, `a = b = os.system`.
_HINT = re.compile(
    r"getattr\s*\(|__import__|import_module|builtins"
    r"|^\s*\w+\s*=[\s\w=(]*[A-Za-z_][\w.]*[\s)]*(?:#.*)?$",
    re.M,
)
# Rewriting `__import__("os").system` can expose an alias to inline: a few passes reach the
# fixed point (one in almost every file).
_PASSES = 3
_RUNS_CODE = {"eval", "exec", "compile", "open", "__import__", "input"}
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def deobfuscate(source: str) -> str:
    """The source with indirect calls spelled out (same line count)."""
    for _ in range(_PASSES):
        rewritten = _one_pass(source)
        if rewritten == source:
            break
        source = rewritten
    return source


def _one_pass(source: str) -> str:
    if not _HINT.search(source):
        return source
    tree = parse_python(source)
    if tree is None:
        return source
    editor = SpanEditor(source)
    imported = _imported_names(tree)
    _rewrite_indirections(tree, editor)
    _inline_aliases(tree, editor, imported, {})
    return editor.apply()


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _rewrite_indirections(tree: ast.AST, editor: SpanEditor) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            replacement = _spelled_out(node, editor)
            if replacement is not None:
                editor.replace(node, replacement)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("builtins", "__builtins__")
            and node.attr in _RUNS_CODE
            and isinstance(node.ctx, ast.Load)  # `builtins.eval = f` rebinds, it does not call
        ):
            editor.replace(node, node.attr)


def _spelled_out(call: ast.Call, editor: SpanEditor) -> str | None:
    """What a getattr / __import__ / import_module call stands for, or None."""
    function = call.func
    name = function.id if isinstance(function, ast.Name) else None
    if isinstance(function, ast.Attribute) and _dotted(function) == "importlib.import_module":
        name = "import_module"
    literal = _string(call.args[1]) if name == "getattr" and len(call.args) in (2, 3) else None
    if name == "getattr" and literal and _IDENTIFIER.match(literal) and not call.keywords:
        target = _render(call.args[0], editor)
        if target is not None and "\n" not in target:
            return f"{_wrapped(call.args[0], target)}.{literal}"
    if name in ("__import__", "import_module") and len(call.args) == 1 and not call.keywords:
        module = _string(call.args[0])
        if module and _DOTTED.match(module):
            return module.split(".")[0] if name == "__import__" else module
    return None


def _render(node: ast.AST, editor: SpanEditor) -> str | None:
    """The text of an expression, with an indirection in it spelled out."""
    if isinstance(node, ast.Call):
        spelled = _spelled_out(node, editor)
        if spelled is not None:
            return spelled
    return editor.text(node)


def _inline_aliases(
    scope: ast.AST, editor: SpanEditor, imported: set[str], inherited: dict[str, str]
) -> None:
    """Calls through a name bound once, in this scope or an enclosing one, to a module attribute
    or a builtin that runs code; then the same for the scopes nested in this one."""
    body = scope.body if isinstance(scope.body, list) else [scope.body]
    bindings: dict[str, list[ast.AST]] = {}
    nested: list[ast.AST] = []
    for node in _scope_nodes(body, nested):
        for target in _bound_names(node):
            bindings.setdefault(target, []).append(node)
    if isinstance(scope, _SCOPES):
        arguments = scope.args
        for argument in (
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            arguments.vararg,
            arguments.kwarg,
        ):
            if argument is not None:
                bindings.setdefault(argument.arg, []).extend([scope, scope])  # never an alias
    aliases = {name: value for name, value in inherited.items() if name not in bindings}
    for name, nodes in bindings.items():
        if len(nodes) != 1 or not isinstance(nodes[0], ast.Assign):
            continue
        dotted = _resolved(nodes[0].value, editor)
        if dotted is None:
            continue
        if ("." in dotted and dotted.split(".")[0] in imported) or dotted in _RUNS_CODE:
            aliases[name] = dotted
    if aliases:
        for node in _scope_nodes(body, []):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in aliases
            ):
                editor.replace(node.func, aliases[node.func.id])
    for child in nested:
        # Methods do not see their class body's names: they see what the class saw.
        outer = inherited if isinstance(scope, ast.ClassDef) else aliases
        _inline_aliases(child, editor, imported, outer)


def _resolved(value: ast.AST, editor: SpanEditor) -> str | None:
    """`os.system`, or what `getattr(os, "system")` / `builtins.eval` spell out, as text."""
    if isinstance(value, ast.Call):
        text = _spelled_out(value, editor)
        return text if text and _DOTTED.match(text) else None
    dotted = _dotted(value)
    if dotted and dotted.split(".")[0] in ("builtins", "__builtins__"):
        rest = dotted.split(".", 1)[1] if "." in dotted else ""
        return rest if rest in _RUNS_CODE else None
    return dotted


def _scope_nodes(body: list[ast.AST], nested: list[ast.AST]):
    """Nodes of a scope. Nested functions, lambdas and classes are yielded (their names are
    bindings here) but not entered: they are collected in `nested`."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (*_SCOPES, ast.ClassDef)):
            nested.append(node)
            # Decorators, base classes and defaults are evaluated in this scope.
            if isinstance(node, ast.ClassDef):
                stack.extend([*node.decorator_list, *node.bases, *node.keywords])
            else:
                if not isinstance(node, ast.Lambda):
                    stack.extend(node.decorator_list)
                stack.extend(node.args.defaults)
                stack.extend(d for d in node.args.kw_defaults if d is not None)
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _bound_names(node: ast.AST) -> list[str]:
    """Names a statement or expression (re)binds in its scope."""
    if isinstance(node, ast.Assign):
        return [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
        return [n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)]
    if isinstance(node, ast.With | ast.AsyncWith):
        return [
            n.id
            for item in node.items
            if item.optional_vars is not None
            for n in ast.walk(item.optional_vars)
            if isinstance(n, ast.Name)
        ]
    if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Global | ast.Nonlocal):
        return list(node.names) * 2  # a global is rebound elsewhere: never an alias
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [node.name]
    return []


def _imported_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _wrapped(node: ast.AST, text: str) -> str:
    """The object's text, parenthesized when `.name` would bind to part of it."""
    simple = isinstance(node, ast.Name | ast.Attribute | ast.Call | ast.Subscript) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )
    return text if simple else f"({text})"
