"""Benchmark (issue 5): build, query, peer, scale, incremental, profile and ONNX in one table.

Usage::

    KALLKOLL_CACHE=... .venv/bin/python scripts/benchmark.py [--subset-paragraphs 10000] [--full]
                                                            [--out docs/benchmark.md] [--no-peer] [--no-app]
                                                            [--no-onnx] [--questions 200]

What it does, in this order (everything in temporary directories, nothing in the repository
but the ``--out`` file):

1. Build: the first documents of the Riksdagen corpus whose paragraphs add up to about
   ``--subset-paragraphs`` are written to a temporary ``.jsonl`` and built in a child process
   (``index.build.build_index``), so the peak RSS is the build's own (``os.wait4``). The bare
   encoder then embeds the same chunk texts (read back from the built index) with the same
   model, prompt and batch size, and the build's throughput is given as a share of it.
2. Query: warm latency (p50/p95/p99) of ``Engine.ask`` over ``--questions`` questions on the
   subset index (half are question sentences taken from the subset's own interpellations, half
   SweQUAD-MC questions, which the subset cannot answer), split into embedding (timed
   separately with ``retriever.embed_query``), retrieval without embedding, and answer; the seed
   gold questions against the seed index; the cold ``python -m rag ask`` process (median of 3);
   the resident memory of the app (``python -m ui``, process tree) and of a bare ``Engine``.
3. Peer: the same chunk texts and model the plain LangChain way (``HuggingFaceEmbeddings`` +
   ``FAISS.from_documents`` + ``similarity_search``), in a child process.
4. Scale: the index type the size chooses, recall@10 of HNSW (``index.store.make_faiss_index``
   with the threshold forced to 0) against exact search over the subset's vectors, search
   latency, size on disk and in memory.
5. Incremental: one document of the subset is edited and the index rebuilt.
6. Profile: one warm question under cProfile; and whether sentence-transformers' ONNX backend
   works here (if not, a hand-made ONNX export run by ONNX Runtime, fp32 and int8, is measured
   instead: encode speed and seed gold recall@5). The question encoders (the product's ONNX
   Runtime default against torch) are compared in the Query section.

``--full`` uses the whole corpus (about 111,000 paragraphs; the build alone takes about 26 minutes
on two cores, the whole run about 40).

The peer packages and optimum are NOT dependencies of the project (onnx and onnxruntime are: the
product embeds questions with ONNX Runtime). Install them for the benchmark only, into folders
outside the virtualenv (the versions below resolve against the project's pins
and pull no other torch)::

    .venv/bin/pip install --no-deps --target /tmp/peer langchain-community==0.4.2 \\
        langchain-huggingface==1.2.3 langchain-classic==1.0.8 langchain-text-splitters==1.1.3 \\
        aiohttp==3.14.5 aiohappyeyeballs==2.7.1 aiosignal==1.4.0 attrs==26.1.0 frozenlist==1.8.0 \\
        multidict==7.2.1 propcache==0.5.4 yarl==1.25.1 httpx-sse==0.4.3 pydantic-settings==2.16.3 \\
        python-dotenv==1.2.4 SQLAlchemy==2.1.9
    .venv/bin/pip install --no-deps --target /tmp/onnxpkgs optimum==2.1.0 optimum-onnx==0.1.0

(``--no-deps`` because langchain-huggingface asks for huggingface-hub<2 and optimum-onnx for
transformers<4.58, while the project pins huggingface-hub 2.4.0 and transformers 5.23.0.)
The folders are appended to ``sys.path`` of the child processes only (``--peer-path``,
``--onnx-path``, or ``KALLKOLL_PEER_PATH`` / ``KALLKOLL_ONNX_PATH``); when the packages are not
importable the row says so and the benchmark goes on.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CORPUS = Path(os.environ.get("KALLKOLL_BENCH_CORPUS", "/work/shared/corpora/riksdagen-interpellations.jsonl.gz"))
SWEQUAD = Path("/work/shared/eval/swequad-mc")
SEEDS_GOLD = REPO / "tests" / "gold" / "seeds_gold.jsonl"
SEEDS = REPO / "seeds"
PEER_PATH = os.environ.get("KALLKOLL_PEER_PATH", "/tmp/peer")
ONNX_PATH = os.environ.get("KALLKOLL_ONNX_PATH", "/tmp/onnxpkgs")
FULL_PARAGRAPHS = 111_000
RESULT_TAG = "BENCHJSON "


# ---------------------------------------------------------------- the table

@dataclass
class Row:
    section: str
    metric: str
    value: str
    note: str = ""
    number: float | None = None  # the raw value, for tests and ratios


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)  # longer texts (profile) for the markdown

    def add(self, section: str, metric: str, value, note: str = "", fmt: str = "{:.1f}") -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.rows.append(Row(section, metric, fmt.format(value), note, float(value)))
        else:
            self.rows.append(Row(section, metric, str(value), note, None))

    def get(self, section: str, metric: str) -> Row | None:
        return next((r for r in self.rows if r.section == section and r.metric == metric), None)

    def text(self) -> str:
        head = ("Section", "Metric", "Value", "Note")
        cells = [head] + [(r.section, r.metric, r.value, r.note) for r in self.rows]
        widths = [max(len(c[i]) for c in cells) for i in range(3)]
        lines = []
        for i, c in enumerate(cells):
            lines.append("  ".join(c[j].ljust(widths[j]) for j in range(3)) + "  " + c[3])
            if i == 0:
                lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 4)
        return "\n".join(lines)

    def markdown(self) -> str:
        esc = lambda s: s.replace("|", "\\|")  # noqa: E731
        lines = ["| Section | Metric | Value | Note |", "|---|---|---:|---|"]
        lines += [f"| {esc(r.section)} | {esc(r.metric)} | {esc(r.value)} | {esc(r.note)} |" for r in self.rows]
        return "\n".join(lines)


def pct(values: list[float]) -> tuple[float, float, float]:
    import numpy as np

    if not values:
        return (0.0, 0.0, 0.0)
    p = np.percentile(np.asarray(values, dtype=float), [50, 95, 99])
    return float(p[0]), float(p[1]), float(p[2])


def fmt_pct(values: list[float]) -> str:
    p50, p95, p99 = pct(values)
    return f"{p50:.1f} / {p95:.1f} / {p99:.1f}"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data

def corpus_paragraphs(text: str) -> int:
    """Paragraphs as the corpus defines them: blocks separated by a blank line."""
    return sum(1 for p in re.split(r"\n\s*\n", text) if p.strip())


def make_subset(corpus: Path, target_paragraphs: int | None, out: Path) -> tuple[int, int]:
    """The first documents whose paragraphs add up to about ``target_paragraphs`` (None: all)."""
    docs = paragraphs = 0
    with gzip.open(corpus, "rt", encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in src:
            if not line.strip():
                continue
            record = json.loads(line)
            n = corpus_paragraphs(record.get("text", ""))
            if target_paragraphs is not None and paragraphs and \
                    abs(paragraphs + n - target_paragraphs) > abs(paragraphs - target_paragraphs):
                break
            dst.write(json.dumps(record, ensure_ascii=False) + "\n")
            docs += 1
            paragraphs += n
            if target_paragraphs is not None and paragraphs >= target_paragraphs:
                break
    return docs, paragraphs


def subset_questions(subset: Path, n: int) -> list[str]:
    """Question sentences the interpellations themselves ask (on topic for the subset), one per document."""
    records = [json.loads(line) for line in subset.open(encoding="utf-8") if line.strip()]
    found: list[str] = []
    for record in records:
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(record.get("text", "").split()))
        for s in sentences:
            if s.endswith("?") and 40 <= len(s) <= 220 and s[0].isupper():
                found.append(s)
                break
    if len(found) > n:  # spread over the subset
        step = len(found) / n
        found = [found[int(i * step)] for i in range(n)]
    return found


def swequad_questions(n: int) -> list[str]:
    path = SWEQUAD / "questions-train.jsonl"
    if not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line)["question"])
            if len(out) >= n:
                break
    return out


def gold_questions() -> list[str]:
    return [json.loads(line)["question"] for line in SEEDS_GOLD.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def chunk_texts(index_dir: Path) -> list[str]:
    """The texts the build embedded (``embed_text``), in row order, read back from the index."""
    from index.store import open_index

    reader = open_index(index_dir)
    return [reader.chunk(ref.row).embed_text for ref in reader.chunk_refs]


def du_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


# ---------------------------------------------------------------- child processes

@dataclass
class ChildResult:
    rc: int
    stdout: str
    stderr: str
    wall: float
    maxrss_mb: float
    cpu: float = 0.0  # user + system seconds

    @property
    def peak_mb(self) -> float:
        """The child's own peak (VmHWM it reported); ``maxrss_mb`` from os.wait4 includes the parent's at fork."""
        try:
            return float(self.result().get("peak_rss_mb", self.maxrss_mb))
        except RuntimeError:
            return self.maxrss_mb

    def result(self) -> dict:
        for line in reversed(self.stdout.splitlines()):
            if line.startswith(RESULT_TAG):
                return json.loads(line[len(RESULT_TAG):])
        raise RuntimeError(f"child failed (exit {self.rc}): {self.stderr.strip()[-2000:]}")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_child(cmd: list[str]) -> ChildResult:
    """Run ``cmd`` to the end; peak RSS is this child's own (``os.wait4``), not the maximum of all children."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO, env=child_env())
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildResult(proc.returncode, out.read().decode("utf-8", "replace"),
                           err.read().decode("utf-8", "replace"), wall, usage.ru_maxrss / 1024,
                           usage.ru_utime + usage.ru_stime)


def run_self(mode: str, **kwargs) -> ChildResult:
    return run_child([sys.executable, str(Path(__file__).resolve()), "--child", mode, json.dumps(kwargs)])


def emit(result: dict) -> None:
    from index.resources import peak_rss_mb

    result.setdefault("peak_rss_mb", peak_rss_mb())  # the child's own: os.wait4's counts the parent's too
    print(RESULT_TAG + json.dumps(result), flush=True)


def child_build(paths: list[str], index_dir: str) -> None:
    from index.build import build_index

    s = build_index([Path(p) for p in paths], Path(index_dir), show_progress=False)
    emit({"documents": s.documents, "paragraphs": s.paragraphs, "chunks": s.chunks,
          "embedded_chunks": s.embedded_chunks, "seconds": s.seconds, "embed_seconds": s.embed_seconds,
          "peak_rss_mb": s.peak_rss_mb, "index_type": s.index_type, "new": len(s.new),
          "changed": len(s.changed), "unchanged": s.unchanged, "skipped": len(s.skipped)})


def child_engine_rss(index_dir: str, question: str) -> None:
    import psutil

    from rag.engine import Engine

    engine = Engine(index_dir)
    engine.ask(question)
    emit({"rss_mb": psutil.Process().memory_info().rss / 2**20})


def child_peer(index_dir: str, questions: list[str], peer_path: str) -> None:
    """The plain LangChain way over the same chunk texts and model."""
    if peer_path:
        sys.path.append(peer_path)
    try:
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
    except Exception as exc:  # not installed: the caller prints the install line
        emit({"error": f"{type(exc).__name__}: {exc}"})
        return
    import psutil
    import torch

    from index.embedder import BATCH_SIZE
    from index.model_convert import PASSAGE_PROMPT, QUERY_PROMPT, ensure_bundled_model

    torch.set_num_threads(max(1, os.cpu_count() or 1))  # the same as index.embedder
    texts = chunk_texts(Path(index_dir))
    docs = [Document(page_content=t, metadata={"row": i}) for i, t in enumerate(texts)]
    out_dir = Path(tempfile.mkdtemp(prefix="kk-peer-"))
    try:
        t0 = time.perf_counter()
        emb = HuggingFaceEmbeddings(
            model_name=str(ensure_bundled_model()), model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True, "prompt": PASSAGE_PROMPT, "batch_size": BATCH_SIZE},
            query_encode_kwargs={"normalize_embeddings": True, "prompt": QUERY_PROMPT})
        t_load = time.perf_counter() - t0
        t1 = time.perf_counter()
        store = FAISS.from_documents(docs, emb)
        t_index = time.perf_counter() - t1
        store.save_local(str(out_dir))
        build = time.perf_counter() - t0
        for q in questions[:5]:  # warm-up, as for ours
            store.similarity_search(q, k=10)
        latencies = []
        for q in questions:
            t = time.perf_counter()
            store.similarity_search(q, k=10)
            latencies.append((time.perf_counter() - t) * 1000)
        emit({"build_seconds": build, "load_seconds": t_load, "from_documents_seconds": t_index,
              "chunks": len(texts), "latencies_ms": latencies, "disk_mb": du_mb(out_dir),
              "rss_mb": psutil.Process().memory_info().rss / 2**20})
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


class OrtEncoderModel:
    """Just enough of SentenceTransformer for index.embedder.Encoder: ONNX Runtime + mean pooling."""

    def __init__(self, onnx_file: str, st_model) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, os.cpu_count() or 1)
        self.session = ort.InferenceSession(onnx_file, opts, providers=["CPUExecutionProvider"])
        self.tokenizer = st_model.tokenizer
        self.max_seq_length = st_model.max_seq_length
        self._dim = st_model.get_embedding_dimension()
        self.prompts = {}

    def get_embedding_dimension(self) -> int:
        return self._dim

    def encode(self, texts, prompt=None, batch_size=32, normalize_embeddings=True, **_ignored):
        import numpy as np

        texts = [(prompt or "") + t for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            block = order[start:start + batch_size]
            enc = self.tokenizer([texts[i] for i in block], padding=True, truncation=True,
                                 max_length=self.max_seq_length, return_tensors="np")
            ids = enc["input_ids"].astype(np.int64)
            mask = enc["attention_mask"].astype(np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            m = mask[..., None].astype(np.float32)
            vec = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            if normalize_embeddings:
                vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
            out[block] = vec
        return out


def child_onnx(onnx_path: str, texts: list[str], seed_index: str) -> None:
    """Is sentence-transformers' ONNX backend usable here? If not, a hand export through ONNX Runtime."""
    if onnx_path:
        sys.path.append(onnx_path)
    import numpy as np

    result: dict = {}
    try:
        import onnxruntime  # noqa: F401
    except Exception as exc:
        emit({"st_backend": f"onnxruntime not importable ({type(exc).__name__}: {exc})"})
        return
    from index.embedder import BATCH_SIZE, load_encoder
    from index.model_convert import PASSAGE_PROMPT, ensure_bundled_model

    work = Path(tempfile.mkdtemp(prefix="kk-onnx-"))
    try:
        model_copy = work / "model"  # an export writes into the folder: never into the shared cache
        shutil.copytree(ensure_bundled_model(), model_copy)
        try:
            from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

            st = SentenceTransformer(str(model_copy), backend="onnx", device="cpu", local_files_only=True)
            export_dynamic_quantized_onnx_model(st, "avx2", str(model_copy))
            result["st_backend"] = "works"
        except Exception as exc:
            msg = " ".join(str(exc).split())[:300]
            result["st_backend"] = f"fails: {type(exc).__name__}: {msg}"

        # Hand-made export of the same weights (torch.onnx, TorchScript exporter), run by ONNX Runtime.
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic

        encoder = load_encoder()
        st_model = encoder.model
        bert = st_model[0].auto_model

        class Wrapped(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask):
                return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

        sample = st_model.tokenizer(["passage: exempel på en mening", "passage: en till"], padding=True,
                                    return_tensors="pt")
        fp32, int8 = work / "e5.onnx", work / "e5-int8.onnx"
        t = time.perf_counter()
        axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                "last_hidden_state": {0: "batch", 1: "seq"}}
        torch.onnx.export(Wrapped(bert).eval(), (sample["input_ids"], sample["attention_mask"]), str(fp32),
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        result["export_seconds"] = time.perf_counter() - t
        result["int8_mb"] = int8.stat().st_size / 2**20

        def speed(model) -> tuple[float, np.ndarray]:
            model.encode(texts[:32], prompt=PASSAGE_PROMPT, batch_size=BATCH_SIZE, normalize_embeddings=True)
            t0 = time.perf_counter()
            v = model.encode(texts, prompt=PASSAGE_PROMPT, batch_size=BATCH_SIZE, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)
            return len(texts) / (time.perf_counter() - t0), np.asarray(v, dtype=np.float32)

        result["texts"] = len(texts)
        result["torch_cps"], v_torch = speed(st_model)
        ort_fp32 = OrtEncoderModel(str(fp32), st_model)
        result["fp32_cps"], v_fp32 = speed(ort_fp32)
        ort_int8 = OrtEncoderModel(str(int8), st_model)
        result["int8_cps"], v_int8 = speed(ort_int8)
        result["fp32_cos"] = float(np.mean(np.sum(v_torch * v_fp32, axis=1)))
        result["int8_cos"] = float(np.mean(np.sum(v_torch * v_int8, axis=1)))

        # Seed gold recall@5: torch (the product) against the int8 model swapped into the encoder cache.
        from index import embedder, settings
        from index.build import build_index
        from rag.engine import Engine
        from rag.evaluate import evaluate_gold

        result["torch_recall5"] = evaluate_gold(Engine(seed_index), SEEDS_GOLD)["recall@5"]
        with embedder._lock:
            embedder._cache[settings.DEFAULT_MODEL] = embedder.Encoder(
                model_id=encoder.model_id, dim=encoder.dim, max_tokens=encoder.max_tokens,
                query_prompt=encoder.query_prompt, passage_prompt=encoder.passage_prompt, model=ort_int8,
                counter=encoder.counter)
        onnx_index = work / "seed-index-int8"
        os.environ["KALLKOLL_PASSAGE_BACKEND"] = "torch"  # this child's builds take the int8 encoder above
        build_index([SEEDS], onnx_index, show_progress=False)
        result["int8_recall5"] = evaluate_gold(Engine(onnx_index), SEEDS_GOLD)["recall@5"]
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    emit(result)


CHILDREN = {"build": child_build, "engine-rss": child_engine_rss, "peer": child_peer, "onnx": child_onnx}


# ---------------------------------------------------------------- measurements

def measure_build(table: Table, subset: Path, index_dir: Path) -> dict:
    log(f"building {subset.name} into {index_dir} (child process) ...")
    child = run_self("build", paths=[str(subset)], index_dir=str(index_dir))
    b = child.result()
    b["wall"], b["maxrss_mb"] = child.wall, child.peak_mb
    s = "Build"
    table.add(s, "documents", b["documents"], fmt="{:.0f}")
    table.add(s, "paragraphs", b["paragraphs"], "as split by the index", fmt="{:.0f}")
    table.add(s, "chunks", b["chunks"], fmt="{:.0f}")
    table.add(s, "build time (s)", b["seconds"], f"inside build_index, model load included; process wall "
              f"{child.wall:.1f} s, CPU {child.cpu:.0f} s")
    table.add(s, "embedding time (s)", b["embed_seconds"])
    table.add(s, "build throughput (chunks/s)", b["chunks"] / b["seconds"], "chunks / build time")
    table.add(s, "embedding-stage throughput (chunks/s)", b["embedded_chunks"] / b["embed_seconds"])
    table.add(s, "peak RSS (MB)", child.peak_mb, "the build process's own (VmHWM)", fmt="{:.0f}")
    table.add(s, "index type", b["index_type"])
    return b


def measure_bare_encoder(table: Table, texts: list[str], build: dict, sample: int | None = None) -> float:
    """The encoder alone on the build's chunk texts; ``sample`` strides through them evenly so a full-corpus
    run does not spend a second hour re-encoding everything (the length mix, hence chunks/s, is kept).

    Two encoders: sentence-transformers' ``model.encode`` on torch (the issue's "bare encoder"), and the
    build's own passage encoder called alone (OpenVINO by default), whose ratio is what the pipeline
    around the encoder costs."""
    from index.embedder import BATCH_SIZE, load_encoder, load_passage_encoder

    encoder = load_encoder()
    if sample and len(texts) > sample:
        step = len(texts) / sample
        texts = [texts[int(i * step)] for i in range(sample)]
    log(f"bare encoder on {len(texts)} chunk texts ...")
    encoder.model.encode(texts[:BATCH_SIZE], prompt=encoder.passage_prompt, batch_size=BATCH_SIZE,
                         normalize_embeddings=True, show_progress_bar=False)
    cpu0 = _cpu_self()
    t = time.perf_counter()
    encoder.model.encode(texts, prompt=encoder.passage_prompt, batch_size=BATCH_SIZE, normalize_embeddings=True,
                         convert_to_numpy=True, show_progress_bar=False)
    seconds = time.perf_counter() - t
    cpu = _cpu_self() - cpu0
    cps = len(texts) / seconds
    s = "Build"
    note = f"{len(texts)} texts{' (an even sample)' if sample and len(texts) == sample else ''}"
    table.add(s, "bare encoder, torch (chunks/s)", cps, f"sentence-transformers model.encode alone, same texts, "
              f"batch {BATCH_SIZE}: {note}, {seconds:.1f} s, CPU {cpu:.0f} s")
    table.add(s, "build / bare torch encoder", (build["chunks"] / build["seconds"]) / cps, "goal >= 0.90",
              fmt="{:.2f}")

    own = load_passage_encoder()
    if own.backend != "torch":
        own.encode_passages(texts[:BATCH_SIZE])
        t = time.perf_counter()
        own.encode_passages(texts)
        own_cps = len(texts) / (time.perf_counter() - t)
        table.add(s, f"bare encoder, {own.backend} (chunks/s)", own_cps,
                  f"the build's passage encoder alone (encode_passages), same texts; {own_cps / cps:.2f}x torch")
    else:
        own_cps = cps
    table.add(s, "build / bare build encoder", (build["chunks"] / build["seconds"]) / own_cps,
              "what everything around the encoder costs", fmt="{:.2f}")
    table.add(s, "embedding stage / bare build encoder",
              (build["embedded_chunks"] / build["embed_seconds"]) / own_cps, fmt="{:.2f}")
    return cps


def _cpu_self() -> float:
    import resource

    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


@dataclass
class QueryStats:
    embed: list[float] = field(default_factory=list)
    search: list[float] = field(default_factory=list)
    retrieve: list[float] = field(default_factory=list)
    answer: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    abstained: int = 0
    vectors: list = field(default_factory=list)


def warm_words(table: Table, section: str, engine) -> None:
    """What the app does when it starts (Engine.warm_word_vectors), waited for: English questions' words."""
    words_before = len(engine.word_vectors)
    t = time.perf_counter()
    engine.warm_word_vectors(wait=True)
    table.add(section, "word-vector warm-up (s)", time.perf_counter() - t,
              f"{len(engine.word_vectors) - words_before} words of the index known before the questions (the app "
              "does this in the background at start; vectors kept on disk, so a second start only reads them)")


def measure_queries(engine, questions: list[str], warmup: int = 5) -> QueryStats:
    retriever = engine.retriever
    for q in questions[:warmup]:
        engine.ask(q)
    st = QueryStats()
    for q in questions:
        t = time.perf_counter()
        v = retriever.embed_query(q)
        st.embed.append((time.perf_counter() - t) * 1000)
        st.vectors.append(v)
        t = time.perf_counter()
        retriever.search(q, k=8, query_vector=v)
        st.search.append((time.perf_counter() - t) * 1000)
        a = engine.ask(q)
        st.retrieve.append(a.timings_ms.get("retrieve", 0.0))
        st.answer.append(a.timings_ms.get("answer", 0.0))
        st.total.append(a.timings_ms.get("total", 0.0))
        st.abstained += bool(a.abstained)
    return st


def report_queries(table: Table, section: str, st: QueryStats, detail: bool = True) -> None:
    n = len(st.total)
    if detail:
        table.add(section, "embedding p50/p95/p99 (ms)", fmt_pct(st.embed), "retriever.embed_query, timed alone")
        table.add(section, "retrieval w/o embedding p50/p95/p99 (ms)", fmt_pct(st.search),
                  "retriever.search with the vector given: FAISS + BM25 + fusion")
        table.add(section, "retrieve stage p50/p95/p99 (ms)", fmt_pct(st.retrieve),
                  "Answer.timings_ms['retrieve'] (embedding included)")
        table.add(section, "answer stage p50/p95/p99 (ms)", fmt_pct(st.answer), "Answer.timings_ms['answer']")
    table.add(section, "total p50/p95/p99 (ms)", fmt_pct(st.total), f"{n} questions, warm; "
              f"{st.abstained} abstained")
    table.rows[-1].number = pct(st.total)[0]


def measure_query_backends(table: Table, questions: list[str]) -> None:
    """The two question encoders side by side: the product's ONNX Runtime default and the torch path."""
    import numpy as np

    from index.embedder import load_encoder, load_query_encoder

    fast, slow = load_query_encoder(), load_encoder()
    timings: dict[str, list[float]] = {"onnx": [], "torch": []}
    vectors: dict[str, list] = {"onnx": [], "torch": []}
    for name, enc in (("onnx", fast), ("torch", slow)):
        enc.encode_queries(questions[:5])
        for q in questions:
            t = time.perf_counter()
            vectors[name].append(enc.encode_queries([q])[0])
            timings[name].append((time.perf_counter() - t) * 1000)
    cos = (np.asarray(vectors["onnx"]) * np.asarray(vectors["torch"])).sum(axis=1)
    table.add("Query", "question embedding ONNX / torch p50 (ms)",
              f"{pct(timings['onnx'])[0]:.1f} / {pct(timings['torch'])[0]:.1f}",
              f"backend in use: {fast.backend}; {len(questions)} questions one at a time; min cosine between "
              f"the two {cos.min():.6f} (KALLKOLL_QUERY_BACKEND=torch selects torch)")


def measure_cold(table: Table, index_dir: Path, question: str, runs: int) -> None:
    walls = []
    for _ in range(runs):
        child = run_child([sys.executable, "-m", "rag", "ask", "--index-dir", str(index_dir), question])
        if child.rc != 0:
            table.add("Query", "cold `python -m rag ask` (s)", "failed", child.stderr.strip()[-200:])
            return
        walls.append(child.wall)
    walls.sort()
    table.add("Query", "cold `python -m rag ask` (s)", walls[len(walls) // 2],
              f"process wall, median of {runs} (subset index)", fmt="{:.2f}")


def measure_app(table: Table, index_dir: Path, timeout: float = 300.0) -> bool:
    """RSS of ``python -m ui`` serving the subset index, once it answers HTTP. False when it never did."""
    from ui.app_process import AppDidNotStart, start_app

    work = Path(tempfile.mkdtemp(prefix="kk-app-"))
    env = child_env()
    env["KALLKOLL_UPLOAD_DIR"] = str(work / "uploads")
    env["KALLKOLL_FEEDBACK_LOG"] = str(work / "feedback.jsonl")
    env.pop("KALLKOLL_USER", None)
    env.pop("KALLKOLL_PASSWORD", None)
    app = start_app(index_dir, work / "app.log", env=env)
    try:
        startup = app.wait_ready(timeout)
        time.sleep(2.0)
        table.add("Query", "app RSS (MB)", app.rss_mb(), f"`python -m ui` process tree, idle after start "
                  f"({startup:.0f} s to first HTTP 200)", fmt="{:.0f}")
        return True
    except AppDidNotStart as exc:
        log(f"app did not start: {' '.join(str(exc).split())[:300]}")
        return False
    finally:
        app.stop()
        shutil.rmtree(work, ignore_errors=True)


def measure_peer(table: Table, index_dir: Path, questions: list[str], build: dict, ours: QueryStats,
                 peer_path: str) -> None:
    log("peer (LangChain HuggingFaceEmbeddings + FAISS.from_documents) ...")
    child = run_self("peer", index_dir=str(index_dir), questions=questions, peer_path=peer_path)
    try:
        p = child.result()
    except RuntimeError as exc:
        table.add("Peer", "LangChain peer", "failed", str(exc)[-300:])
        return
    if "error" in p:
        table.add("Peer", "LangChain peer", "skipped",
                  f"not importable ({p['error']}); install: see the docstring of scripts/benchmark.py")
        return
    s = "Peer"
    table.add(s, "peer build (s)", p["build_seconds"], f"model load {p['load_seconds']:.1f} s + "
              f"FAISS.from_documents {p['from_documents_seconds']:.1f} s + save_local; same {p['chunks']} chunk texts")
    table.add(s, "build time ours / peer", build["seconds"] / p["build_seconds"],
              "ours also parses, chunks and writes SQLite; < 1 = ours faster", fmt="{:.2f}")
    table.add(s, "peer similarity_search p50/p95/p99 (ms)", fmt_pct(p["latencies_ms"]), "k=10, warm")
    ours_retrieve, peer = pct(ours.retrieve)[0], pct(p["latencies_ms"])[0]
    table.add(s, "query p50 ours retrieve / peer", ours_retrieve / peer,
              "hybrid dense + BM25 vs dense only", fmt="{:.2f}")
    table.add(s, "query p50 ours total / peer", pct(ours.total)[0] / peer,
              "ours includes the verified extractive answer", fmt="{:.2f}")
    table.add(s, "peer process peak RSS (MB)", child.peak_mb, f"resident after queries {p['rss_mb']:.0f} MB",
              fmt="{:.0f}")


def measure_scale(table: Table, index_dir: Path, query_vectors, chunks: int, paragraphs: int,
                  full: bool) -> None:
    import faiss
    import numpy as np
    import psutil

    from index import store

    s = "Scale"
    reader = store.open_index(index_dir)
    n = reader.faiss_index.ntotal
    vectors = reader.faiss_index.reconstruct_n(0, n)
    table.add(s, "index type chosen", f"{type(reader.faiss_index).__name__}",
              f"{n} chunks; HNSW from {store.HNSW_THRESHOLD} chunks (KALLKOLL_HNSW_THRESHOLD)")
    if not full:
        est = chunks / max(paragraphs, 1) * FULL_PARAGRAPHS
        kind = "IndexHNSWFlat" if est >= store.HNSW_THRESHOLD else "IndexFlatIP"
        table.add(s, "full corpus (estimate)", f"~{est:,.0f} chunks -> {kind}",
                  f"{chunks / max(paragraphs, 1):.2f} chunks per paragraph x {FULL_PARAGRAPHS:,} paragraphs")
    queries = np.ascontiguousarray(np.vstack(query_vectors), dtype=np.float32)

    proc = psutil.Process()
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    saved = store.HNSW_THRESHOLD
    store.HNSW_THRESHOLD = 0
    try:
        t = time.perf_counter()
        hnsw = store.make_faiss_index(vectors)
        hnsw_build = time.perf_counter() - t
    finally:
        store.HNSW_THRESHOLD = saved
    k = 10
    _, ex = exact.search(queries, k)
    _, hn = hnsw.search(queries, k)
    recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ex, hn)]))
    table.add(s, "HNSW recall@10 vs exact", recall, f"{len(queries)} embedded questions; M={store.HNSW_M}, "
              f"efSearch={store.HNSW_EF_SEARCH}; HNSW built in {hnsw_build:.1f} s", fmt="{:.3f}")
    from scripts.hnsw_sweep import sweep

    rows = sweep(hnsw, exact, queries, (96, 256, store.HNSW_EF_SEARCH))
    table.add(s, "HNSW efSearch sweep: recall@10 / recall@100 / k=100 p50 ms",
              "; ".join(f"{r['efSearch']}: {r['recall@10']:.3f} / {r['recall@100']:.3f} / {r['p50_ms@100']:.1f}"
                        for r in rows), "scripts/hnsw_sweep.py over the same questions")

    def latency(index) -> list[float]:
        out = []
        for q in queries:
            t = time.perf_counter()
            index.search(q.reshape(1, -1), 100)
            out.append((time.perf_counter() - t) * 1000)
        return out

    table.add(s, "exact search p50/p95/p99 (ms)", fmt_pct(latency(exact)), "one question, k=100 (as retrieval)")
    table.add(s, "HNSW search p50/p95/p99 (ms)", fmt_pct(latency(hnsw)), "one question, k=100")
    from index.store import current_generation

    gen = current_generation(index_dir)
    with tempfile.TemporaryDirectory() as tmp:
        hnsw_file = Path(tmp) / "hnsw.faiss"
        faiss.write_index(hnsw, str(hnsw_file))
        hnsw_mb = hnsw_file.stat().st_size / 2**20
        mem = {}
        for name, path in (("exact", gen / "vectors.faiss"), ("hnsw", hnsw_file)):
            before = proc.memory_info().rss
            loaded = faiss.read_index(str(path))
            mem[name] = (proc.memory_info().rss - before) / 2**20
            del loaded
    table.add(s, "index on disk (MB)", du_mb(gen), f"generation dir (vectors.faiss "
              f"{(gen / 'vectors.faiss').stat().st_size / 2**20:.1f} MB + meta.sqlite "
              f"{(gen / 'meta.sqlite').stat().st_size / 2**20:.1f} MB); HNSW file would be {hnsw_mb:.1f} MB")
    table.add(s, "vectors in memory exact / HNSW (MB)", f"{mem['exact']:.1f} / {mem['hnsw']:.1f}",
              f"RSS growth on faiss.read_index; raw vectors {vectors.nbytes / 2**20:.1f} MB")


def measure_incremental(table: Table, subset: Path, index_dir: Path, build: dict) -> None:
    lines = subset.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["text"] = record["text"] + "\n\nTillägg för benchmarken: ett nytt stycke som ändrar dokumentet."
    lines[0] = json.dumps(record, ensure_ascii=False)
    subset.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log("incremental rebuild (one document changed) ...")
    child = run_self("build", paths=[str(subset)], index_dir=str(index_dir))
    r = child.result()
    s = "Incremental"
    table.add(s, "rebuild, 1 document changed (s)", r["seconds"],
              f"{r['changed']} changed, {r['unchanged']} unchanged, {r['embedded_chunks']} chunks embedded; "
              f"process wall {child.wall:.1f} s")
    table.add(s, "incremental / full build time", r["seconds"] / build["seconds"], fmt="{:.3f}")


def measure_profile(table: Table, engine, question: str) -> str:
    engine.ask(question)
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    engine.ask(question)
    prof.disable()
    wall = (time.perf_counter() - t) * 1000
    stats = pstats.Stats(prof)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
    # the project's own functions by cumulative time: the stages of one answer
    mine = []
    for (filename, line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        path = Path(filename)
        if REPO in path.parents and ".venv" not in path.parts and name not in {"ask", "<module>"}:
            mine.append((ct * 1000, f"{path.relative_to(REPO)}:{name}"))
    mine.sort(reverse=True)
    lines = [f"One warm question under cProfile ({wall:.0f} ms with profiling): {question}", "",
             "Project functions by cumulative time:"]
    lines += [f"  {ms:8.1f} ms  {where}" for ms, where in mine[:15]]
    lines += ["", "Top 25 by cumulative time (all code):", buf.getvalue().strip()]
    # the stages of one answer, by the functions that implement them (cumulative times)
    def cum(file: str, name: str) -> float:
        return sum(ct * 1000 for (f, _l, n), (_cc, _nc, _tt, ct, _c) in stats.stats.items()
                   if n == name and f.endswith(file))

    search, embed = cum("rag/retrieve.py", "search"), cum("rag/retrieve.py", "embed_query")
    stages = [("embedding (embed_query)", embed),
              ("FAISS search (_dense)", cum("rag/retrieve.py", "_dense")),
              ("BM25 (LexicalIndex.scores)", cum("rag/lexical.py", "scores")),
              # Engine.ask embeds the question once, before searching (English questions search twice)
              ("rest of retrieval (fusion, filters)", search - cum("rag/retrieve.py", "_dense")
               - cum("rag/lexical.py", "scores")),
              ("citations (make_citation)", cum("rag/citations.py", "make_citation")),
              ("abstention (abstain.decide)", cum("rag/abstain.py", "decide")),
              ("answer (extractive.compose)", cum("rag/extractive.py", "compose"))]
    for label, ms in stages:
        table.add("Profile", f"{label} (ms)", ms, f"{ms / wall * 100:.0f}% of one warm ask "
                  f"({wall:.0f} ms under cProfile)", fmt="{:.1f}")
    return "\n".join(lines)


def measure_onnx(table: Table, texts: list[str], seed_index: Path, onnx_path: str) -> None:
    log("ONNX: sentence-transformers backend, then a hand export through ONNX Runtime ...")
    child = run_self("onnx", onnx_path=onnx_path, texts=texts, seed_index=str(seed_index))
    s = "ONNX"
    try:
        o = child.result()
    except RuntimeError as exc:
        table.add(s, "ONNX measurement", "failed", str(exc)[-300:])
        return
    table.add(s, "sentence-transformers backend=\"onnx\"", "works" if o["st_backend"] == "works" else "no",
              o["st_backend"] if o["st_backend"] != "works" else f"packages from {onnx_path}")
    if "error" in o:
        table.add(s, "hand export (torch.onnx + onnxruntime)", "failed", o["error"])
        return
    if "torch_cps" not in o:
        return
    table.add(s, "torch encoder (chunks/s)", o["torch_cps"], f"the product's backend, {o['texts']} chunk texts")
    table.add(s, "ONNX Runtime fp32 (chunks/s)", o["fp32_cps"],
              f"hand export (torch.onnx, TorchScript exporter); mean cosine to torch {o['fp32_cos']:.4f}")
    table.add(s, "ONNX Runtime int8 dynamic (chunks/s)", o["int8_cps"],
              f"onnxruntime.quantization.quantize_dynamic, {o['int8_mb']:.0f} MB; mean cosine to torch "
              f"{o['int8_cos']:.4f}")
    table.add(s, "int8 / torch encode speed", o["int8_cps"] / o["torch_cps"], fmt="{:.2f}")
    table.add(s, "seed gold recall@5 product / int8", f"{o['torch_recall5']:.3f} / {o['int8_recall5']:.3f}",
              "rag.evaluate.evaluate_gold on seed indexes built by each encoder (product: the default "
              "passage encoder, OpenVINO)")


# ---------------------------------------------------------------- the run

@dataclass
class Options:
    subset_paragraphs: int | None = 10_000
    questions: int = 200
    peer: bool = True
    app: bool = True
    onnx: bool = True
    seed_queries: bool = True
    cold_runs: int = 3
    engine_rss: bool = True
    incremental: bool = True
    profile: bool = True
    onnx_texts: int = 256
    bare_sample: int | None = None  # chunks for the bare encoder; None = all (the full run samples 10,000)
    peer_path: str = PEER_PATH
    onnx_path: str = ONNX_PATH
    corpus: Path = CORPUS


def run_benchmark(opts: Options, workdir: Path) -> Table:
    import numpy as np  # noqa: F401  (fail early if the venv is wrong)

    table = Table()
    started = time.perf_counter()
    full = opts.subset_paragraphs is None
    subset = workdir / ("riksdagen-full.jsonl" if full else f"riksdagen-{opts.subset_paragraphs}.jsonl")
    docs, paras = make_subset(opts.corpus, opts.subset_paragraphs, subset)
    log(f"subset: {docs} documents, {paras} corpus paragraphs -> {subset}")
    index_dir = workdir / "index-subset"

    # 1. build
    build = measure_build(table, subset, index_dir)
    texts = chunk_texts(index_dir)
    measure_bare_encoder(table, texts, build, opts.bare_sample)

    # 2. query
    from rag.engine import Engine

    half = opts.questions // 2
    on_topic = subset_questions(subset, half)
    off_topic = swequad_questions(opts.questions - len(on_topic))
    questions = on_topic + off_topic
    log(f"queries: {len(on_topic)} from the subset + {len(off_topic)} SweQUAD on the subset index ...")
    engine = Engine(index_dir)
    warm_words(table, "Query", engine)
    ours = measure_queries(engine, questions)
    report_queries(table, "Query", ours)
    table.rows[-1].note += f" ({len(on_topic)} from the subset's interpellations, {len(off_topic)} SweQUAD-MC)"
    measure_query_backends(table, questions)

    seed_index = workdir / "index-seeds"

    def seeds() -> None:
        run_self("build", paths=[str(SEEDS)], index_dir=str(seed_index)).result()
        if opts.seed_queries:
            seed_engine = Engine(seed_index)
            warm_words(table, "Query (seeds)", seed_engine)
            st = measure_queries(seed_engine, gold_questions())
            report_queries(table, "Query (seeds)", st, detail=False)
            table.rows[-1].note += " (seed gold questions on the seed index)"

    def engine_rss() -> None:
        child = run_self("engine-rss", index_dir=str(index_dir), question=question)
        table.add("Query", "Engine RSS (MB)", child.result()["rss_mb"], "a process holding Engine(subset "
                  f"index) after one question (peak {child.peak_mb:.0f} MB)", fmt="{:.0f}")

    def app() -> None:
        log("app RSS (python -m ui) ...")
        if not measure_app(table, index_dir):
            table.add("Query", "app RSS (MB)", "n/a", "`python -m ui` did not answer HTTP; see Engine RSS instead")

    def profile() -> None:
        table.extra["profile"] = measure_profile(table, engine, question)
        print(table.extra["profile"], file=sys.stderr)

    question = on_topic[0] if on_topic else questions[0]
    step = max(1, len(texts) // max(1, opts.onnx_texts))
    steps = [
        ("Query (seeds)", opts.seed_queries or opts.onnx, seeds),
        ("Query", opts.cold_runs > 0, lambda: measure_cold(table, index_dir, question, opts.cold_runs)),
        ("Query", opts.engine_rss, engine_rss),
        ("Query", opts.app, app),
        ("Peer", opts.peer, lambda: measure_peer(table, index_dir, questions, build, ours, opts.peer_path)),
        ("Scale", True, lambda: measure_scale(table, index_dir, ours.vectors, build["chunks"],
                                              build["paragraphs"], full)),
        # the profile runs before the incremental rebuild changes the index under the engine
        ("Profile", opts.profile, profile),
        ("Incremental", opts.incremental, lambda: measure_incremental(table, subset, index_dir, build)),
        ("ONNX", opts.onnx, lambda: measure_onnx(table, texts[::step][:opts.onnx_texts], seed_index,
                                                 opts.onnx_path)),
    ]
    for section, wanted, fn in steps:
        if not wanted:
            continue
        try:  # one broken section must not cost the hour the others took
            fn()
        except Exception as exc:
            log(f"{section} failed: {type(exc).__name__}: {exc}")
            table.add(section, "section failed", "failed", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
    del engine

    table.add("Run", "benchmark wall time (min)", (time.perf_counter() - started) / 60, fmt="{:.1f}")
    return table


class LoadSampler:
    """The machine's 1-minute load average every few seconds: 2 cores, so above ~2 someone else competed."""

    def __init__(self, every: float = 5.0) -> None:
        import threading

        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def _run(self, every: float) -> None:
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> tuple[float, float, float]:
        import numpy as np

        return (min(self.samples), float(np.median(self.samples)), max(self.samples)) if self.samples else (0, 0, 0)


def write_markdown(table: Table, out: Path, command: str, minutes: float, load: tuple[float, float, float]) -> None:
    import faiss
    import sentence_transformers
    import torch

    parts = [
        "# Benchmark",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} with:",
        "",
        f"    {command}",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}, "
        f"sentence-transformers {sentence_transformers.__version__}, faiss {faiss.__version__}. "
        f"1-minute load average during the run, min / median / max: {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f} (on 2 cores anything above ~2 is other work competing with the benchmark: the "
        f"absolute times are then pessimistic, the ratios less affected). The run took {minutes:.1f} minutes.",
        "",
        "Latencies are p50 / p95 / p99 in milliseconds. How each number is taken is in the docstring of "
        "`scripts/benchmark.py`.",
        "",
        table.markdown(),
        "",
    ]
    if table.extra.get("profile"):
        parts += ["## Profile of one warm question", "", "```", table.extra["profile"], "```", ""]
    parts += [
        "## The full corpus",
        "",
        "The whole Riksdagen corpus (about 111,000 paragraphs; the build alone takes about 26 minutes on two "
        "cores, and the index becomes HNSW) is measured with:",
        "",
        "    KALLKOLL_CACHE=... .venv/bin/python scripts/benchmark.py --full --out docs/benchmark-full.md",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        CHILDREN[argv[1]](**json.loads(argv[2]))
        return 0
    parser = argparse.ArgumentParser(prog="scripts/benchmark.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subset-paragraphs", type=int, default=10_000,
                        help="paragraphs of the Riksdagen subset (default 10000)")
    parser.add_argument("--full", action="store_true", help="the whole corpus (~111k paragraphs, about 40 minutes)")
    parser.add_argument("--questions", type=int, default=200, help="questions for the query latencies")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmark.md", help="markdown result")
    parser.add_argument("--no-peer", action="store_true", help="skip the LangChain peer")
    parser.add_argument("--no-app", action="store_true", help="skip the app's memory")
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX measurements")
    parser.add_argument("--peer-path", default=PEER_PATH, help="folder with the peer's packages (pip --target)")
    parser.add_argument("--onnx-path", default=ONNX_PATH, help="folder with onnx/onnxruntime/optimum")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (indexes, subset)")
    args = parser.parse_args(argv)
    opts = Options(subset_paragraphs=None if args.full else args.subset_paragraphs, questions=args.questions,
                   peer=not args.no_peer, app=not args.no_app, onnx=not args.no_onnx,
                   peer_path=args.peer_path, onnx_path=args.onnx_path,
                   bare_sample=10_000 if args.full else None)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="kk-bench-"))
    try:
        with LoadSampler() as sampler:
            table = run_benchmark(opts, workdir)
        load = sampler.summary()
        table.add("Run", "load average min / median / max", f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}",
                  "1-minute load on 2 cores, sampled every 5 s: above ~2 other work competed")
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60
    print(table.text())
    command = "python scripts/benchmark.py " + " ".join(argv)
    write_markdown(table, args.out, command.strip(), minutes, load)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
