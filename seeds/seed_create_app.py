"""Seed the default roles and the first superuser: the same as `python -m app seed`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cli import cli

if __name__ == "__main__":
    cli(["seed"], prog_name="seed_create_app.py")
