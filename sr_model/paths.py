"""Where the repository's committed artefacts live (an editable install or a source checkout)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "fixtures"
DEFAULT_CHECKPOINT = FIXTURES / "srcnn.pth"
FACE_IMAGE = FIXTURES / "face.png"
GOLDENS = FIXTURES / "goldens"
