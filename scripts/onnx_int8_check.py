"""Does an int8 ONNX e5 keep SweQUAD-MC retrieval quality? (issue 5: "adopt what wins")

The benchmark's ONNX section compares encode speed and the seed gold set's recall@5;
this script answers the larger question on SweQUAD-MC (962 questions): it quantizes the
product's fp32 ONNX export (``index/onnx_encoder.py``) with ONNX Runtime's dynamic int8
quantization, builds the SweQUAD corpus with it (passages AND questions int8, as an
adopted int8 path would), and prints the same metrics as ``python -m rag eval``.

    KALLKOLL_CACHE=~/.cache/kallkoll .venv/bin/python scripts/onnx_int8_check.py [--work /tmp/int8]

Compare with the torch-built index: ``python -m rag eval ../shared/eval/swequad-mc --index-dir DIR``.
Measured 2026-11-25: int8 recall@1/3/5 0.714/0.834/0.893, MRR 0.790, build 92 s, against torch
0.723/0.853/0.900, MRR 0.800 — recall@3 drops by 0.019, so int8 is not adopted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SWEQUAD = Path("/work/shared/eval/swequad-mc")


class Int8Encoder:
    """The torch encoder's conventions (model id, prompts, token counting) with int8 ONNX vectors."""

    def __init__(self, torch_encoder, onnx_query_encoder) -> None:
        self.model_id, self.dim, self.max_tokens = torch_encoder.model_id, torch_encoder.dim, torch_encoder.max_tokens
        self.query_prompt, self.passage_prompt = torch_encoder.query_prompt, torch_encoder.passage_prompt
        self.model, self.backend, self.precision = torch_encoder.model, "onnx-int8", "int8"
        self._torch = torch_encoder
        self._queries = onnx_query_encoder
        self._passages = replace(onnx_query_encoder, query_prompt=torch_encoder.passage_prompt)

    def count_tokens(self, text: str) -> int:
        return self._torch.count_tokens(text)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._queries.encode_queries(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([len(t) for t in texts])  # like sentence-transformers: less padding
        for i in range(0, len(texts), 32):
            rows = order[i:i + 32]
            out[rows] = self._passages.encode_queries([texts[j] for j in rows])
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/kk-int8"), help="where the int8 model and index go")
    args = parser.parse_args()

    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from index import embedder, onnx_encoder, settings
    from index.build import build_index
    from index.model_convert import ensure_bundled_model
    from rag.engine import Engine
    from rag.evaluate import evaluate_swequad

    model_dir = ensure_bundled_model()
    fp32 = embedder.load_query_encoder()  # exports the fp32 ONNX model if it is not there yet
    int8 = args.work / "model-int8.onnx"
    args.work.mkdir(parents=True, exist_ok=True)
    if not int8.exists():
        quantize_dynamic(str(onnx_encoder.onnx_dir(model_dir) / onnx_encoder.ONNX_FILE), str(int8),
                         weight_type=QuantType.QInt8)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
    session = ort.InferenceSession(str(int8), options, providers=["CPUExecutionProvider"])
    encoder = Int8Encoder(embedder.load_encoder(), replace(fp32, session=session))
    with embedder._lock:  # every load_encoder/load_query_encoder in this process now gets int8
        embedder._cache[settings.DEFAULT_MODEL] = encoder
    with embedder._query_lock:
        embedder._query_cache[settings.DEFAULT_MODEL] = encoder
    os.environ["KALLKOLL_PASSAGE_BACKEND"] = "torch"  # builds take load_encoder's (int8) encoder, not OpenVINO
    index_dir = args.work / "swequad-index"
    started = time.perf_counter()
    build_index([SWEQUAD / "corpus.jsonl"], index_dir, show_progress=False)
    print(f"int8 build: {time.perf_counter() - started:.0f} s")
    for key, value in evaluate_swequad(Engine(index_dir), SWEQUAD).items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
