"""A fitted logistic regression as the query side reads it back: weights from a JSON card.

Why one class: the learned decision (``learned_answer``) and the fitted sentence choice
(``sentence_choice``) are both P = logistic(w · standardised features + b) with a
threshold, fitted by a script in ``scripts/`` and kept beside the weights as JSON that
names its features, so a card fitted on other features is refused instead of misread.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Logistic:
    weights: list[float]
    bias: float
    mean: list[float]
    scale: list[float]
    threshold: float = 0.5
    fitted_on: str = ""

    def probability(self, features: list[float]) -> float:
        z = self.bias + sum(w * (x - m) / s for w, x, m, s in zip(self.weights, features, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def read(cls, path: Path, features: tuple[str, ...], script: str):
        """The card at ``path``, or None when there is none; ValueError when it names other features."""
        if not path.exists():
            return None
        d = json.loads(path.read_text(encoding="utf-8"))
        if d.get("features") != list(features):
            raise ValueError(f"{path} was fitted on other features ({d.get('features')}); run {script}")
        return cls(d["weights"], d["bias"], d["mean"], d["scale"], d.get("threshold", 0.5), d.get("fitted_on", ""))
