"""Decide statically what the interpreter would decide, before Semgrep reads the code.

Pattern and taint rules cannot evaluate `"safe" if 7 * 18 + num > 200 else param`, follow a
value through `m["keyA"] = "a"; m["keyB"] = param; bar = m["keyA"]`, or see that a branch can
never run: they report tainted data reaching a sink when it cannot. This module is a small
partial evaluator for Python (constant propagation with dead-branch elimination and models of
dicts, lists and configparser) that rewrites the source so that the rules see the program the
interpreter would run:

- a conditional expression with a constant condition becomes its taken branch;
- the statements of a branch that can never run (if/elif/else, match cases) become `pass`;
- a read from a dict, list or configparser whose contents are known becomes the value stored
  there: a literal, or the variable that was stored (when it still holds the same value);
- a slice of a non-constant value becomes the value itself (Semgrep's taint engine loses taint
  through slices; a slice of tainted text is tainted).

Every rewrite keeps line numbers, so findings on the rewritten code point at the original.
Anything the evaluator does not understand is left alone and makes what it touches unknown:
the result is never less safe to scan than the original. Syntax errors return the source as is.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from typing import Any

from core.python_syntax import parse_python

_MAX_CONST_LEN = 10_000  # longer constants are not computed (`"a" * 10**9`)
_UNKNOWN: Any = object()


@dataclass
class _Alias:
    """A container slot holding a variable's value: `m["k"] = param` stores param (version n)."""

    name: str
    version: int


@dataclass
class _Container:
    kind: str  # "dict", "list" or "config"
    items: Any  # dict (dict/config keyed by key or (section, key)) or list


@dataclass
class _Env:
    values: dict[str, Any] = field(default_factory=dict)  # name -> constant | _Container
    versions: dict[str, int] = field(default_factory=dict)  # bumped on every assignment
    # Names code elsewhere may change behind this scope's back: never given a value.
    volatile: frozenset[str] = frozenset()

    def copy(self) -> _Env:
        return _Env(copy.deepcopy(self.values), dict(self.versions), self.volatile)

    def assign(self, name: str, value: Any) -> None:
        self.versions[name] = self.versions.get(name, 0) + 1
        if value is _UNKNOWN or name in self.volatile:
            self.values.pop(name, None)
        else:
            self.values[name] = value

    def forget(self, name: str) -> None:
        self.assign(name, _UNKNOWN)


def simplify(source: str) -> str:
    """The source with statically decided branches and lookups rewritten (same line count)."""
    tree = parse_python(source)  # also 3.12 f-strings, which the 3.11 parser rejects
    if tree is None:
        return source
    editor = SpanEditor(source)
    evaluator = _Evaluator(editor, _flask_request_names(tree), _volatile_names(tree))
    module = evaluator.volatile
    if _rewrites_namespaces(tree):
        # exec / globals() can rebind any module-level name; a function's locals stay its own.
        module |= {name for statement in tree.body for name in _assigned_names(statement)}
    try:
        evaluator.block(tree.body, _Env(volatile=module))
    except RecursionError:
        return source
    return editor.apply()


class SpanEditor:
    """Collects replacements of source spans and applies them, keeping every line number."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line))
        self.edits: list[tuple[int, int, str]] = []

    def span(self, node: ast.AST) -> tuple[int, int] | None:
        try:
            start = self.offsets[node.lineno - 1] + _char_col(
                self.lines[node.lineno - 1], node.col_offset
            )
            end_line = node.end_lineno or node.lineno
            end = self.offsets[end_line - 1] + _char_col(
                self.lines[end_line - 1], node.end_col_offset or 0
            )
        except (IndexError, AttributeError):
            return None
        return start, end

    def text(self, node: ast.AST) -> str | None:
        span = self.span(node)
        return self.source[span[0] : span[1]] if span else None

    def replace(self, node: ast.AST, text: str) -> None:
        span = self.span(node)
        if span is None:
            return
        original = self.source[span[0] : span[1]]
        newlines = original.count("\n")
        if newlines:
            # Keep the line count: the extra line breaks go inside parentheses.
            text = f"({text}{chr(10) * newlines})"
        elif "\n" in text:
            return
        self.edits.append((span[0], span[1], text))

    def kill(self, statements: list[ast.stmt]) -> None:
        """Make statements that can never run a `pass` (blank lines for the rest)."""
        if not statements:
            return
        first, last = statements[0], statements[-1]
        start_line, end_line = first.lineno, last.end_lineno or last.lineno
        start = self.offsets[start_line - 1] + _char_col(
            self.lines[start_line - 1], first.col_offset
        )
        end = self.offsets[end_line - 1] + len(self.lines[end_line - 1].rstrip("\r\n"))
        blanks = "\n" * (end_line - start_line)
        self.edits.append((start, end, "pass" + blanks))

    def apply(self) -> str:
        text = self.source
        last_start = len(text) + 1
        # Outermost edits win: sort by start, longest first, and skip edits inside a taken one.
        accepted: list[tuple[int, int, str]] = []
        for start, end, replacement in sorted(self.edits, key=lambda e: (e[0], -(e[1] - e[0]))):
            if accepted and start < accepted[-1][1]:
                continue
            accepted.append((start, end, replacement))
        for start, end, replacement in reversed(accepted):
            if end <= last_start:
                text = text[:start] + replacement + text[end:]
                last_start = start
        return text


def _char_col(line: str, byte_col: int) -> int:
    """ast columns count UTF-8 bytes; source offsets count characters."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


class _Evaluator:
    def __init__(
        self,
        editor: SpanEditor,
        request_names: set[str] | None = None,
        volatile: frozenset[str] = frozenset(),
    ) -> None:
        self.editor = editor
        self.volatile = volatile  # names never given a value (see _volatile_names)
        self.request_names = request_names or set()  # names bound to flask.request
        self.routes: list[str | None] = []  # the static route of each enclosing view

    # Statements --------------------------------------------------------------------------

    def block(self, statements: list[ast.stmt], env: _Env) -> bool:
        """Evaluate statements in order; True when the block always leaves (return/raise)."""
        for statement in statements:
            if self.statement(statement, env):
                return True
        return False

    def statement(self, node: ast.stmt, env: _Env) -> bool:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # A fresh scope: outer names may change before it runs.
            self.routes.append(_static_route(node))
            try:
                self.block(node.body, _Env(volatile=self.volatile))
            finally:
                self.routes.pop()
            env.forget(node.name)
            return False
        if isinstance(node, ast.ClassDef):
            self.block(node.body, _Env(volatile=self.volatile))
            env.forget(node.name)
            return False
        if isinstance(node, ast.Return | ast.Raise):
            if isinstance(node, ast.Return) and node.value is not None:
                self.expr(node.value, env)
            return True
        if isinstance(node, ast.Assign):
            value = self.expr(node.value, env)
            if (
                _literal(value)
                and not isinstance(node.value, ast.Constant)
                and _mentions_request(node.value, self.request_names)
            ):
                # `param = request.path.split("/")[1]` in a fixed route: a constant.
                self.editor.replace(node.value, repr(value))
            for target in node.targets:
                self.bind(target, value, node.value, env)
            return False
        if isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.expr(node.value, env), node.value, env)
            return False
        if isinstance(node, ast.AugAssign):
            current = self.expr(node.target, env) if isinstance(node.target, ast.Name) else _UNKNOWN
            delta = self.expr(node.value, env)
            result = _binop(node.op, current, delta)
            self.bind(node.target, result, None, env)
            return False
        if isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Call) and self.container_call(node.value, env):
                return False
            self.expr(node.value, env)
            return False
        if isinstance(node, ast.If):
            return self.if_(node, env)
        if isinstance(node, ast.Match):
            return self.match(node, env)
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            # Values change from one iteration to the next: forget what the loop assigns.
            assigned = _assigned_names(node)
            for name in assigned:
                env.forget(name)
            if isinstance(node, ast.While):
                self.expr(node.test, env)
            else:
                self.expr(node.iter, env)
            body_env = env.copy()
            self.block(node.body, body_env)
            self.block(node.orelse, body_env)
            for name in assigned | _assigned_names(node):
                env.forget(name)
            return False
        if isinstance(node, ast.Try | ast.TryStar):
            assigned = _assigned_names(node)
            self.block(node.body, env.copy())
            for handler in node.handlers:
                handler_env = env.copy()
                for name in assigned:
                    handler_env.forget(name)
                self.block(handler.body, handler_env)
            for name in assigned:
                env.forget(name)
            self.block(node.orelse, env)
            self.block(node.finalbody, env)
            return False
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                self.expr(item.context_expr, env)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, _UNKNOWN, None, env)
            return self.block(node.body, env)
        # Imports, del, global, nonlocal, assert, pass ...: forget the names they touch.
        for name in _assigned_names(node):
            env.forget(name)
        return False

    def bind(self, target: ast.expr, value: Any, source: ast.expr | None, env: _Env) -> None:
        if isinstance(target, ast.Name):
            if isinstance(source, ast.Name) and isinstance(value, _Container):
                # `b = a` for a container: both now name one object we cannot follow.
                env.forget(source.id)
                value = _UNKNOWN
            env.assign(target.id, value)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            container = env.values.get(target.value.id)
            key = self.expr(target.slice, env)
            if isinstance(container, _Container) and container.kind == "dict" and _hashable(key):
                container.items[key] = self.stored(value, source, env)
            elif (
                isinstance(container, _Container)
                and container.kind == "list"
                and isinstance(key, int)
            ):
                try:
                    container.items[key] = self.stored(value, source, env)
                except IndexError:
                    env.forget(target.value.id)
            else:
                env.forget(target.value.id)
        else:
            for name in _names_in(target):
                env.forget(name)

    def stored(self, value: Any, source: ast.expr | None, env: _Env) -> Any:
        """What a container slot keeps: a constant, or an alias to the variable stored."""
        if value is not _UNKNOWN and not isinstance(value, _Container):
            return value
        if isinstance(source, ast.Name):
            return _Alias(source.id, env.versions.get(source.id, 0))
        return _UNKNOWN

    def if_(self, node: ast.If, env: _Env) -> bool:
        test = self.expr(node.test, env)
        if test is not _UNKNOWN and not isinstance(test, _Container):
            taken, dead = (node.body, node.orelse) if _truthy(test) else (node.orelse, node.body)
            if (
                dead is node.orelse
                and len(dead) == 1
                and isinstance(dead[0], ast.If)
                and _is_elif(node, dead[0], self.editor)
            ):
                self._blank_elif(dead[0])
            elif dead:
                self.editor.kill(dead)
            return self.block(taken, env)
        branches = []
        for body in (node.body, node.orelse):
            branch_env = env.copy()
            leaves = self.block(body, branch_env)
            branches.append((leaves, branch_env))
        return self.merge(env, branches)

    def _blank_elif(self, node: ast.If) -> None:
        """Blank an `elif ...:` clause (and its own elif/else) that can never run."""
        start_line, end_line = node.lineno, node.end_lineno or node.lineno
        editor = self.editor
        start = editor.offsets[start_line - 1]
        end = editor.offsets[end_line - 1] + len(editor.lines[end_line - 1].rstrip("\r\n"))
        editor.edits.append((start, end, "\n" * (end_line - start_line)))

    def match(self, node: ast.Match, env: _Env) -> bool:
        subject = self.expr(node.subject, env)
        if subject is not _UNKNOWN and not isinstance(subject, _Container):
            chosen = None
            for case in node.cases:
                verdict = _case_matches(case, subject)
                if verdict is None:  # cannot tell: give up on deciding
                    chosen = None
                    break
                if verdict and chosen is None:
                    chosen = case
            if chosen is not None:
                for case in node.cases:
                    if case is not chosen:
                        self.editor.kill(case.body)
                return self.block(chosen.body, env)
        branches = []
        for case in node.cases:
            branch_env = env.copy()
            branches.append((self.block(case.body, branch_env), branch_env))
        if not any(
            isinstance(c.pattern, ast.MatchAs) and c.pattern.pattern is None for c in node.cases
        ):
            branches.append((False, env.copy()))  # no case may match
        return self.merge(env, branches)

    def merge(self, env: _Env, branches: list[tuple[bool, _Env]]) -> bool:
        """After a branch point: what all branches that continue agree on."""
        live = [branch for leaves, branch in branches if not leaves]
        if not live:
            return True
        names = set(env.values) | set(env.versions)
        for branch in live:
            names |= set(branch.values) | set(branch.versions)
        for name in names:
            values = [branch.values.get(name, _UNKNOWN) for branch in live]
            versions = {branch.versions.get(name, 0) for branch in live}
            first = values[0]
            same = all(_same(v, first) for v in values[1:])
            if (
                len(versions) > 1
                or name not in env.versions
                or versions != {env.versions.get(name, 0)}
            ):
                env.versions[name] = max(versions | {env.versions.get(name, 0)}) + 1
            if same and first is not _UNKNOWN:
                env.values[name] = first
            else:
                env.values.pop(name, None)
        return False

    # Containers ----------------------------------------------------------------------------

    def container_call(self, call: ast.Call, env: _Env) -> bool:
        """Model list/dict/configparser mutations; True when the call was one of them."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return False
        name, method = func.value.id, func.attr
        container = env.values.get(name)
        if not isinstance(container, _Container):
            return False
        args = [self.expr(arg, env) for arg in call.args]
        if call.keywords:
            env.forget(name)
            return True
        items = container.items
        if container.kind == "list":
            if method == "append" and len(args) == 1:
                items.append(self.stored(args[0], call.args[0], env))
            elif method == "insert" and len(args) == 2 and isinstance(args[0], int):
                items.insert(args[0], self.stored(args[1], call.args[1], env))
            elif method == "pop" and len(args) <= 1 and (not args or isinstance(args[0], int)):
                try:
                    items.pop(*args)
                except IndexError:
                    env.forget(name)
            elif method == "remove" and len(args) == 1 and args[0] is not _UNKNOWN:
                try:
                    items.remove(args[0])
                except ValueError:
                    env.forget(name)
            else:
                env.forget(name)
        elif container.kind == "config":
            if method == "add_section" and len(args) == 1:
                pass
            elif method == "set" and len(args) == 3 and _hashable(args[0]) and _hashable(args[1]):
                items[(args[0], args[1])] = self.stored(args[2], call.args[2], env)
            else:
                env.forget(name)
        else:  # dict
            env.forget(name)
        return True

    def read(self, node: ast.expr, container: _Container, key: Any, env: _Env) -> Any:
        """A read from a known container: rewrite it to what is stored there."""
        try:
            if container.kind == "list":
                value = container.items[key] if isinstance(key, int) else _UNKNOWN
            else:
                value = container.items[key] if _hashable(key) else _UNKNOWN
        except (IndexError, KeyError):
            return _UNKNOWN
        if isinstance(value, _Alias):
            if env.versions.get(value.name, 0) == value.version:
                self.editor.replace(node, value.name)
            return _UNKNOWN
        if value is not _UNKNOWN and _literal(value):
            self.editor.replace(node, repr(value))
        return value

    # Expressions -----------------------------------------------------------------------------

    def expr(self, node: ast.expr, env: _Env) -> Any:
        try:
            return self._expr(node, env)
        except (
            ArithmeticError,
            TypeError,
            ValueError,
            IndexError,
            KeyError,
            AttributeError,
            MemoryError,
        ):
            return _UNKNOWN

    def _expr(self, node: ast.expr, env: _Env) -> Any:
        if isinstance(node, ast.Constant):
            return node.value if _small(node.value) else _UNKNOWN
        if isinstance(node, ast.Name):
            return env.values.get(node.id, _UNKNOWN)
        if isinstance(node, ast.Attribute):
            # In a Flask view with a fixed route, request.path is that route: not user input.
            if (
                node.attr == "path"
                and isinstance(node.value, ast.Name)
                and node.value.id in self.request_names
                and self.routes
                and self.routes[-1] is not None
            ):
                return self.routes[-1]
            self.expr(node.value, env)
            return _UNKNOWN
        if isinstance(node, ast.List):
            items = [self.expr(e, env) for e in node.elts]
            return _Container(
                "list", [self.stored(v, e, env) for v, e in zip(items, node.elts, strict=True)]
            )
        if isinstance(node, ast.Tuple):
            items = [self.expr(e, env) for e in node.elts]
            return tuple(items) if all(_literal(v) for v in items) else _UNKNOWN
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                return _UNKNOWN
            keys = [self.expr(k, env) for k in node.keys if k is not None]
            if not all(_hashable(k) for k in keys):
                return _UNKNOWN
            values = [self.stored(self.expr(v, env), v, env) for v in node.values]
            return _Container("dict", dict(zip(keys, values, strict=True)))
        if isinstance(node, ast.BinOp):
            return _binop(node.op, self.expr(node.left, env), self.expr(node.right, env))
        if isinstance(node, ast.UnaryOp):
            operand = self.expr(node.operand, env)
            if not _literal(operand):
                return _UNKNOWN
            return {
                ast.Not: lambda v: not v,
                ast.USub: lambda v: -v,
                ast.UAdd: lambda v: +v,
                ast.Invert: lambda v: ~v,
            }[type(node.op)](operand)
        if isinstance(node, ast.BoolOp):
            values = [self.expr(v, env) for v in node.values]
            if not all(_literal(v) for v in values):
                return _UNKNOWN
            result = values[0]
            for value in values[1:]:
                result = (result and value) if isinstance(node.op, ast.And) else (result or value)
            return result
        if isinstance(node, ast.Compare):
            left = self.expr(node.left, env)
            comparators = [self.expr(c, env) for c in node.comparators]
            if not _literal(left) or not all(_literal(c) for c in comparators):
                return _UNKNOWN
            for op, right in zip(node.ops, comparators, strict=True):
                if not _compare(op, left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            test = self.expr(node.test, env)
            if _literal(test):
                taken = node.body if _truthy(test) else node.orelse
                text = self.editor.text(taken)
                if text is not None:
                    self.editor.replace(node, text)
                return self.expr(taken, env)
            self.expr(node.body, env)
            self.expr(node.orelse, env)
            return _UNKNOWN
        if isinstance(node, ast.Subscript):
            return self.subscript(node, env)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif (
                    isinstance(value, ast.FormattedValue)
                    and value.format_spec is None
                    and value.conversion == -1
                ):
                    inner = self.expr(value.value, env)
                    if not _literal(inner):
                        return _UNKNOWN
                    parts.append(str(inner))
                else:
                    return _UNKNOWN
            return _bounded("".join(parts))
        if isinstance(node, ast.Call):
            return self.call(node, env)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child, env)
        return _UNKNOWN

    def subscript(self, node: ast.Subscript, env: _Env) -> Any:
        if isinstance(node.slice, ast.Slice):
            value = self.expr(node.value, env)
            bounds = [
                self.expr(b, env) if b is not None else None
                for b in (node.slice.lower, node.slice.upper, node.slice.step)
            ]
            if (
                _literal(value)
                and isinstance(value, str | tuple)
                and all(b is None or isinstance(b, int) for b in bounds)
            ):
                return value[slice(*bounds)]
            text = self.editor.text(node.value)
            if text is not None and not _literal(value):
                # Semgrep loses taint through slices: a slice of tainted text is tainted.
                self.editor.replace(node, text)
            return _UNKNOWN
        container_name = node.value.id if isinstance(node.value, ast.Name) else None
        value = self.expr(node.value, env)
        key = self.expr(node.slice, env)
        if isinstance(value, _Container) and key is not _UNKNOWN:
            return self.read(node, value, key, env)
        if container_name is None or not _literal(value) or key is _UNKNOWN:
            return _UNKNOWN
        result = value[key]
        return result if _small(result) else _UNKNOWN

    def call(self, node: ast.Call, env: _Env) -> Any:
        func = node.func
        args = [self.expr(arg, env) for arg in node.args]
        for keyword in node.keywords:
            self.expr(keyword.value, env)
        if isinstance(func, ast.Attribute):
            receiver = self.expr(func.value, env)
            if isinstance(receiver, _Container):
                if (
                    receiver.kind == "config"
                    and func.attr == "get"
                    and len(args) == 2
                    and not node.keywords
                ):
                    return self.read(node, receiver, (args[0], args[1]), env)
                if (
                    receiver.kind == "dict"
                    and func.attr == "get"
                    and len(args) in (1, 2)
                    and not node.keywords
                ):
                    if args[0] in receiver.items if _hashable(args[0]) else False:
                        return self.read(node, receiver, args[0], env)
                    return args[1] if len(args) == 2 and _literal(args[1]) else _UNKNOWN
                if isinstance(func.value, ast.Name) and func.attr not in _READERS:
                    env.forget(func.value.id)  # escapes into a method we do not model
                return _UNKNOWN
            if (
                isinstance(receiver, str)
                and func.attr in _STR_METHODS
                and all(_literal(a) for a in args)
                and not node.keywords
            ):
                return _bounded(getattr(receiver, func.attr)(*args))
            if _is_configparser(func) and not args and not node.keywords:
                return _Container("config", {})
            # Arguments passed to unknown code may be changed by it.
            self._escape(node, env)
            return _UNKNOWN
        if isinstance(func, ast.Name):
            if (
                func.id == "len"
                and len(args) == 1
                and _literal(args[0])
                and isinstance(args[0], str | tuple)
            ):
                return len(args[0])
            if (
                func.id in ("str", "int")
                and len(args) == 1
                and _literal(args[0])
                and not node.keywords
            ):
                return _bounded({"str": str, "int": int}[func.id](args[0]))
            if func.id in ("dict", "list") and not args and not node.keywords:
                return _Container(func.id, {} if func.id == "dict" else [])
        self._escape(node, env)
        return _UNKNOWN

    def _escape(self, node: ast.Call, env: _Env) -> None:
        """Containers passed to code we do not model: show what they hold, then forget them
        (the callee may change them)."""
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Name) and isinstance(env.values.get(arg.id), _Container):
                literal = _reconstruct(env.values[arg.id], env)
                if literal is not None:
                    # `"{0[bar]}".format(d)` after `d["bar"] = bar`: the call sees bar.
                    self.editor.replace(arg, literal)
                env.forget(arg.id)


def _reconstruct(container: _Container, env: _Env) -> str | None:
    """Python source for a list or dict whose contents are all known, else None."""

    def item(value: Any) -> str | None:
        if isinstance(value, _Alias):
            return value.name if env.versions.get(value.name, 0) == value.version else None
        return repr(value) if _literal(value) else None

    if container.kind == "list":
        parts = [item(v) for v in container.items]
        return None if None in parts else "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
    if container.kind == "dict":
        entries = []
        for key, value in container.items.items():
            text = item(value)
            if text is None or not _literal(key):
                return None
            entries.append(f"{key!r}: {text}")
        return "{" + ", ".join(entries) + "}"
    return None


_READERS = {"get", "keys", "values", "items", "copy", "count", "index", "sections", "has_section"}
_STR_METHODS = {
    "lower",
    "upper",
    "strip",
    "lstrip",
    "rstrip",
    "replace",
    "startswith",
    "endswith",
    "split",
    "join",
    "find",
    "format",
    "title",
    "capitalize",
    "zfill",
    "isdigit",
    "isalpha",
}


def _flask_request_names(tree: ast.Module) -> set[str]:
    """Names the module binds to flask.request (`from flask import request [as r]`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "flask":
            names.update(a.asname or a.name for a in node.names if a.name == "request")
    return names


def _static_route(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The path of `@x.route("/fixed")` (or get/post/...) when it has no `<converter>`."""
    for decorator in node.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in ("route", "get", "post", "put", "patch", "delete")
            and decorator.args
            and isinstance(decorator.args[0], ast.Constant)
            and isinstance(decorator.args[0].value, str)
            and "<" not in decorator.args[0].value
        ):
            return decorator.args[0].value
    return None


def _mentions_request(node: ast.AST, request_names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in request_names for n in ast.walk(node))


def _is_configparser(func: ast.Attribute) -> bool:
    return func.attr in ("ConfigParser", "RawConfigParser") and (
        isinstance(func.value, ast.Name) and func.value.id == "configparser"
    )


def _case_matches(case: ast.match_case, subject: Any) -> bool | None:
    """Whether a case matches a constant subject; None when that cannot be told."""
    if case.guard is not None:
        return None
    return _pattern_matches(case.pattern, subject)


def _pattern_matches(pattern: ast.pattern, subject: Any) -> bool | None:
    if isinstance(pattern, ast.MatchValue) and isinstance(pattern.value, ast.Constant):
        return bool(pattern.value.value == subject)
    if isinstance(pattern, ast.MatchSingleton):
        return pattern.value is subject
    if isinstance(pattern, ast.MatchOr):
        verdicts = [_pattern_matches(p, subject) for p in pattern.patterns]
        if any(v is True for v in verdicts):
            return True
        return None if any(v is None for v in verdicts) else False
    if isinstance(pattern, ast.MatchAs) and pattern.pattern is None:
        return True  # `case _` and `case x`
    return None


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    if not _literal(left) or not _literal(right):
        return _UNKNOWN
    if isinstance(op, ast.Mult) and (
        isinstance(left, str | tuple) or isinstance(right, str | tuple)
    ):
        count = right if isinstance(left, str | tuple) else left
        if (
            not isinstance(count, int)
            or count * max(len(left) if isinstance(left, str | tuple) else len(right), 1)
            > _MAX_CONST_LEN
        ):
            return _UNKNOWN
    if isinstance(op, ast.Pow) and (abs(right) > 64 if isinstance(right, int) else True):
        return _UNKNOWN
    operators = {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b,
        ast.FloorDiv: lambda a, b: a // b,
        ast.Mod: lambda a, b: a % b,
        ast.Pow: lambda a, b: a**b,
    }
    function = operators.get(type(op))
    if function is None:
        return _UNKNOWN
    return _bounded(function(left, right))


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    return {
        ast.Eq: lambda a, b: a == b,
        ast.NotEq: lambda a, b: a != b,
        ast.Lt: lambda a, b: a < b,
        ast.LtE: lambda a, b: a <= b,
        ast.Gt: lambda a, b: a > b,
        ast.GtE: lambda a, b: a >= b,
        ast.In: lambda a, b: a in b,
        ast.NotIn: lambda a, b: a not in b,
        ast.Is: lambda a, b: a is b,
        ast.IsNot: lambda a, b: a is not b,
    }[type(op)](left, right)


def _literal(value: Any) -> bool:
    return value is not _UNKNOWN and not isinstance(value, _Container | _Alias)


def _hashable(value: Any) -> bool:
    return _literal(value) and isinstance(value, str | int | float | bool | tuple | type(None))


def _small(value: Any) -> bool:
    return not isinstance(value, str | bytes | tuple) or len(value) <= _MAX_CONST_LEN


def _bounded(value: Any) -> Any:
    return value if _small(value) else _UNKNOWN


def _truthy(value: Any) -> bool:
    return bool(value)


def _same(a: Any, b: Any) -> bool:
    if a is _UNKNOWN or b is _UNKNOWN:
        return False
    if isinstance(a, _Container) or isinstance(b, _Container):
        return False
    return type(a) is type(b) and a == b


def _is_elif(parent: ast.If, child: ast.If, editor: SpanEditor) -> bool:
    """`elif` (not `else:` holding an `if`): the child starts on a line that begins with elif."""
    line = editor.lines[child.lineno - 1] if child.lineno - 1 < len(editor.lines) else ""
    return line.lstrip().startswith("elif")


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _assigned_names(node: ast.AST) -> set[str]:
    """Every name a statement (and what it contains) may assign or rebind."""
    names: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store | ast.Del):
            names.add(child.id)
        elif isinstance(child, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in child.names)
        elif isinstance(child, ast.Global | ast.Nonlocal):
            names.update(child.names)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(child.name)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
        elif (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and isinstance(child.func.value, ast.Name)
        ):
            names.add(child.func.value.id)  # a method call may mutate its receiver
        elif (
            isinstance(child, ast.Subscript)
            and isinstance(child.ctx, ast.Store | ast.Del)
            and isinstance(child.value, ast.Name)
        ):
            names.add(child.value.id)
    return names


def _volatile_names(tree: ast.Module) -> frozenset[str]:
    """Names whose value can change where the evaluator does not look, so it never trusts one:
    walrus targets (`f(x := 2)` rebinds x mid-expression), names declared global or nonlocal
    (any call may run the function that rebinds them), and names a function body mutates in
    place (`d["k"] = 2`, `d.update(...)`, `del d[k]` inside `def`) without binding them."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            body = node.body if isinstance(node.body, list) else [node.body]
            local = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            for statement in body:
                for child in ast.walk(statement):
                    if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                        local.add(child.id)
            for statement in body:
                names.update(_assigned_names(statement) - local)
    return frozenset(names)


# Code that writes module namespaces by name.
_NAMESPACE_CALLS = {"exec", "globals", "vars"}


def _rewrites_namespaces(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _NAMESPACE_CALLS
        for node in ast.walk(tree)
    )
