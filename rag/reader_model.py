"""The reader as a torch module: e5-small's transformer with its top layers and a span head trained.

Why this shape (issue 17): an extractive QA reader decides both things the old rules
guessed at, which words of a paragraph answer the question (start and end logits
per token) and whether any do (a separate answerability logit read from ``<s>``).
Why a head of its own for the second: the first reader scored "no answer" as the span
(0, 0), SQuAD 2.0's convention, and with squad-v2-sv's 53 % unanswerable questions
plus every answerable question's windows without its answer, position 0 won nearly
every window: its score barely moved (sd 0.05) and told answerable from unanswerable
no better than chance. Now the span loss is taken only on windows that hold the
answer and the answerability loss on all windows, balanced.

On a 2-core CPU only the top ``TRAINED_FROM``.. layers are trained: the
embeddings and the lower layers stay e5's, so their outputs are computed once per
training example and cached (``scripts/train_reader.py``), and the committed file
holds only the trained layers and the head (``WEIGHTS``, fp16, ~15 MB). The rest is
rebuilt from the bundled model, which every machine converts anyway.

torch is needed here only for training and for the one-off ONNX export, which runs
in a child process (``python -m rag.reader_model export``): questions are read by
ONNX Runtime (``rag.reader``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .reader import CARD, WEIGHTS  # noqa: F401  (the card: what was trained on what, its held-out figures)

TRAINED_FROM = 8  # layers 0..7 are e5's own, 8..11 and the head are trained


def additive_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(batch, tokens) 1/0 → (batch, 1, 1, tokens) 0/-large, the form BertLayer's attention adds."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


class Reader(nn.Module):
    """input_ids, attention_mask → start and end logits per token, and one answerability logit per window."""

    def __init__(self, bert: Any, trained_from: int = TRAINED_FROM, answerability_head: bool = True) -> None:
        super().__init__()
        bert.config._attn_implementation = "eager"  # the additive mask below, the same in torch and ONNX
        self.embeddings = bert.embeddings
        self.lower = nn.ModuleList(bert.encoder.layer[:trained_from])
        self.upper = nn.ModuleList(bert.encoder.layer[trained_from:])
        self.qa = nn.Linear(bert.config.hidden_size, 2)
        # weights trained before the head existed (no "answerable." tensors) read answerability
        # as minus the span score of <s>, the null score they were trained with
        self.answerable = nn.Linear(bert.config.hidden_size, 1) if answerability_head else None
        for head in (self.qa, self.answerable):
            if head is not None:
                nn.init.normal_(head.weight, std=0.02)
                nn.init.zeros_(head.bias)

    def lower_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The frozen part: what training caches once per example."""
        hidden = self.embeddings(input_ids=input_ids, token_type_ids=torch.zeros_like(input_ids))
        mask = additive_mask(attention_mask, hidden.dtype)
        for layer in self.lower:
            hidden = layer(hidden, mask)
        return hidden

    def head(self, hidden: torch.Tensor, attention_mask: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The trained part: upper layers, then (start, end) per token and answerability from ``<s>``."""
        mask = additive_mask(attention_mask, hidden.dtype)
        for layer in self.upper:
            hidden = layer(hidden, mask)
        start, end = self.qa(hidden).unbind(-1)
        if self.answerable is None:
            return start, end, -(start[:, 0] + end[:, 0])
        return start, end, self.answerable(hidden[:, 0]).squeeze(-1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.head(self.lower_states(input_ids, attention_mask), attention_mask)

    def trained_state(self) -> dict[str, torch.Tensor]:
        """Only what training changed: the upper layers and the heads."""
        return {k: v for k, v in self.state_dict().items() if k.startswith(("upper.", "qa.", "answerable."))}


def base_reader(model_dir: Path, trained_from: int = TRAINED_FROM, answerability_head: bool = True) -> Reader:
    """The reader before training: e5's converted weights, fresh heads."""
    from transformers import BertModel

    bert = BertModel.from_pretrained(str(model_dir), add_pooling_layer=False, attn_implementation="eager")
    return Reader(bert, trained_from, answerability_head)


def trained_reader(model_dir: Path, weights: Path = WEIGHTS) -> Reader:
    """The committed reader: e5's lower layers from ``model_dir`` plus the trained file."""
    from safetensors.torch import load_file

    card = json.loads(CARD.read_text(encoding="utf-8")) if CARD.exists() else {}
    state = {k: v.float() for k, v in load_file(str(weights)).items()}
    has_head = any(k.startswith("answerable.") for k in state)  # weights trained before the head have none
    reader = base_reader(model_dir, int(card.get("trained_from", TRAINED_FROM)), has_head)
    missing = set(reader.trained_state()) - set(state)
    if missing:
        raise ValueError(f"{weights} lacks {len(missing)} trained tensors (e.g. {sorted(missing)[0]})")
    reader.load_state_dict(state, strict=False)
    return reader.eval()


def export_onnx(model_dir: Path, target: Path, weights: Path = WEIGHTS) -> None:
    """The whole trained reader as one ONNX graph (dynamic batch and length), for ONNX Runtime."""
    import warnings

    reader = trained_reader(model_dir, weights)
    ids = torch.tensor([[0, 100, 200, 2, 2, 300, 400, 500, 2], [0, 100, 2, 2, 300, 2, 1, 1, 1]])
    mask = (ids != 1).long()
    axes = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "start_logits", "end_logits")}
    axes["answerable"] = {0: "batch"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on Python branches over shapes; the graph is tested
        torch.onnx.export(reader, (ids, mask), str(target), input_names=["input_ids", "attention_mask"],
                          output_names=["start_logits", "end_logits", "answerable"], dynamic_axes=axes, opset_version=17,
                          dynamo=False, do_constant_folding=False)


if __name__ == "__main__" and sys.argv[1:2] == ["export"]:
    export_onnx(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]) if len(sys.argv) > 4 else WEIGHTS)
