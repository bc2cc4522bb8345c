"""From raw completions to code (`training.completions`): text, code, refusals, statistics.

These functions sit in front of the GRPO reward: every case here is a way a completion could be
misread, and so a way the reward could be earned without writing real code.
"""

from __future__ import annotations

from typing import Any

import pytest

from training.completions import (
    CodeStats,
    code_stats,
    completion_text,
    extract_code,
    is_refusal,
    strip_reasoning,
)

F = "```"  # fences built from a constant so the cases below stay readable

# --------------------------------------------------------------------------- completion_text

TEXT_CASES = [
    # TRL's standard (non-conversational) format: the completion is the string itself.
    pytest.param("def f():\n    return 1", "def f():\n    return 1", id="plain-string"),
    # The empty string stays empty.
    pytest.param("", "", id="empty-string"),
    # Conversational format with a single assistant message.
    pytest.param([{"role": "assistant", "content": "hello"}], "hello", id="one-assistant-message"),
    # Several assistant messages are concatenated in order, one newline apart.
    pytest.param(
        [{"role": "assistant", "content": "a"}, {"role": "assistant", "content": "b"}],
        "a\nb",
        id="several-assistant-messages",
    ),
    # System, user and tool messages are not the model's answer.
    pytest.param(
        [
            {"role": "system", "content": "be safe"},
            {"role": "user", "content": "write code"},
            {"role": "assistant", "content": "ok"},
            {"role": "tool", "content": "result"},
        ],
        "ok",
        id="other-roles-ignored",
    ),
    # Content given as parts: text parts joined, non-text parts (images) skipped.
    pytest.param(
        [
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "first"},
                    {"type": "image_url", "image_url": {"url": "x"}},
                    {"type": "text", "text": "second"},
                ],
            }
        ],
        "first\nsecond",
        id="content-parts",
    ),
    # Parts without a type but with text, and bare strings, count as text.
    pytest.param(
        [{"role": "assistant", "content": [{"text": "a"}, "b", {"type": "text", "text": 3}]}],
        "a\nb",
        id="content-parts-untyped-and-strings",
    ),
    # A message without content, one without role, and content None: tolerated, skipped.
    pytest.param(
        [
            {"role": "assistant"},
            {"content": "no role"},
            {"role": "assistant", "content": None},
            {"role": "assistant", "content": "kept"},
        ],
        "kept",
        id="missing-keys",
    ),
    # Non-dict items in the list (strings, None, numbers, lists) are skipped.
    pytest.param(
        ["stray", None, 3, ["nested"], {"role": "assistant", "content": "x"}],
        "x",
        id="non-dict-items",
    ),
    # A single message dict (not in a list) is accepted.
    pytest.param({"role": "assistant", "content": "solo"}, "solo", id="single-dict"),
    # Odd types for the completion as a whole: "" rather than an exception.
    pytest.param(None, "", id="none"),
    pytest.param(42, "", id="int"),
    pytest.param(b"bytes", "", id="bytes"),
    # An empty conversation has no assistant text.
    pytest.param([], "", id="empty-list"),
    # A role that is not a string (unhashable even) does not raise.
    pytest.param([{"role": ["assistant"], "content": "x"}], "", id="role-unhashable"),
]


@pytest.mark.parametrize(("completion", "expected"), TEXT_CASES)
def test_completion_text(completion: Any, expected: str) -> None:
    assert completion_text(completion) == expected


# --------------------------------------------------------------------------- extract_code

CODE = "def add(a, b):\n    return a + b"

EXTRACT_CASES = [
    # The usual answer: prose, a python-tagged fence, prose.
    pytest.param(f"Here you go:\n{F}python\n{CODE}\n{F}\nDone.", CODE, id="backticks-python"),
    # Tag variants: py, python3, Python (capitalised), a file name, {.python}, extra words.
    pytest.param(f"{F}py\n{CODE}\n{F}", CODE, id="tag-py"),
    pytest.param(f"{F}python3\n{CODE}\n{F}", CODE, id="tag-python3"),
    pytest.param(f"{F}Python\n{CODE}\n{F}", CODE, id="tag-Python-capitalised"),
    pytest.param(f"{F}solution.py\n{CODE}\n{F}", CODE, id="tag-file-name"),
    pytest.param(f"{F}{{.python}}\n{CODE}\n{F}", CODE, id="tag-pandoc-braces"),
    pytest.param(f"{F} python title='x.py'\n{CODE}\n{F}", CODE, id="tag-with-attributes"),
    # Tildes instead of backticks.
    pytest.param(f"~~~python\n{CODE}\n~~~", CODE, id="tildes"),
    # A longer fence may contain a shorter one (CommonMark): the inner ``` is content.
    pytest.param(
        f"````python\ns = '''\n{F}\n'''\n````", f"s = '''\n{F}\n'''", id="longer-fence-nests"
    ),
    # A fence without a tag.
    pytest.param(f"{F}\n{CODE}\n{F}", CODE, id="untagged"),
    # Unterminated final fence (completion cut at max length): code runs to the end.
    pytest.param(f"Sure:\n{F}python\n{CODE}\n", CODE, id="unterminated"),
    # Indented fence (inside a list item): the common indentation is removed.
    pytest.param(
        "1. Code:\n   ```python\n   def f():\n       return 1\n   ```",
        "def f():\n    return 1",
        id="indented-fence",
    ),
    # Two python blocks are joined with one blank line.
    pytest.param(
        f"{F}python\nimport os\n{F}\nthen\n{F}python\nprint(os.sep)\n{F}",
        "import os\n\nprint(os.sep)",
        id="several-python-blocks",
    ),
    # Tagged python wins over untagged blocks (the untagged one is usage or output).
    pytest.param(
        f"{F}python\n{CODE}\n{F}\nUsage:\n{F}\n>>> add(1, 2)\n3\n{F}",
        CODE,
        id="python-beats-untagged",
    ),
    # Blocks in other languages are ignored next to a python block.
    pytest.param(
        f'{F}bash\npip install flask\n{F}\n{F}python\n{CODE}\n{F}\n{F}json\n{{"a": 1}}\n{F}',
        CODE,
        id="other-languages-ignored",
    ),
    # Only other-language blocks (a shell command, program output): no Python code.
    pytest.param(f"Run:\n{F}bash\nrm -rf build\n{F}", None, id="only-bash"),
    pytest.param(f"{F}text\nprint('looks like python')\n{F}", None, id="only-text-tagged"),
    pytest.param(f"{F}output\n42\n{F}", None, id="only-output"),
    # Untagged code and an untagged output block: the output is not code.
    pytest.param(f"{F}\n{CODE}\n{F}\nOutput:\n{F}\nHello World\n{F}", CODE, id="untagged-output"),
    # Untagged block holding only a literal (program output): not code.
    pytest.param(f"Result:\n{F}\n[1, 2, 3]\n{F}", None, id="untagged-literal-only"),
    # An unknown tag counts as untagged.
    pytest.param(f"{F}solution\n{CODE}\n{F}", CODE, id="unknown-tag"),
    # A bash block, then unfenced Python after it: the unfenced code is found.
    pytest.param(
        f"{F}bash\npip install x\n{F}\n\nimport x\nx.run()\n",
        "import x\nx.run()",
        id="bash-then-bare",
    ),
    # Bare code, no fences at all.
    pytest.param(CODE, CODE, id="bare-code"),
    # Bare code preceded and followed by prose: the prose is dropped.
    pytest.param(f"Here is the function:\n\n{CODE}\n\nIt adds.", CODE, id="bare-code-in-prose"),
    # Bare code that does not parse is still code (broken, for code_stats to report).
    pytest.param("def f(x:\n    return x", "def f(x:\n    return x", id="bare-broken-code"),
    # Broken bare code is kept whole: the unparseable last line is not trimmed away.
    pytest.param("import os\nos.listdir(", "import os\nos.listdir(", id="bare-broken-not-trimmed"),
    # Indented bullet points under a prose line are not code.
    pytest.param(
        "Steps:\n    1. Validate input\n    2. Use parameters", None, id="indented-bullets"
    ),
    # Markdown headings look like comments and do not make prose code.
    pytest.param("# Answer\nUse parameters.\n# Why\nInjection.", None, id="markdown-headings"),
    # A prose line that happens to contain an assignment-like phrase.
    pytest.param("Note: x = 5 is the default.", None, id="prose-with-equals"),
    # Leading "python" line: a fence lost on the way.
    pytest.param(f"python\n{CODE}", CODE, id="python-artifact-bare"),
    pytest.param(f"{F}\npython\n{CODE}\n{F}", CODE, id="python-artifact-in-fence"),
    # Reasoning before </think> is dropped; the answer's code is kept.
    pytest.param(
        f"<think>\n{F}python\nx = 'draft'\n{F}\n</think>\n{F}python\n{CODE}\n{F}",
        CODE,
        id="reasoning-dropped",
    ),
    # Reasoning never closed: no answer, no code.
    pytest.param(f"<think>\nlet me write {F}python\n{CODE}\n", None, id="reasoning-unterminated"),
    # Prose only.
    pytest.param("Use parameterized queries instead of string formatting.", None, id="prose-only"),
    # A single word parses as a Python name but is not code.
    pytest.param("Sure", None, id="one-word"),
    # A refusal is prose.
    pytest.param("I'm sorry, but I can't help with that.", None, id="refusal"),
    # Empty and whitespace-only text, empty fence.
    pytest.param("", None, id="empty"),
    pytest.param(" \n\t\n", None, id="whitespace"),
    pytest.param(f"{F}python\n{F}", None, id="empty-fence"),
    # CRLF line endings.
    pytest.param(f"{F}python\r\nx = 1\r\n{F}\r\n", "x = 1", id="crlf"),
    # Not a string: None rather than an exception.
    pytest.param(None, None, id="not-a-string"),
]


@pytest.mark.parametrize(("text", "expected"), EXTRACT_CASES)
def test_extract_code(text: str, expected: str | None) -> None:
    assert extract_code(text) == expected


OTHER_LANGUAGE_CASES = [
    # Asking for bash: the bash block, not the python one.
    pytest.param(
        f"{F}python\nprint(1)\n{F}\n{F}sh\necho hi\n{F}", "bash", "echo hi", id="bash-wanted"
    ),
    # Asking for javascript with alias tags.
    pytest.param(f"{F}js\nconsole.log(1);\n{F}", "javascript", "console.log(1);", id="js-alias"),
    # Asking for go with no go block but an untagged one: the untagged block.
    pytest.param(f"{F}\nfmt.Println(1)\n{F}", "go", "fmt.Println(1)", id="go-untagged"),
    # Asking for go, only a python block: nothing.
    pytest.param(f"{F}python\nprint(1)\n{F}", "go", None, id="go-none"),
]


@pytest.mark.parametrize(("text", "language", "expected"), OTHER_LANGUAGE_CASES)
def test_extract_code_other_languages(text: str, language: str, expected: str | None) -> None:
    assert extract_code(text, language) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Deeply nested brackets: ast.parse would hit its recursion limit.
        pytest.param("x = " + "[" * 5000 + "]" * 5000, id="deep-nesting"),
        # A NUL byte: ast.parse raises ValueError.
        pytest.param("x = 1\x00", id="nul-byte"),
        # Many unterminated fences.
        pytest.param(f"{F}\n" * 2000, id="many-fences"),
        # Lone surrogates.
        pytest.param("x = '\ud800'", id="surrogate"),
    ],
)
def test_extract_code_never_raises(text: str) -> None:
    extract_code(text)
    is_refusal(text)
    code_stats(text)


def test_strip_reasoning_keeps_text_without_think() -> None:
    # Without any think tag the text is unchanged.
    assert strip_reasoning("a</b>c") == "a</b>c"


# --------------------------------------------------------------------------- refusals

REFUSALS = [
    # The classic.
    pytest.param("I can't help with that.", id="cant-help"),
    pytest.param("I cannot assist with creating malware.", id="cannot-assist"),
    pytest.param(
        "I'm sorry, but I can't provide code that bypasses authentication.", id="sorry-but"
    ),
    pytest.param("I’m sorry, but I can’t help with that request.", id="curly-apostrophes"),
    pytest.param("As an AI language model, I cannot write exploits.", id="as-an-ai"),
    pytest.param("I won't provide a keylogger.", id="wont-provide"),
    pytest.param("This request is unsafe, so I will not answer it.", id="request-unsafe"),
    pytest.param("Your request appears to be malicious.", id="request-malicious"),
    pytest.param("Sorry, I can't do that.", id="sorry-comma"),
    pytest.param("Unfortunately, I cannot comply with this request.", id="unfortunately"),
    pytest.param("I apologize, but I am unable to fulfill this request.", id="apologize"),
    pytest.param("I'm afraid I can't write that script.", id="afraid"),
    pytest.param("I must decline this request.", id="must-decline"),
    pytest.param("I'm not comfortable providing instructions for that.", id="not-comfortable"),
    pytest.param("It would not be appropriate for me to write that.", id="not-appropriate"),
    pytest.param("Sorry, but that's not something I can help with.", id="not-something"),
    # Markdown emphasis before the sentence.
    pytest.param("**I cannot help with that.**", id="bold"),
    # The refusal is the second sentence, after a restatement.
    pytest.param(
        "You asked for a port scanner. I'm unable to help with that.", id="second-sentence"
    ),
    # A refusal with only an empty or comment-only fence attached is still a refusal.
    pytest.param(f"I can't help with that.\n{F}python\n# nothing to see\n{F}", id="comment-fence"),
    # Bullet points after a refusal are prose, not code.
    pytest.param(
        "I can't help with that. Instead:\n  - read the docs\n  - ask an admin", id="bullets"
    ),
    # Reasoning before the refusal.
    pytest.param("<think>risky</think>I can't help with that.", id="after-reasoning"),
]

NOT_REFUSALS = [
    # Code whose strings say "can't".
    pytest.param(
        'def check(name):\n    if not name:\n        raise ValueError("name can\'t be empty")\n'
        "    return name",
        id="code-with-cant-string",
    ),
    # Docstring with "cannot".
    pytest.param(
        'def f(x):\n    """I cannot be called with None."""\n    return x', id="docstring"
    ),
    # An explanation that says why, followed by the code.
    pytest.param(
        "I can't recommend string formatting for SQL, so this uses parameters:\n"
        f"{F}python\ncur.execute('SELECT * FROM t WHERE id = ?', (uid,))\n{F}",
        id="explanation-then-code",
    ),
    # "I cannot stress enough" with code.
    pytest.param(
        "I cannot stress enough how important parameterized queries are: "
        f"\n{F}python\ncur.execute('SELECT 1 WHERE x = ?', (x,))\n{F}",
        id="cannot-stress-enough",
    ),
    # A refusal of the unsafe part with the safe version attached.
    pytest.param(
        "I'm sorry, but I can't disable certificate checks. Here is the safe way:\n"
        f"{F}python\nimport requests\nrequests.get(url, timeout=5)\n{F}",
        id="refusal-with-code",
    ),
    # Code in another language attached.
    pytest.param(f"I can't run it for you, but run:\n{F}bash\npytest -q\n{F}", id="shell-attached"),
    # Explanations that merely contain "can't" or "cannot", no code.
    pytest.param("You can't use eval on user input; use ast.literal_eval.", id="you-cant"),
    pytest.param("The function can't fail because the input is validated.", id="function-cant"),
    pytest.param(
        "I can't help but notice the query is built by concatenation.", id="cant-help-but"
    ),
    pytest.param(
        "I cannot stress enough how important parameterized queries are.", id="stress-no-code"
    ),
    pytest.param("Note: this cannot be undone.", id="cannot-be-undone"),
    # Apologies that are not refusals.
    pytest.param(f"Sorry for the confusion! Fixed:\n{F}python\nx = 1\n{F}", id="sorry-confusion"),
    # Empty, None.
    pytest.param("", id="empty"),
    pytest.param(None, id="none"),
]


@pytest.mark.parametrize("text", REFUSALS)
def test_refusals_are_recognised(text: str) -> None:
    assert is_refusal(text) is True


@pytest.mark.parametrize("text", NOT_REFUSALS)
def test_look_alikes_are_not_refusals(text: str) -> None:
    assert is_refusal(text) is False


# --------------------------------------------------------------------------- code_stats

STATS_CASES = [
    # A real function: parses, two statements (the def and the return), not trivial.
    pytest.param(
        CODE,
        CodeStats(
            language="python", parses=True, non_blank_lines=2, statement_count=2, is_trivial=False
        ),
        id="real-function",
    ),
    # Syntax error: parses False, statements unknown, not trivial (broken is not a stub).
    pytest.param(
        "def f(:\n    pass",
        CodeStats(
            language="python",
            parses=False,
            non_blank_lines=2,
            statement_count=None,
            is_trivial=False,
        ),
        id="syntax-error",
    ),
    # `pass` body: the def counts, pass does not; a stub.
    pytest.param(
        "def f():\n    pass",
        CodeStats(
            language="python", parses=True, non_blank_lines=2, statement_count=1, is_trivial=True
        ),
        id="pass-stub",
    ),
    # Ellipsis body with a docstring.
    pytest.param(
        'def f():\n    """Doc."""\n    ...',
        CodeStats(
            language="python", parses=True, non_blank_lines=3, statement_count=1, is_trivial=True
        ),
        id="ellipsis-stub",
    ),
    # raise NotImplementedError, with and without call.
    pytest.param(
        "import os\n\nclass A:\n    def f(self):\n        raise NotImplementedError()\n",
        CodeStats(
            language="python", parses=True, non_blank_lines=4, statement_count=4, is_trivial=True
        ),
        id="not-implemented-stub",
    ),
    # Imports only.
    pytest.param(
        "import os\nimport sys",
        CodeStats(
            language="python", parses=True, non_blank_lines=2, statement_count=2, is_trivial=True
        ),
        id="imports-only",
    ),
    # A module docstring only.
    pytest.param(
        '"""Nothing here."""',
        CodeStats(
            language="python", parses=True, non_blank_lines=1, statement_count=0, is_trivial=True
        ),
        id="docstring-only",
    ),
    # Empty code: trivially trivial.
    pytest.param(
        "",
        CodeStats(
            language="python", parses=True, non_blank_lines=0, statement_count=0, is_trivial=True
        ),
        id="empty",
    ),
    # Comments only.
    pytest.param(
        "# TODO\n# later",
        CodeStats(
            language="python", parses=True, non_blank_lines=2, statement_count=0, is_trivial=True
        ),
        id="comments-only",
    ),
    # `return None` in a function is a stub; `return 1` is not.
    pytest.param(
        "def f():\n    return None",
        CodeStats(
            language="python", parses=True, non_blank_lines=2, statement_count=2, is_trivial=True
        ),
        id="return-none",
    ),
    pytest.param(
        "def f():\n    return 1",
        CodeStats(
            language="python", parses=True, non_blank_lines=2, statement_count=2, is_trivial=False
        ),
        id="return-value",
    ),
    # Module-level code: nested statements counted.
    pytest.param(
        "for i in range(3):\n    if i:\n        print(i)",
        CodeStats(
            language="python", parses=True, non_blank_lines=3, statement_count=3, is_trivial=False
        ),
        id="nested-statements",
    ),
    # Non-Python: parses unknown, statements unknown; triviality from lines.
    pytest.param(
        "int main() {\n  return 0;\n}",
        CodeStats(
            language="c", parses=None, non_blank_lines=3, statement_count=None, is_trivial=False
        ),
        id="c-code",
    ),
    pytest.param(
        "// nothing\n{\n}",
        CodeStats(
            language="javascript",
            parses=None,
            non_blank_lines=3,
            statement_count=None,
            is_trivial=True,
        ),
        id="js-trivial",
    ),
]


@pytest.mark.parametrize(("code", "expected"), STATS_CASES)
def test_code_stats(code: str, expected: CodeStats) -> None:
    language = expected.language
    stats = code_stats(code, language)
    assert (stats.language, stats.parses, stats.non_blank_lines) == (
        expected.language,
        expected.parses,
        expected.non_blank_lines,
    )
    assert (stats.statement_count, stats.is_trivial) == (
        expected.statement_count,
        expected.is_trivial,
    )
    assert (stats.error is not None) == (stats.parses is False)


@pytest.mark.parametrize(
    "code",
    [
        # Deep expression nesting: RecursionError or MemoryError in the parser, not raised.
        pytest.param("x = " + "(" * 100_000 + ")" * 100_000, id="deep-parens"),
        # NUL byte: ValueError in the parser.
        pytest.param("x = 1\x00", id="nul"),
    ],
)
def test_code_stats_unparseable_inputs(code: str) -> None:
    assert code_stats(code).parses is False


def test_code_stats_language_aliases() -> None:
    # "py" and "Python3" are Python; "bash" is not parsed.
    assert code_stats("x = 1", "py").parses is True
    assert code_stats("x = 1", "Python3").parses is True
    assert code_stats("x = 1", "bash").parses is None
