"""Embedding text and the two embedding backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest

from core.finding import Finding
from ingest.parsers import parse_document
from vector_memory.embedder import Embedder, EmbeddingError
from vector_memory.text import DEFAULT_BUDGET, embedding_text, fold

REPORTS = Path(__file__).resolve().parents[2] / "examples" / "reports"


def finding(**overrides) -> Finding:
    values = dict(
        tool="semgrep",
        rule_id="flywheel.python.sql-injection",
        message="SQL   built\tfrom request data.",
        kind="sast",
        severity="high",
        cwe_ids=[89],
        snippet="\n".join(f"    line_{i} = value  # {i}" for i in range(1, 60)),
        snippet_start_line=100,
        start_line=130,
    )
    values.update(overrides)
    return Finding(**values)


def test_text_holds_rule_cwe_message_and_the_code_nearest_the_finding() -> None:
    text = embedding_text(finding())
    head, code = text.split("\n", 1)
    assert head.startswith("sql-injection | ") and "SQL Injection" in head
    assert "SQL built from request data." in head  # whitespace folded
    assert "line_31 = value # 31" in code  # the flagged line (130 - 100 + 1)
    assert "line_1 " not in code  # far lines dropped first
    assert len(text) <= DEFAULT_BUDGET


def test_text_without_snippet_uses_flagged_text_and_folds_blank_lines() -> None:
    text = embedding_text(finding(snippet=None, flagged_text="x  =  1\n\n\n  y = 2"))
    assert text.endswith("x = 1\ny = 2")
    assert fold("  a \t b\n\n c ") == "a b\nc"


def test_onnx_and_torch_give_the_same_vectors(
    fp32_embedder: Embedder, torch_embedder: Embedder
) -> None:
    texts = ["cursor.execute('SELECT ' + q)", "subprocess.run(cmd, shell=True)", "x" * 2000, "a"]
    onnx, reference = fp32_embedder.embed(texts), torch_embedder.embed(texts)
    assert fp32_embedder.backend == "onnx" and torch_embedder.backend == "torch"
    assert onnx.shape == (4, 384) and onnx.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert float((onnx * reference).sum(axis=1).min()) > 0.9999
    assert fp32_embedder.embed([]).shape == (0, 384)
    assert fp32_embedder.name == "all-MiniLM-L6-v2@128"


def test_int8_vectors_stay_near_the_models_and_keep_the_neighbours(
    embedder: Embedder, torch_embedder: Embedder
) -> None:
    """The default backend's quantized vectors against the model's own, on the embedding texts
    of every finding in the sample service's real reports."""
    texts = sorted(
        {
            embedding_text(f)
            for name in ("semgrep.sarif", "bandit.json", "gitleaks.json", "pip-audit.json")
            for run in parse_document(orjson.loads((REPORTS / name).read_bytes())).runs
            for f in run.findings
        }
    )
    assert len(texts) >= 40
    quantized, reference = embedder.embed(texts), torch_embedder.embed(texts)
    assert embedder.backend == "onnx-int8" and embedder.name == "all-MiniLM-L6-v2@128/int8"
    np.testing.assert_allclose(np.linalg.norm(quantized, axis=1), 1.0, atol=1e-5)
    cosine = (quantized * reference).sum(axis=1)
    # Measured here (AVX-512 VNNI): min 0.990, mean 0.994, 95% of the 5 nearest kept.
    assert float(cosine.min()) > 0.97 and float(cosine.mean()) > 0.985

    def neighbours(vectors: np.ndarray) -> np.ndarray:
        scores = vectors @ vectors.T
        np.fill_diagonal(scores, -1.0)
        return np.argsort(-scores, axis=1)[:, :5]

    pairs = zip(neighbours(quantized), neighbours(reference), strict=True)
    kept = [len(set(a) & set(b)) / 5 for a, b in pairs]
    assert float(np.mean(kept)) >= 0.85


def test_a_texts_vector_does_not_depend_on_what_it_is_embedded_with(embedder: Embedder) -> None:
    """Dynamic int8 quantization scales activations per model call: the default backend embeds
    one text per call so the same text always gets the same vector."""
    text = "sql-injection | CWE-89 | cursor.execute('SELECT * FROM t WHERE id=' + uid)"
    others = [f"weak-hash | CWE-328 | hashlib.md5(secret_{i}).hexdigest() * {i}" for i in range(20)]
    alone = embedder.embed([text])[0]
    among = embedder.embed([*others, text, *others])[20]
    assert np.array_equal(alone, among)


def test_similar_code_is_nearer_than_unrelated_code(embedder: Embedder) -> None:
    a, b, c = embedder.embed(
        [
            "SQL injection | cursor.execute('SELECT * FROM users WHERE id=' + uid)",
            "SQL injection | db.execute('DELETE FROM orders WHERE id=' + order_id)",
            "Weak hash | hashlib.md5(password.encode()).hexdigest()",
        ]
    )
    assert a @ b > a @ c


def test_unknown_model_is_named(tmp_path) -> None:
    with pytest.raises(EmbeddingError, match="no-such-model"):
        Embedder(str(tmp_path / "no-such-model"))


def test_two_threads_give_the_same_vectors_also_in_a_forked_child(onnx_cache) -> None:
    """The ONNX runner's calls run on a thread per core (tests run one thread per worker, so
    two are asked for here). Its pool does not survive fork: a child that reuses the parent's
    embedder (a forking executor) must start its own threads, not wait on gone ones."""
    import os
    import select
    import signal

    texts = [f"subprocess.run(cmd_{i}, shell=True)" for i in range(6)]
    threaded = Embedder(cache_dir=onnx_cache, threads=2)
    expected = Embedder(cache_dir=onnx_cache, threads=1).embed(texts)
    assert threaded._onnx is not None and threaded._onnx.workers == 2
    assert np.array_equal(threaded.embed(texts), expected)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: embed, report, exit without running pytest's teardown
        try:
            same = np.array_equal(threaded.embed(texts), expected)
            os.write(write, b"1" if same else b"0")
        finally:
            os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 60)
    if not ready:  # waiting on the parent's threads: the failure this test guards against
        os.kill(pid, signal.SIGKILL)
    answer = os.read(read, 1) if ready else b"hung"
    os.waitpid(pid, 0)
    assert answer == b"1"
