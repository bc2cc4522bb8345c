"""Secrets out of everything we store, embed or train on.

Two layers:
1. Values a secret scanner itself reported (Gitleaks `Secret`, `offender` ...) are replaced
   wherever they appear in the report's findings: message, code, raw record.
2. Patterns for well-known credential formats and for `password = "..."`-style assignments
   catch secrets that no secret scanner reported (a SAST snippet that happens to hold a key).

Redaction runs before identity is computed, so no secret (nor a hash of one) is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import ahocorasick
import orjson

from core.finding import Finding

MARKER = "[REDACTED:{kind}]"

# (kind, pattern, triggers). Where a pattern has a group named "secret", only that group is
# replaced. The triggers are lower-case substrings one of which the pattern needs to match
# (in the casefolded text): most texts hold none, and finding them is ten times cheaper than
# running the patterns; a text that holds some runs only the patterns they belong to.
_NAMES = (
    r"(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key"
    r"|client[_-]?secret|private[_-]?key|credentials?)"
)
# What _NAMES needs. With (?i), Python's re lets "i" match the dotless "ı" (U+0131) and the
# dotted "İ" (U+0130), which casefolding keeps as "ı" and "i̇": "credential" written with either
# must trigger too (the other names have their own trigger without an "i": "key", "secret";
# "auth" is not one: auth_key holds "key", so "author" need not run the patterns).
_NAME_TRIGGERS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "credential",
    "credent\u0131al",
    "credenti\u0307al",
)
_NOT_A_MARKER = r"(?!\[REDACTED:)"  # a value already redacted keeps its (more precise) kind
_PATTERNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "private-key",
        r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----"
        r"(?:[\s\S]*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----|[\s\S]*)",
        ("private key",),
    ),
    (
        "aws-access-key-id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b",
        ("akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "anpa", "anva", "aipa"),
    ),
    (
        "github-token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})\b",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    ("gitlab-token", r"\bglpat-[A-Za-z0-9_\-]{20,}", ("glpat-",)),
    ("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", ("xox",)),
    ("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}", ("_live_", "_test_")),
    # Not \b at the end: a key may end in "-", after which \b cannot match before a quote.
    ("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])", ("aiza",)),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyj",)),
    ("mailchimp-key", r"\b[0-9a-f]{32}-us[0-9]{1,2}\b", ("-us",)),
    ("sendgrid-key", r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}", ("sg.",)),
    # user:password@ and :password@ (Redis) in URLs; everything up to the last @ of the authority.
    (
        "url-credentials",
        r"(?<=://)(?P<secret>[^/\s:@'\"]{0,64}:[^/\s'\"]{3,128})(?=@[^/\s@'\"]+)",
        ("://",),
    ),
    # name = "value" where the name says secret: assignments (with a type annotation too),
    # subscripts (config["password"] = ...), comparisons (==), dict and JSON entries.
    (
        "credential",
        r"(?i)" + _NAMES + r"[A-Za-z0-9_\-]*['\"\]]*\s*"
        r"(?::\s*[A-Za-z_][\w\[\], .|]{0,40}?\s*)?(?:==|=>|=|:)\s*"
        r"(?P<q>['\"])" + _NOT_A_MARKER + r"(?P<secret>[^'\"\s]{8,256})(?P=q)",
        _NAME_TRIGGERS,
    ),
    # Shell/env/YAML style without quotes: GITHUB_TOKEN=c77e..., POSTGRES_PASSWORD: s3cr...
    (
        "credential",
        r"\b[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY)"
        r"[A-Z0-9_]*[ \t]*(?:=|:[ \t]*)" + _NOT_A_MARKER + r"(?P<secret>[^\s'\"#]{12,256})",
        ("pass", "secret", "token", "key"),
    ),
    # Lower-case YAML/INI keys with an unquoted value on their own line. The value must hold
    # a digit: `password: SecretStr` (a type) stays, `password: hunter2hunter2` goes.
    (
        "credential",
        r"(?im)^[ \t-]*[\w.\-]*"
        + _NAMES
        + r"[\w.\-]*[ \t]*[:=][ \t]*"
        + _NOT_A_MARKER
        + r"(?P<secret>(?=[^\s'\"#]*\d)[^\s'\"#\[\]{}(),]{8,256})[ \t]*$",
        _NAME_TRIGGERS,
    ),
)
_COMPILED = [(kind, re.compile(pattern)) for kind, pattern, _ in _PATTERNS]
_MIN_KNOWN_SECRET = 4  # shorter "secrets" would redact ordinary words


def redact_text(
    text: str, known: re.Pattern[str] | None = None, found: list[str] | None = None
) -> str:
    """`text` with known secret values and secret-looking patterns replaced by a marker; the
    values the patterns replaced are appended to `found` when given."""
    if known is not None and known.search(text):
        text = known.sub(MARKER.format(kind="secret"), text)
    needed = patterns_needed(text)
    for i, (kind, pattern) in enumerate(_COMPILED):
        if needed >> i & 1:
            done = pattern.sub(lambda m, kind=kind: _replace(m, kind, found), text)
            if done != text:
                text = done
                # Its marker may hold a later pattern's trigger ("[REDACTED:github-token]"):
                # every pattern runs exactly when it could match the text as it is by then.
                needed = patterns_needed(text)
    return text


def patterns_needed(text: str) -> int:
    """Which patterns can match `text`, as bits (bit i: `_PATTERNS[i]`); 0 when none can.

    One Aho-Corasick pass over the casefolded text finds every trigger: 1.6x faster than
    testing the triggers one by one, and 3x faster than one regular expression of them all
    (100,000 raw records of ~700 characters, session 10's machine: 1.0 s, 1.65 s, 3.4 s).
    """
    # casefold, not lower: (?i) patterns match "ſecret" (long s), and so must the test.
    needed = 0
    for _, bits in _TRIGGER_AUTOMATON.iter(text.casefold()):
        needed |= bits
        if needed == _ALL_PATTERNS:
            break
    return needed


def might_hold_secret(text: str) -> bool:
    """False only when no pattern can match: a cheap test before the real one."""
    for _ in _TRIGGER_AUTOMATON.iter(text.casefold()):
        return True
    return False


def _trigger_automaton() -> ahocorasick.Automaton:
    bits: dict[str, int] = {}
    for i, (_, _, triggers) in enumerate(_PATTERNS):
        for trigger in triggers:
            bits[trigger] = bits.get(trigger, 0) | 1 << i
    automaton = ahocorasick.Automaton()
    for word, mask in bits.items():
        automaton.add_word(word, mask)
    automaton.make_automaton()
    return automaton


_TRIGGER_AUTOMATON = _trigger_automaton()
_ALL_PATTERNS = (1 << len(_PATTERNS)) - 1


def _replace(match: re.Match[str], kind: str, found: list[str] | None = None) -> str:
    if "secret" in match.re.groupindex and match.group("secret") is not None:
        if found is not None:
            found.append(match.group("secret"))
        start, end = match.span("secret")
        whole_start = match.start()
        full = match.group(0)
        marker = MARKER.format(kind=kind)
        return full[: start - whole_start] + marker + full[end - whole_start :]
    if found is not None:
        found.append(match.group(0))
    return MARKER.format(kind=kind)


def known_secrets_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching every reported secret value (longest first), or None.

    Each value is matched as written and as JSON writes it (quotes and backslashes escaped),
    so the same pattern finds it in serialized raw records.
    """
    forms: set[str] = set()
    for value in values:
        if len(value.strip()) >= _MIN_KNOWN_SECRET:
            forms.add(value)
            forms.add(orjson.dumps(value).decode()[1:-1])
    if not forms:
        return None
    return re.compile("|".join(re.escape(v) for v in sorted(forms, key=len, reverse=True)))


# Free-text fields a secret can reach: from the report, or from the code (--repo).
_TEXT_FIELDS = (
    "message",
    "flagged_text",
    "snippet",
    "fix_guidance",
    "rule_name",
    "enclosing",
    "suppression",
)


class Redactor:
    """Redacts one report's findings: its reported secrets everywhere, patterns in all text.

    Texts repeat across a report (a rule's message, name and guidance on every finding), so
    results are cached for the report's lifetime.
    """

    _CACHE_LIMIT = 200_000

    def __init__(self, reported_secrets: Iterable[str] = ()) -> None:
        self.known = known_secrets_pattern(reported_secrets)
        # text -> (redacted text, the values the patterns replaced in it)
        self._cache: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._found: list[str] = []  # values the patterns replaced in the current finding

    def text(self, text: str) -> str:
        cached = self._cache.get(text)
        if cached is None:
            found: list[str] = []
            done = redact_text(text, self.known, found)
            if done == text:
                done = text  # the same object: callers test `is` to skip a write
            cached = (done, tuple(found))
            if len(self._cache) < self._CACHE_LIMIT:
                self._cache[text] = cached
        if cached[1]:
            self._found.extend(cached[1])
        return cached[0]

    def finding(self, finding: Finding) -> str:
        """Redact every free-text field of `finding` in place and forget its reported secrets.
        Returns the raw record as JSON, redacted: what the store writes.

        The raw record is searched once as that JSON; only a hit pays for a walk through its
        values (and a second serialization).
        """
        self._found = []
        values = finding.__dict__
        for name in _TEXT_FIELDS:
            text = values[name]
            if text:
                done = self.text(text)
                if done is not text and done != text:  # a cache hit is an equal, other object
                    values[name] = done
        if finding.references:
            finding.references = [self.text(ref) for ref in finding.references]
        raw_json = orjson.dumps(finding.raw).decode()
        if (self.known is not None and self.known.search(raw_json)) or might_hold_secret(raw_json):
            _replace_strings(finding.raw, self.text)
            raw_json = orjson.dumps(finding.raw).decode()
        also = known_secrets_pattern(self._found) if self._found else None
        if also is not None:
            # A value a pattern found in one place (`password = "..."` in the snippet) can
            # stand alone elsewhere in the finding, with nothing around it that says secret:
            # in the message, or in the raw record's copy of a matched metavariable.
            self._everywhere(finding, also)
            raw_json = orjson.dumps(finding.raw).decode()
        if finding.secrets:
            finding.secrets = []
        return raw_json

    @staticmethod
    def _everywhere(finding: Finding, pattern: re.Pattern[str]) -> None:
        """Replace what `pattern` matches in every text of `finding`, raw record included."""
        marker = MARKER.format(kind="secret")
        values = finding.__dict__
        for name in _TEXT_FIELDS:
            text = values[name]
            if text and pattern.search(text):
                values[name] = pattern.sub(marker, text)
        finding.references = [pattern.sub(marker, ref) for ref in finding.references]
        _replace_strings(finding.raw, lambda text: pattern.sub(marker, text))


def _replace_strings(container: dict[str, Any] | list[Any], redact: Callable[[str], str]) -> None:
    """Replace each string inside a dict/list (at any depth) by `redact(string)`, writing only
    those that change.

    Iterative: a report can nest values 1,000 levels deep, past Python's recursion limit.
    """
    stack: list[dict[str, Any] | list[Any]] = [container]
    while stack:
        current = stack.pop()
        items = current.items() if isinstance(current, dict) else enumerate(current)
        for key, item in list(items):
            if isinstance(item, str):
                done = redact(item)
                if done is not item and done != item:
                    current[key] = done  # type: ignore[index]
            elif isinstance(item, (dict, list)):
                stack.append(item)
