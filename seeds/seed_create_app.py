"""Seed the default roles and the first superuser: the same as `python -m app seed`.

Runs from any directory: like `make run`, it reads the project's `.env` and its default
`./data` database.
"""

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    os.chdir(PROJECT_ROOT)
    sys.path.insert(0, str(PROJECT_ROOT))
    import typer.main

    from app.cli import cli

    seed = typer.main.get_group(cli).commands["seed"]
    seed(sys.argv[1:], prog_name=Path(__file__).name)
