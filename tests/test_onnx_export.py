"""The ONNX export: made once per model folder, in a child process, and redone when damaged or stale.

Its own module so that no torch encoder of another test is resident while the child
exports (the export's peak is ~3 GB; the suite's budget is 4 GB).
"""

from __future__ import annotations

import gc
import json
import shutil

import pytest

from index import embedder, model_convert, onnx_encoder, settings

pytestmark = pytest.mark.model


@pytest.mark.slow
def test_export_is_made_once_and_remade_when_damaged(tmp_path):
    """A private model folder (weights linked, not copied): export, reuse, damage, re-export.

    The first export runs in a child process, as in the product; the reference is the default
    question encoder, which test_onnx_encoder holds to torch's vectors.
    """
    source = model_convert.bundled_model_dir()
    model_dir = tmp_path / "models" / source.name
    shutil.copytree(source, model_dir, ignore=shutil.ignore_patterns("model.safetensors"))
    (model_dir / "model.safetensors").symlink_to(source / "model.safetensors")
    exports = []
    first_export = tmp_path / "first-export"

    def counted_export(folder):
        """The first call exports in a child as the product does (~20 s); later calls, the repairs,
        put back that export's files: what is tested after the first is that a damaged export is
        seen and replaced, and running torch's exporter three times only cost the suite 40 s."""
        exports.append(1)
        out = onnx_encoder.onnx_dir(folder)
        if not first_export.exists():
            onnx_encoder.export_in_child(folder)
            shutil.copytree(out, first_export)
        else:
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(first_export, out)

    probe = ["Vilka åtgärder föreslås mot segregation i Järva?"]
    reference = embedder.load_query_encoder().encode_queries(probe)[0]

    def cosine_of_a_fresh_load() -> float:
        """Load the export, embed the probe, let the session go (each holds ~0.4 GB)."""
        vector = onnx_encoder.load(settings.DEFAULT_MODEL, model_dir, counted_export).encode_queries(probe)[0]
        gc.collect()
        return float(vector @ reference)

    assert cosine_of_a_fresh_load() >= 0.99999
    assert len(exports) == 1 and onnx_encoder.is_current(model_dir)
    onnx_encoder.load(settings.DEFAULT_MODEL, model_dir, counted_export)
    assert len(exports) == 1, "a current export is reused, not redone"

    out = onnx_encoder.onnx_dir(model_dir)
    data = out / onnx_encoder.DATA_FILE
    with open(data, "r+b") as fh:  # a crash mid-copy: half the weights
        fh.truncate(data.stat().st_size // 2)
    assert not onnx_encoder.is_current(model_dir)
    assert cosine_of_a_fresh_load() >= 0.99999
    assert len(exports) == 2

    # garbage with a marker that still claims the right sizes: caught when ONNX Runtime loads it
    graph = out / onnx_encoder.ONNX_FILE
    graph.write_bytes(b"\0" * graph.stat().st_size)
    assert cosine_of_a_fresh_load() >= 0.99999
    assert len(exports) == 3

    # a new conversion of the model (its marker changes) makes the export stale
    marker = json.loads((model_dir / model_convert.MARKER_FILE).read_text())
    marker["converter_version"] = "other"
    (model_dir / model_convert.MARKER_FILE).write_text(json.dumps(marker))
    assert not onnx_encoder.is_current(model_dir)
