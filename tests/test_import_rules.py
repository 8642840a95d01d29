"""The import rules of pyproject.toml's [tool.importlinter] hold: app.core imports nothing above
it, each layer only the layers below, and no two modules of a package import each other."""

import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the `app` package under `root`, with the project's contracts."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(PROJECT_ROOT / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_rules_hold() -> None:
    result = lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_against_the_rules_breaks_them(tmp_path: Path) -> None:
    shutil.copytree(PROJECT_ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__", "static"))
    with (tmp_path / "app" / "core" / "errors.py").open("a") as errors:
        errors.write("\nimport app.auth.tokens  # core reaching above itself\n")
    with (tmp_path / "app" / "modules" / "customers" / "service.py").open("a") as service:
        service.write("\nimport app.modules.tasks.service  # tasks already imports customers\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "app.core is not allowed to import app.auth" in result.stdout
    assert "app.modules.customers is not allowed to import app.modules.tasks" in result.stdout
