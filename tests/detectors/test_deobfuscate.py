"""`detectors.deobfuscate`: the indirections it spells out (getattr with a literal name,
`__import__`, `importlib.import_module`, `builtins.X`, single-binding aliases inlined at call
sites with Python's scoping), what it must leave alone, that the line count never changes, that
code that does not parse comes back as it is, and that a second pass changes nothing."""

from __future__ import annotations

import ast

import pytest

from detectors.deobfuscate import deobfuscate

OS = "import os\nrun = os.system\n"  # an alias of a module attribute, bound once

REWRITES = [
    # getattr with a literal identifier
    ("getattr", 'getattr(os, "system")(cmd)\n', "os.system(cmd)\n"),
    ("getattr-default-dropped", 'getattr(os, "system", None)\n', "os.system\n"),
    ("getattr-private-name", 'getattr(os, "_x1")\n', "os._x1\n"),
    ("getattr-expr-parenthesized", 'getattr(a + b, "x")\n', "(a + b).x\n"),
    ("getattr-int-parenthesized", 'getattr(1, "real")\n', "(1).real\n"),
    ("getattr-str-receiver", 'getattr("abc", "upper")()\n', '"abc".upper()\n'),
    ("getattr-nested", 'getattr(getattr(os, "path"), "join")(a)\n', "os.path.join(a)\n"),
    ("getattr-of-import", 'getattr(__import__("os"), "system")(c)\n', "os.system(c)\n"),
    (
        "two-on-one-line",
        'getattr(os, "system")(c); getattr(os, "popen")(d)\n',
        "os.system(c); os.popen(d)\n",
    ),
    ("after-non-ascii", 'x = "é"; getattr(os, "system")(c)\n', 'x = "é"; os.system(c)\n'),
    # __import__ / import_module
    ("__import__", '__import__("os").system(c)\n', "os.system(c)\n"),
    ("__import__-dotted-gives-top", '__import__("os.path").path.join(c)\n', "os.path.join(c)\n"),
    (
        "importlib.import_module",
        'import importlib\nimportlib.import_module("os.path").join(a)\n',
        "import importlib\nos.path.join(a)\n",
    ),
    (
        "bare-import_module",
        'from importlib import import_module\nimport_module("os.path")\n',
        "from importlib import import_module\nos.path\n",
    ),
    # builtins.X for builtins that run code
    ("builtins.eval", "import builtins\nbuiltins.eval(x)\n", "import builtins\neval(x)\n"),
    ("__builtins__.exec", "__builtins__.exec(x)\n", "exec(x)\n"),
    # aliases bound once, inlined where called
    ("alias-module-attr", OS + "run(cmd)\n", OS + "os.system(cmd)\n"),
    (
        "alias-import-as",
        "import os as o\nrun = o.system\nrun(c)\n",
        "import os as o\nrun = o.system\no.system(c)\n",
    ),
    (
        "alias-dotted-module",
        "import os.path\nj = os.path.join\nj(a)\n",
        "import os.path\nj = os.path.join\nos.path.join(a)\n",
    ),
    ("alias-builtin-eval", "ev = eval\nev(x)\n", "ev = eval\neval(x)\n"),
    ("alias-builtin-open", "o = open\no(p)\n", "o = open\nopen(p)\n"),
    ("alias-of-getattr", 'import os\nrun = getattr(os, "system")\nrun(c)\n', OS + "os.system(c)\n"),
    (
        "alias-of-builtins-attr",
        "import builtins\nev = builtins.eval\nev(x)\n",
        "import builtins\nev = eval\neval(x)\n",
    ),
    (
        "alias-seen-in-function",
        OS + "def f():\n    run(cmd)\n",
        OS + "def f():\n    os.system(cmd)\n",
    ),
    (
        "alias-seen-two-levels-down",
        OS + "def f():\n    def g():\n        run(c)\n",
        OS + "def f():\n    def g():\n        os.system(c)\n",
    ),
    ("alias-seen-in-lambda", OS + "lambda: run(c)\n", OS + "lambda: os.system(c)\n"),
    ("alias-in-class-body", OS + "class C:\n    run(c)\n", OS + "class C:\n    os.system(c)\n"),
    (
        "alias-local-to-function",
        "import os\ndef f():\n    run = os.system\n    run(cmd)\nrun(cmd)\n",
        "import os\ndef f():\n    run = os.system\n    os.system(cmd)\nrun(cmd)\n",
    ),
    (
        "inner-shadow-keeps-outer",
        OS + "def f():\n    run = print\n    run(cmd)\nrun(x)\n",
        OS + "def f():\n    run = print\n    run(cmd)\nos.system(x)\n",
    ),
    # methods do not see the class body's names, but do see the module's
    (
        "class-attr-not-seen-by-method",
        "import os\nclass C:\n    run = os.system\n    def m(self):\n        run(c)\n    run(d)\n",
        "import os\nclass C:\n    run = os.system\n    def m(self):\n        run(c)\n    os.system(d)\n",
    ),
    (
        "method-sees-module-not-class",
        OS + "class C:\n    run = print\n    run(c)\n    def m(self):\n        run(c)\n",
        OS + "class C:\n    run = print\n    run(c)\n    def m(self):\n        os.system(c)\n",
    ),
    # decorators and defaults are evaluated in the enclosing scope
    (
        "alias-in-decorator-call",
        OS + "@run(1)\ndef f(): pass\n",
        OS + "@os.system(1)\ndef f(): pass\n",
    ),
    (
        "alias-in-default",
        OS + "def f(x=run(1)):\n    pass\n",
        OS + "def f(x=os.system(1)):\n    pass\n",
    ),
    # flow-insensitive: one binding anywhere in the scope is enough
    (
        "alias-conditional-binding",
        "import os\nif x:\n    run = os.system\nrun(c)\n",
        "import os\nif x:\n    run = os.system\nos.system(c)\n",
    ),
    (
        "alias-use-before-binding",
        "import os\nrun(c)\nrun = os.system\n",
        "import os\nos.system(c)\nrun = os.system\n",
    ),
    # a multi-line call keeps its line breaks inside parentheses
    (
        "getattr-multiline",
        'getattr(\n    os,\n    "system",\n)(cmd)\nafter()\n',
        "(os.system\n\n\n)(cmd)\nafter()\n",
    ),
]

UNCHANGED = [
    ("getattr-name-variable", "getattr(os, name)\n"),
    ("getattr-not-identifier", 'getattr(os, "not-ident")\n'),
    ("getattr-dotted-name", 'getattr(os, "a.b")\n'),
    ("getattr-empty-name", 'getattr(os, "")\n'),
    ("getattr-bytes-name", 'getattr(os, b"system")\n'),
    ("getattr-keyword-default", 'getattr(os, "system", default=None)\n'),
    ("getattr-one-arg", "getattr(os)\n"),
    ("__import__-variable", "__import__(name)\n"),
    ("__import__-extra-args", '__import__("os", globals())\n'),
    ("__import__-bad-name", '__import__("bad-name")\n'),
    ("__import__-empty-part", '__import__("a..b")\n'),
    ("import_module-keyword", 'importlib.import_module("x", package="y")\n'),
    ("import_module-other-object", 'lib.import_module("os")\n'),
    ("builtins-harmless-attr", "builtins.len(x)\n"),
    ("alias-rebound", OS + "run = print\nrun(cmd)\n"),
    ("alias-harmless-builtin", "ev = len\nev(x)\n"),
    ("alias-of-unimported-name", "run = foo.system\nrun(cmd)\n"),
    ("alias-not-called", OS + "print(run)\n"),
    ("alias-attribute-call", OS + "run.attr(c)\nx.run(c)\n"),
    ("alias-bare-decorator", OS + "@run\ndef f(): pass\n"),
    ("attribute-assignment-target", "import os\nos.system = fake\n"),
    ("shadowed-by-parameter", OS + "def f(run):\n    run(c)\n"),
    ("shadowed-by-kwonly", OS + "def f(*, run):\n    run(c)\n"),
    ("shadowed-by-varargs", OS + "def f(*run, **kw):\n    run(c)\n"),
    ("shadowed-by-lambda-arg", OS + "f = lambda run: run(c)\n"),
    ("inner-shadow-hides-outer", OS + "def f():\n    run = print\n    def g():\n        run(c)\n"),
    ("rebound-by-for", OS + "for run in xs:\n    pass\nrun(c)\n"),
    ("rebound-by-with", OS + "with x as run:\n    run(c)\n"),
    ("rebound-by-except", OS + "try:\n    pass\nexcept E as run:\n    pass\nrun(c)\n"),
    ("rebound-by-walrus", OS + "(run := print)\nrun(c)\n"),
    ("rebound-by-augassign", OS + "run += 1\nrun(c)\n"),
    ("rebound-by-import", OS + "from x import run\nrun(c)\n"),
    ("comprehension-target", OS + "[run(c) for run in xs]\n"),
    (
        "global-is-never-an-alias",
        "import os\ndef f():\n    global run\n    run = os.system\n    run(c)\n",
    ),
    ("no-hint-fast-path", "x = 1\nprint(x)\n"),
    ("builtins-attribute-assigned", "import builtins\nbuiltins.eval = f\n"),
    ("does-not-parse", 'def f(:\n    getattr(os, "system")(c)\n'),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in REWRITES], ids=[c[0] for c in REWRITES]
)
def test_rewrites(source: str, expected: str) -> None:
    assert deobfuscate(source) == expected


@pytest.mark.parametrize("source", [c[1] for c in UNCHANGED], ids=[c[0] for c in UNCHANGED])
def test_leaves_alone(source: str) -> None:
    assert deobfuscate(source) == source


ALL = [c[1] for c in REWRITES] + [c[1] for c in UNCHANGED]
ALL_IDS = [c[0] for c in REWRITES] + [c[0] for c in UNCHANGED]


@pytest.mark.parametrize("source", ALL, ids=ALL_IDS)
def test_line_count_is_kept(source: str) -> None:
    assert deobfuscate(source).count("\n") == source.count("\n")


@pytest.mark.parametrize("source", ALL, ids=ALL_IDS)
def test_idempotent(source: str) -> None:
    once = deobfuscate(source)
    assert deobfuscate(once) == once


def test_statements_keep_their_line_numbers() -> None:
    source = (
        "import os\n"
        "run = getattr(\n"
        "    os,\n"
        '    "system",\n'
        ")\n"
        'getattr(__import__("subprocess"), "call")(cmd, shell=True)\n'
        "run(cmd)\n"
    )
    out = deobfuscate(source)
    assert out == (
        "import os\nrun = (os.system\n\n\n)\nsubprocess.call(cmd, shell=True)\nos.system(cmd)\n"
    )
    before = [(type(s).__name__, s.lineno, s.end_lineno) for s in ast.parse(source).body]
    after = [(type(s).__name__, s.lineno, s.end_lineno) for s in ast.parse(out).body]
    assert after == before


def test_unparseable_source_is_returned_as_is() -> None:
    source = 'getattr(os, "system")(cmd\nrun = os.system\n'
    assert deobfuscate(source) == source


# Known gaps, kept as strict xfails so a fix shows up (and the marker is then removed).


def test_alias_with_trailing_comment_is_inlined() -> None:
    source = "import os\nrun = os.system  # x\nrun(c)\n"
    assert deobfuscate(source) == "import os\nrun = os.system  # x\nos.system(c)\n"


def test_alias_of_import_attribute_is_inlined_in_one_pass() -> None:
    source = 'import os\nrun = __import__("os").system\nrun(cmd)\n'
    assert deobfuscate(source) == "import os\nrun = os.system\nos.system(cmd)\n"
