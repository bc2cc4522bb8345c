"""What every page shares: settings, the store, the review desk, the vector index (opened
once per server process), the operations the entry script installed, the logged-in user, and
the role check each page starts with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from core.settings import Settings, load_settings
from labeling_ui.operations import WorkbenchOperations
from labeling_ui.review_desk import ReviewDesk
from store import FindingsStore
from store.accounts import allowed
from vector_memory.embedder import Embedder


@st.cache_resource(show_spinner=False)
def _settings() -> Settings:
    return load_settings()


def settings() -> Settings:
    return _settings()


@st.cache_resource(show_spinner=False)
def _store(url: str) -> FindingsStore:
    return FindingsStore(url)


def store() -> FindingsStore:
    return _store(settings().database_url)


def desk() -> ReviewDesk:
    return ReviewDesk(store().engine, settings().labels_required)


@st.cache_resource(show_spinner=False)
def _index(path: str, url: str | None) -> Any:
    """The vector index, or the reason it cannot be opened (shown, not raised: the queue and
    labelling work without it)."""
    # deferred: qdrant-client takes ~1 s to import
    from vector_memory.index import (
        FindingIndex,
        open_client,
    )

    s = settings()
    try:
        client = open_client(s.qdrant_path, s.qdrant_url, s.qdrant_api_key)
        if url is None and not client.get_collections().collections:
            client.close()
            return "the vector index is empty: run `flywheel embed`"
        # Imported only now: the model's libraries take seconds to import.

        embedder = Embedder(
            s.embedding_model,
            backend=s.embedding_backend,
            max_tokens=s.embedding_max_tokens,
            cache_dir=s.onnx_cache,
        )
        return FindingIndex(client, embedder)
    except Exception as exc:  # VectorIndexError, EmbeddingError: shown on the page
        return str(exc)


def index() -> Any:
    s = settings()
    return _index(str(s.qdrant_path), s.qdrant_url)


_operations: Callable[[Settings], WorkbenchOperations] | None = None


def install_operations(factory: Callable[[Settings], WorkbenchOperations]) -> None:
    """Called by the entry script on every run, before any page."""
    global _operations
    _operations = factory


@st.cache_resource(show_spinner=False)
def _built_operations(_factory: Callable[[Settings], WorkbenchOperations]) -> WorkbenchOperations:
    return _factory(settings())


def operations() -> WorkbenchOperations:
    if _operations is None:
        raise RuntimeError(
            "no workbench operations installed: start the workbench with `flywheel ui` "
            "(streamlit run orchestration/workbench_app.py)"
        )
    return _built_operations(_operations)


_pages: dict[str, st.Page] = {}


def register_pages(pages: dict[str, st.Page]) -> None:
    """The pages this run's navigation holds, by URL path (`labeling_ui.app` calls this)."""
    _pages.clear()
    _pages.update(pages)


def switch_to(url_path: str) -> None:
    """Open another page of the workbench (by its URL path, e.g. "finding")."""
    st.switch_page(_pages[url_path])


def user() -> dict[str, str] | None:
    return st.session_state.get("user")


def require(capability: str) -> dict[str, str]:
    """The logged-in user if their role allows `capability`; else the page stops here."""
    current = user()
    if current is None:
        st.warning("Log in first.")
        st.stop()
    if not allowed(current["role"], capability):
        st.error(f"Your role ({current['role']}) cannot open this page.")
        st.stop()
    return current


def code_html(code: str, language: str | None, first_line: int, flagged: range) -> str:
    """Syntax-highlighted code with line numbers and the flagged lines highlighted."""
    try:  # stripnl=False: leading blank lines must stay, or every line number shifts
        lexer = get_lexer_by_name(language or "text", stripnl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False)
    lines = [n - first_line + 1 for n in flagged if n >= first_line]
    formatter = HtmlFormatter(
        linenos="table",
        linenostart=first_line,
        hl_lines=lines,
        noclasses=True,
        style="friendly",
    )
    return (
        '<div class="flywheel-code" style="overflow-x:auto;font-size:0.85rem">'
        + highlight(code, lexer, formatter)
        + "</div>"
    )


def finding_code_html(record: Any) -> str:
    """A finding's snippet with its flagged lines highlighted."""
    first = record.start_line or 0
    flagged = range(first, (record.end_line or first) + 1)
    return code_html(record.snippet, record.language, record.snippet_start_line or 1, flagged)
