"""From a raw model completion to the code it contains, and what that code amounts to.

Pure functions (no I/O) used by the GRPO reward: the reward must not be earned by writing no code,
broken code, a stub or a refusal, so every function here is defensive: none raises on any input.

- `completion_text`: the assistant's text from what TRL passes (a string, or chat messages).
- `extract_code`: the code inside it (markdown fences, or the bare text when it is code).
- `is_refusal`: whether the answer declines the task instead of answering it.
- `code_stats`: whether the code parses, how much of it there is, whether it is only a stub.

Choices worth knowing (all covered by tests/training/test_completions.py):

* Reasoning: text up to the last `</think>` is dropped (the answer follows it); a completion that
  opens `<think>` and never closes it has no answer yet, so it yields "" (no code, no refusal).
* Fences: ``` and ~~~ (3 or more, same character and at least as long to close, CommonMark),
  indented or not; an unterminated last fence runs to the end of the text.
* Which blocks: blocks tagged with the wanted language win and are joined with one blank line.
  Without any, untagged blocks are used (for Python only those that look like code, so an
  untagged "Output:" block is not mistaken for code). Blocks tagged with another *known*
  language (bash, json, text, output, ...) are never returned: a shell command is not the Python
  solution, and returning it would let "```text" wrappers pass for code. An unknown tag
  (```solution, ```code) counts as untagged. A tag that names a file counts as its extension
  (```app.py is Python).
* Bare text: when no usable block exists, the text outside fences is returned if it is code:
  it parses as Python with at least one substantive statement, or a contiguous run of
  code-looking lines in it parses (prose before/after unfenced code is dropped), or at least 60%
  of its non-blank lines look like code (broken code is still code: `code_stats` reports it).
* A first line that is only a language name ("python") is dropped: an artifact of fences lost on
  the way.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.python_syntax import parse_python

__all__ = [
    "CodeStats",
    "code_stats",
    "completion_text",
    "extract_code",
    "is_refusal",
    "strip_reasoning",
]

# --------------------------------------------------------------------------- completion_text


def completion_text(completion: Any) -> str:
    """The assistant text of a TRL completion; "" when there is none (never raises).

    A plain string is returned as is. A conversational completion is a list of message dicts
    (a single dict is accepted too): the content of every message whose role is "assistant" is
    concatenated in order (one newline between messages); other roles, non-dict items, missing
    or mistyped keys are skipped. Content may be a string or a list of parts: strings and
    `{"type": "text", "text": "..."}` parts (or parts with a "text" string and no type) are joined
    with newlines; image or tool parts are skipped.
    """
    try:
        if isinstance(completion, str):
            return completion
        if isinstance(completion, dict):
            completion = [completion]
        if not isinstance(completion, list | tuple):
            return ""
        texts = []
        for message in completion:
            if not isinstance(message, dict) or message.get("role") != "assistant":
                continue
            text = _content_text(message.get("content"))
            if text:
                texts.append(text)
        return "\n".join(texts)
    except Exception:  # noqa: BLE001 - odd objects (custom __eq__, broken dict subclasses)
        return ""


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list | tuple):
        return ""
    parts = []
    for part in content:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and part.get("type", "text") == "text":
            text = part.get("text")
            if isinstance(text, str):
                parts.append(text)
    return "\n".join(parts)


# --------------------------------------------------------------------------- reasoning


def strip_reasoning(text: str) -> str:
    """The answer part of a completion: what follows the last `</think>`.

    A text that starts with `<think>` and never closes it is all reasoning: "" is returned.
    """
    end = text.rfind("</think>")
    if end != -1:
        return text[end + len("</think>") :]
    if text.lstrip().startswith("<think>"):
        return ""
    return text


# --------------------------------------------------------------------------- languages

_PYTHON = "python"
# Canonical language -> tags (lower case) that name it. Tags not listed anywhere are unknown and
# count as no tag at all. "text" gathers the tags models put on program output and prose.
_LANGUAGE_TAGS: dict[str, frozenset[str]] = {
    lang: frozenset(tags.split())
    for lang, tags in {
        _PYTHON: "python py python3 py3 python2 py2 ipython sage",
        "pycon": "pycon python-repl pyrepl pytb python-traceback",
        "bash": "bash sh shell zsh fish console shell-session shellsession terminal cmd"
        " powershell ps1 bat",
        "text": "text txt plain plaintext output stdout stderr out log result results none"
        " nohighlight example",
        "json": "json jsonc json5 jsonl",
        "yaml": "yaml yml",
        "toml": "toml ini cfg conf properties env dotenv",
        "javascript": "javascript js node nodejs jsx mjs cjs",
        "typescript": "typescript ts tsx",
        "java": "java",
        "kotlin": "kotlin kt",
        "go": "go golang",
        "rust": "rust rs",
        "ruby": "ruby rb",
        "php": "php",
        "c": "c h",
        "cpp": "cpp c++ cxx cc hpp",
        "csharp": "csharp c# cs",
        "sql": "sql postgresql postgres mysql sqlite plsql",
        "html": "html xml svg xhtml jinja jinja2 django htmldjango",
        "css": "css scss sass less",
        "markdown": "markdown md rst",
        "dockerfile": "dockerfile docker",
        "diff": "diff patch udiff",
        "makefile": "makefile make",
    }.items()
}
_TAG_TO_LANGUAGE = {tag: lang for lang, tags in _LANGUAGE_TAGS.items() for tag in tags}
# A tag that is a file name ("app.py") names its extension's language.
_EXTENSIONS = {"pyw": _PYTHON, "pyi": _PYTHON, "txt": "text", "cfg": "toml", "ini": "toml"}
_GENERIC_TAGS = frozenset({"code", "source", "src", "sourcecode", "snippet", "solution"})
_PYTHON_VERSIONED = re.compile(r"python[0-9.]*|py[0-9.]*")


def _language_of_tag(info: str) -> str | None:
    """Canonical language of a fence's info string; None for no tag or an unknown one."""
    words = info.strip().split()
    if not words:
        return None
    tag = words[0].strip("{}.:;,").lower()
    tag = tag.removeprefix("language-").removeprefix("lang-")
    if not tag or tag in _GENERIC_TAGS:
        return None
    if tag in _TAG_TO_LANGUAGE:
        return _TAG_TO_LANGUAGE[tag]
    if _PYTHON_VERSIONED.fullmatch(tag):
        return _PYTHON
    if "." in tag:  # a file name: its extension
        extension = tag.rsplit(".", 1)[1]
        return _EXTENSIONS.get(extension) or _TAG_TO_LANGUAGE.get(extension)
    return None


def _canonical(language: str) -> str:
    lowered = (language or _PYTHON).strip().lower()
    return _language_of_tag(lowered) or lowered


# --------------------------------------------------------------------------- fences

_FENCE_OPEN = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_FENCE_CLOSE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*$")


@dataclass(frozen=True, slots=True)
class _Block:
    language: str | None  # canonical; None = untagged or unknown tag
    code: str
    start: int  # line span in the text, end exclusive (for the text outside fences)
    end: int


def _fenced_blocks(lines: list[str]) -> list[_Block]:
    blocks = []
    i, n = 0, len(lines)
    while i < n:
        opening = _FENCE_OPEN.match(lines[i])
        if not opening or (opening["fence"][0] == "`" and "`" in opening["info"]):
            i += 1
            continue
        char, length = opening["fence"][0], len(opening["fence"])
        j = i + 1
        while j < n:
            closing = _FENCE_CLOSE.match(lines[j])
            if closing and closing["fence"][0] == char and len(closing["fence"]) >= length:
                break
            j += 1
        body = textwrap.dedent("\n".join(lines[i + 1 : j]))
        blocks.append(_Block(_language_of_tag(opening["info"]), body, i, min(j + 1, n)))
        i = j + 1
    return blocks


def is_truncated(text: str) -> bool:
    """Whether the answer stops inside a code fence: it was cut off (the model ran out of
    tokens), so its code is not what it meant to write (never raises)."""
    try:
        if not isinstance(text, str):
            return False
        lines = strip_reasoning(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return any(
            block.end == len(lines) and not _closes(lines, block) for block in _fenced_blocks(lines)
        )
    except Exception:  # noqa: BLE001 - the contract is "never raises"
        return False


def _closes(lines: list[str], block: _Block) -> bool:
    """Whether the block's last line is its closing fence."""
    last = lines[block.end - 1] if block.end - 1 > block.start else ""
    return bool(_FENCE_CLOSE.match(last))


# --------------------------------------------------------------------------- code detection

# One line of Python, judged alone. Anchored on whole-line shapes so that English sentences
# ("import this module ...", "for example, ...") do not qualify.
_PY_LINE = re.compile(
    r"""^\s*(?:
        (?:async\s+)?def\s+\w+\s*\(.*
      | class\s+\w+\s*[(:].*
      | import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*\s*(?:\#.*)?
      | from\s+[\w.]+\s+import\s+(?:\*|\(|[\w\s,]+\)?)\s*(?:\#.*)?
      | (?:if|elif|while|with|async\s+with)\s+.+:\s*(?:\#.*)?
      | (?:async\s+)?for\s+.+\s+in\s+.+:\s*(?:\#.*)?
      | (?:else|try|finally)\s*:\s*(?:\#.*)?
      | except\b.*:\s*(?:\#.*)?
      | (?:return|yield|raise|await|del|global|nonlocal|assert)\b(?:\s+\S.*)?
      | (?:pass|break|continue)\s*(?:\#.*)?
      | @[\w.]+.*
      | \#.*
      | [\w.\[\]'"]+(?:\s*,\s*[\w.\[\]'"]+)*\s*(?::\s*[\w.\[\], |]+)?
        \s*(?:[-+*/%&|^@]|//|\*\*|>>|<<)?=\s*\S.*
      | [\w.]+\s*\(.*\)\s*(?:\#.*)?
      | [\])}]+[,:]?\s*
      | (?:print|main)\s*\(.*
    )$""",
    re.VERBOSE,
)
# Any line of C-like, shell or config code, for languages we do not parse.
_GENERIC_LINE = re.compile(
    r"""^\s*(?:
        .*[;{}]\s*(?://.*)?
      | (?://|/\*|\*|\#|--).*
      | [\w.$]+\s*\(.*\)\s*;?
      | [\w.$\[\]]+\s*:?=\s*\S.*
      | (?:if|for|while|return|func|function|fn|def|const|let|var|int|void|public|private|
           package|import|export|using|\#include|SELECT|INSERT|UPDATE|DELETE|CREATE)\b.*
    )$""",
    re.VERBOSE | re.IGNORECASE,
)
_STRONG_LINE = re.compile(
    r"^\s*(?:(?:async\s+)?def\s+\w+\s*\(|class\s+\w+\s*[(:]|import\s+\w|from\s+[\w.]+\s+import\s"
    r"|function\s+\w+\s*\(|func\s+\w+\s*\(|fn\s+\w+\s*\(|#include\s*<|package\s+\w)"
)
# A sentence: a capitalised word followed by text without assignment or statement syntax, or
# two words or more made of letters and sentence punctuation only.
_PROSE_LINE = re.compile(
    r"^\s*(?:[A-Z][A-Za-z']*(?:[ ,][^=;{}]*)?"
    r"|[A-Za-z][A-Za-z']*(?:[ ,.;:!?-]+[A-Za-z']+)+[.!?:,]?)\s*$"
)
_LANGUAGE_NAME_LINE = re.compile(r"[ \t]*(?:python[0-9.]*|py3?)[ \t]*:?[ \t]*", re.IGNORECASE)
_BARE_CODE_RATIO = 0.6


def _parse(code: str) -> ast.Module | None:
    try:
        return parse_python(code)  # also Python 3.12 f-strings, which this interpreter rejects
    except OverflowError:
        return None


def _is_literal(node: ast.AST) -> bool:
    """A value that reads like program output rather than code: 42, "x", [1, 2], -3, None."""
    if isinstance(node, ast.Constant | ast.Name | ast.Attribute):
        return True
    if isinstance(node, ast.UnaryOp):
        return _is_literal(node.operand)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(_is_literal(element) for element in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or _is_literal(k) for k in node.keys) and all(
            _is_literal(v) for v in node.values
        )
    return False


def _looks_like_python(code: str) -> bool:
    """Parses, and has one statement that is more than a lone word, literal or `pass`."""
    tree = _parse(code)
    if tree is None:
        return False
    for statement in tree.body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and _is_literal(statement.value):
            continue
        return True
    return False


def _line_kinds(lines: list[str], language: str) -> list[str]:
    """Classify each line as "code", "prose", "other", "comment" or "blank".

    "code" is a line that is recognisably code (`_PY_LINE`, `_GENERIC_LINE`); "prose" one that
    is recognisably a sentence (`_PROSE_LINE`); "other" the rest (code our patterns miss,
    broken code). For Python an indented line after prose is prose-or-other, never code, so
    that indented bullet lists do not pass for code. Comment lines (and markdown headings,
    which look the same) count neither way.
    """
    kinds, in_code = [], False
    for line in lines:
        if not line.strip():
            kinds.append("blank")
            continue
        if _COMMENT_ONLY.match(line):
            kinds.append("comment")
            continue
        if language != _PYTHON:
            is_code = bool(_GENERIC_LINE.match(line))
        elif line[:1] in " \t":
            is_code = in_code
        else:
            is_code = bool(_PY_LINE.match(line))
        kind = "code" if is_code else "prose" if _PROSE_LINE.match(line) else "other"
        in_code = kind != "prose" and (in_code or kind == "code")
        kinds.append(kind)
    return kinds


def _drop_language_line(code: str) -> str:
    lines = code.split("\n")
    for index, line in enumerate(lines):
        if line.strip():
            if _LANGUAGE_NAME_LINE.fullmatch(line):
                del lines[index]
            break
    return "\n".join(lines)


def _clean(code: str) -> str | None:
    code = textwrap.dedent(_drop_language_line(code)).strip("\n").rstrip()
    return code if code.strip() else None


def _bare_code(text: str, language: str) -> str | None:
    text = _clean(text)
    if text is None:
        return None
    if language == _PYTHON and _looks_like_python(text):
        return text
    lines = text.split("\n")
    kinds = _line_kinds(lines, language)
    code_lines = [i for i, kind in enumerate(kinds) if kind == "code"]
    if not code_lines:
        return None
    if language == _PYTHON:
        # Prose around unfenced code: from the first to the last line that is not prose.
        codeish = [i for i, kind in enumerate(kinds) if kind in ("code", "other")]
        first = next((i for i in codeish if lines[i][:1] not in " \t"), codeish[0])
        span = _clean("\n".join(lines[first : codeish[-1] + 1]))
        if span is not None and _looks_like_python(span):
            return span
    # Broken code: mostly lines that are not prose, one of them at least clearly code (two, or
    # one unmistakable opener such as `def f(`).
    codeish = sum(1 for kind in kinds if kind in ("code", "other"))
    judged = codeish + kinds.count("prose")
    enough = len(code_lines) >= 2 or bool(_STRONG_LINE.match(lines[code_lines[0]]))
    if enough and codeish / judged >= _BARE_CODE_RATIO:
        return text
    return None


def extract_code(text: str, language: str = "python") -> str | None:
    """The code of `language` in a completion's text, or None when it holds none (never raises).

    See the module docstring for the rules (fences, tags, bare code, artifacts).
    """
    try:
        if not isinstance(text, str):
            return None
        want = _canonical(language)
        lines = strip_reasoning(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
        blocks = _fenced_blocks(lines)
        chosen = [b.code for b in blocks if b.language == want]
        if not chosen:
            untagged = [b.code for b in blocks if b.language is None]
            if want == _PYTHON:
                untagged = [code for code in untagged if _bare_code(code, want) is not None]
            chosen = untagged
        cleaned = [code for code in map(_clean, chosen) if code is not None]
        if cleaned:
            return "\n\n".join(cleaned)
        outside = list(lines)
        for block in reversed(blocks):
            del outside[block.start : block.end]
        return _bare_code("\n".join(outside), want)
    except Exception:  # noqa: BLE001 - the contract is "never raises"
        return None


# --------------------------------------------------------------------------- refusals

# Each pattern must match at the start of a sentence (after leading markdown such as "**" or
# "> "), in lower case with curly apostrophes straightened. The list is kept short on purpose:
# "can't" in general is far too common in code and explanations to mean anything.
_CANT = (
    r"(?:can'?t|cannot|can not|won'?t|will not"
    r"|am unable to|'m unable to|am not able to|'m not able to)"
)
_REFUSAL_PATTERNS: tuple[tuple[str, str], ...] = (
    # "I can't help with that", "I won't provide ...", "I cannot assist", "I'm unable to write"
    (
        "i-cant-do",
        rf"i\s?{_CANT} (?:help(?! but)|assist|provide|comply|fulfil|create|write|generate|produce"
        r"|support|complete|answer|engage|share|give|offer|participate|do (?:that|this|it)"
        r"|be of (?:help|assistance)|continue|implement)",
    ),
    # "I'm sorry, but I can't ...", "I apologize, but I cannot ...", "I'm afraid I can't ..."
    (
        "sorry-i-cant",
        r"(?:i'm|i am|i)\s?(?:really |very |so )?(?:sorry|afraid|apologi[sz]e)\b[^.!?\n]{0,40}?"
        rf"\bi\s?{_CANT}",
    ),
    # "Sorry, I can't ...", "Unfortunately, I cannot ...", "Apologies, but I won't ..."
    ("sorry-cant", rf"(?:sorry|unfortunately|apologies|my apologies),? (?:but )?i\s?{_CANT}"),
    # "Sorry, but that's not something I can help with"
    (
        "not-something-i-can",
        r"(?:sorry,? (?:but )?|unfortunately,? )?(?:that|this)(?:'s| is) not something i "
        r"(?:can|will|am able to)",
    ),
    # "As an AI language model, I cannot ..."
    (
        "as-an-ai",
        r"as an ai\b[^,.!?\n]{0,30},? i\s?(?:can'?t|cannot|can not|am not able|'m not able"
        r"|am unable|'m unable|won'?t|will not|must not|do not|don'?t|am not allowed)",
    ),
    # "This request is unsafe", "Your request appears to be malicious"
    (
        "request-is-unsafe",
        r"(?:this|that|the|your) (?:request|task|question|ask) (?:is|seems|appears|looks)"
        r"(?: to be)? (?:unsafe|harmful|malicious|unethical|illegal|dangerous|inappropriate"
        r"|against)",
    ),
    # "I must decline", "I have to refuse to help", "I decline this request"
    (
        "i-decline",
        r"i(?: must| have to| need to| will have to|'ll have to|'d have to)?(?: respectfully)?"
        r" (?:decline|refuse)(?: to (?:help|assist|provide|write|create|do|comply|answer|generate"
        r"|engage|share|give|complete|fulfil)| this| that| the| your|[.,!;]|$)",
    ),
    # "I'm not comfortable providing ...", "I don't feel comfortable writing ..."
    (
        "not-comfortable",
        r"i(?:'m| am| do not feel| don'?t feel) (?:not )?comfortable (?:helping|assisting"
        r"|providing|writing|creating|doing|sharing|giving|generating|with (?:this|that|your))",
    ),
    # "I'm not allowed to ...", "I am not permitted to ..."
    (
        "not-allowed",
        r"i(?:'m| am) not (?:allowed|permitted|authori[sz]ed|going) to (?:help|assist|provide"
        r"|write|create|do|comply|generate|share|give)",
    ),
    # "It would not be appropriate for me to ..."
    (
        "not-appropriate-for-me",
        r"it(?:'s| is| would be| would not be| wouldn'?t be) (?:not )?(?:appropriate|inappropriate"
        r"|ethical|unethical|responsible|irresponsible) for me to",
    ),
)
_REFUSAL = re.compile("|".join(f"(?:{pattern})" for _, pattern in _REFUSAL_PATTERNS))
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_LEADING_MARKUP = re.compile(r"^[\s*_>#\-+\"'`(\[]+")
_COMMENT_ONLY = re.compile(r"^\s*(?:#|//|/\*|\*|--)")


def _has_code(answer: str) -> bool:
    """Some block or bare code with at least one line that is not blank or a comment."""
    lines = answer.replace("\r\n", "\n").split("\n")
    candidates = [block.code for block in _fenced_blocks(lines)]
    candidates.append(extract_code(answer) or "")
    return any(
        line.strip() and not _COMMENT_ONLY.match(line)
        for code in candidates
        for line in code.split("\n")
    )


def is_refusal(text: str) -> bool:
    """Whether the answer declines the task (never raises).

    True when a sentence starts like one of the documented refusal patterns (`_REFUSAL_PATTERNS`)
    and the answer carries no code: a refusal that comes with code ("I can't do X, but here is
    the safe way: ```...```") answers the task and is judged on its code instead. Reasoning
    before `</think>` is ignored.
    """
    try:
        if not isinstance(text, str):
            return False
        answer = strip_reasoning(text)
        if not answer.strip() or _has_code(answer):
            return False
        prose = answer.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'").lower()
        for sentence in _SENTENCE_BREAK.split(prose):
            sentence = _LEADING_MARKUP.sub("", sentence)
            if _REFUSAL.match(re.sub(r"[ \t]+", " ", sentence)):
                return True
        return False
    except Exception:  # noqa: BLE001 - the contract is "never raises"
        return False


# --------------------------------------------------------------------------- code_stats


class CodeStats(BaseModel):
    """What a piece of code amounts to.

    parses: Python: whether `ast.parse` accepts it; other languages: None (unknown).
    non_blank_lines: lines with something other than whitespace.
    statement_count: substantive AST statements at any depth (a `def` counts, and so does each
        statement in its body), not counting docstrings, `pass` and `...`; None when unknown
        (non-Python, or it does not parse).
    is_trivial: nothing but imports, `pass`, docstrings, `...`, `raise NotImplementedError`,
        bare `return`/`return None`, and functions or classes made only of those (an empty text
        is trivial). Non-Python: no line other than blanks, comments and braces. Code that does
        not parse is not trivial (it is broken; `parses` says so).
    error: the parse error, for debugging.
    """

    model_config = ConfigDict(frozen=True)

    language: str
    parses: bool | None
    non_blank_lines: int
    statement_count: int | None
    is_trivial: bool
    error: str | None = None


def _is_filler(statement: ast.stmt) -> bool:
    """`pass`, `...` or a string literal statement (a docstring anywhere)."""
    if isinstance(statement, ast.Pass):
        return True
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and (statement.value.value is Ellipsis or isinstance(statement.value.value, str))
    )


def _raises_not_implemented(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.Raise) or statement.exc is None:
        return False
    exc = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
    return isinstance(exc, ast.Name) and exc.id in {"NotImplementedError", "NotImplemented"}


def _is_trivial_statement(statement: ast.stmt) -> bool:
    if _is_filler(statement) or _raises_not_implemented(statement):
        return True
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return True
    if isinstance(statement, ast.Return):
        return statement.value is None or (
            isinstance(statement.value, ast.Constant) and statement.value.value is None
        )
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return all(_is_trivial_statement(inner) for inner in statement.body)
    return False


def _count_statements(tree: ast.Module) -> int:
    return sum(1 for node in ast.walk(tree) if isinstance(node, ast.stmt) and not _is_filler(node))


def code_stats(code: str, language: str = "python") -> CodeStats:
    """Parse and measure `code` (never raises). See `CodeStats` for what each field means."""
    if not isinstance(code, str):
        code = ""
    canonical = _canonical(language)
    non_blank = sum(1 for line in code.splitlines() if line.strip())
    if canonical != _PYTHON:
        meaningful = any(
            line.strip() and not _COMMENT_ONLY.match(line) and line.strip(" \t{}();") != ""
            for line in code.splitlines()
        )
        return CodeStats(
            language=canonical,
            parses=None,
            non_blank_lines=non_blank,
            statement_count=None,
            is_trivial=not meaningful,
        )
    tree = _parse(code)
    if tree is None:
        try:
            ast.parse(code)  # only for the message
            error = "does not parse"
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
        return CodeStats(
            language=canonical,
            parses=False,
            non_blank_lines=non_blank,
            statement_count=None,
            is_trivial=False,
            error=error,
        )
    try:
        count = _count_statements(tree)
        trivial = all(_is_trivial_statement(statement) for statement in tree.body)
    except RecursionError:  # absurdly nested classes/functions: measurable only roughly
        count, trivial = sum(isinstance(n, ast.stmt) for n in ast.walk(tree)), False
    return CodeStats(
        language=canonical,
        parses=True,
        non_blank_lines=non_blank,
        statement_count=count,
        is_trivial=trivial,
    )


def fenced(code: str) -> str:
    """An answer as a code model writes it: the code in a Python fence."""
    return f"```python\n{code.rstrip()}\n```"
