"""Archive old audit rows: the same as `python -m app audit archive` (e.g. `--older-than-days 90`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cli import cli

if __name__ == "__main__":
    cli(["audit", "archive", *sys.argv[1:]], prog_name="archive_audit.py")
