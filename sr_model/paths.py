"""Where the package's data and the repository's test artefacts live.

The shipped weights and the face are package data (`sr_model/data/`), found with
`importlib.resources`, so they are there in any install. The goldens are the repository's test data
and exist only in a source checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# A Path, not a Traversable: callers pass these to torch.load, PIL and argparse defaults. Wheels
# install unpacked, so the package's files are real files (a zipped install is not supported).
DATA = Path(str(resources.files("sr_model") / "data"))
DEFAULT_CHECKPOINT = DATA / "srcnn.pth"
FACE_IMAGE = DATA / "face.png"

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "fixtures"
GOLDENS = FIXTURES / "goldens"
