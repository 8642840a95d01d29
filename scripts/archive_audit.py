"""Archive old audit rows: the same as `python -m app audit archive` (e.g. `--older-than-days 90`).

Runs from any directory: like `make run`, it reads the project's `.env` and its default
`./data` database; a relative `--dest` is taken from the directory you run it in.
"""

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def absolute_dest(args: list[str]) -> list[str]:
    """`--dest DIR` / `--dest=DIR` made absolute, before the working directory changes."""
    result = list(args)
    for index, arg in enumerate(result):
        if arg == "--dest" and index + 1 < len(result):
            result[index + 1] = str(Path(result[index + 1]).resolve())
        elif arg.startswith("--dest="):
            result[index] = f"--dest={Path(arg.removeprefix('--dest=')).resolve()}"
    return result


if __name__ == "__main__":
    args = absolute_dest(sys.argv[1:])
    os.chdir(PROJECT_ROOT)
    sys.path.insert(0, str(PROJECT_ROOT))
    import typer.main

    from app.audit.archive.cli import audit_cli

    archive = typer.main.get_group(audit_cli).commands["archive"]
    archive(args, prog_name=Path(__file__).name)
