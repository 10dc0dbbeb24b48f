"""Where the app keeps what users give it, and how an uploaded file gets a safe place there.

An upload's name comes from the browser and is not trusted: only its base name
is used, reduced to ``[A-Za-z0-9åäöÅÄÖ._-]``, and the resolved target must lie
inside the upload folder. Type and size are checked before anything is written.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

ALLOWED_SUFFIXES = (".txt", ".md", ".pdf", ".docx")
MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_NAME_CHARS = 100

_UNSAFE = re.compile(r"[^A-Za-z0-9åäöÅÄÖ._-]+")


def upload_dir(index_dir: Path) -> Path:
    """``KALLKOLL_UPLOAD_DIR``, else ``uploads`` beside the index directory."""
    env = os.environ.get("KALLKOLL_UPLOAD_DIR")
    return (Path(env).expanduser() if env else Path(index_dir).parent / "uploads").resolve()


def feedback_log(index_dir: Path) -> Path:
    """``KALLKOLL_FEEDBACK_LOG``, else ``feedback.jsonl`` beside the index directory."""
    env = os.environ.get("KALLKOLL_FEEDBACK_LOG")
    return (Path(env).expanduser() if env else Path(index_dir).parent / "feedback.jsonl").resolve()


def safe_upload_name(name: str) -> str:
    """A file name that cannot leave the upload folder: base name, safe characters, no ``..``."""
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = base.replace("..", ".")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("_", stem).strip("._-") or "dokument"
    suffix = _UNSAFE.sub("", suffix).lower()
    stem = stem[: MAX_NAME_CHARS - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


@dataclass
class SavedUploads:
    saved: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "name: why it was refused"


def save_uploads(files: list[str | Path], target_dir: Path, original_names: list[str] | None = None) -> SavedUploads:
    """Copy accepted files into ``target_dir`` under safe names; refuse wrong types and too large files."""
    result = SavedUploads()
    target_dir = Path(target_dir).resolve()
    target_dir.mkdir(parents=True, exist_ok=True)
    for i, src in enumerate(files):
        src = Path(src)
        shown = (original_names[i] if original_names and i < len(original_names) else src.name)
        name = safe_upload_name(shown)
        if not name.lower().endswith(ALLOWED_SUFFIXES):
            result.problems.append(f"{name}: filtypen stöds inte (bara {', '.join(ALLOWED_SUFFIXES)})")
            continue
        try:
            size = src.stat().st_size
        except OSError:
            result.problems.append(f"{name}: filen gick inte att läsa")
            continue
        if size > MAX_UPLOAD_BYTES:
            result.problems.append(f"{name}: större än {MAX_UPLOAD_MB} MB ({size / 1024 / 1024:.1f} MB)")
            continue
        if size == 0:
            result.problems.append(f"{name}: filen är tom")
            continue
        target = (target_dir / name).resolve()
        if target.parent != target_dir:  # cannot happen after safe_upload_name; checked anyway
            result.problems.append(f"{name}: ogiltigt filnamn")
            continue
        shutil.copyfile(src, target)
        result.saved.append(target)
    return result


def discard(paths: list[Path], target_dir: Path) -> None:
    """Remove saved uploads the build skipped (unreadable, duplicate), so they are not re-read every build."""
    target_dir = Path(target_dir).resolve()
    for p in paths:
        p = Path(p).resolve()
        if p.parent == target_dir and p.is_file():
            p.unlink()
