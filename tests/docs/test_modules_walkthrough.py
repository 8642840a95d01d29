"""docs/MODULES.md's walk-through, followed as written: a module built from its code blocks must work.

The blocks are applied to a copy of the service in a temporary directory, in the order the page
gives them. A block whose first line is `# <path>` is that file: a Python block is its whole
content (a new folder also gets an empty `__init__.py`), a `diff` block is an edit of a file
that exists (context lines, `+` lines added, `-` lines removed, `@@` between hunks). A `bash`
block is run in the copy as written. The copy's app is then driven over HTTP in a subprocess
of its own, so the new table never enters this process's SQLModel.metadata.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.config import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOC = PROJECT_ROOT / "docs" / "MODULES.md"
SECTION = "## Adding a module: a walk-through"
CLIENT = Path(__file__).with_name("walkthrough_client.py")
# What a newcomer's checkout holds that the walk-through's steps use.
COPIED = ("app", "alembic", "alembic.ini", "pyproject.toml", "ruff.toml")
MODULE = "invoices"
MODULE_FILES = {f"app/modules/{MODULE}/{name}.py" for name in ("models", "schemas", "repository", "service", "routers")}
STEP_SECONDS = 120


@dataclass(frozen=True)
class Block:
    language: str
    target: str | None  # the file a Python or diff block is, from its first line
    body: str


def walkthrough_blocks(markdown: str) -> list[Block]:
    """The fenced code blocks of the walk-through section, unindented, in page order."""
    section = markdown.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = []
    for indent, language, text in re.findall(r"^( *)```(\w+)\n(.*?)^\1```$", section, re.S | re.M):
        lines = [line.removeprefix(indent) for line in text.splitlines()]
        marker = re.fullmatch(r"# (\S+\.\w+)", lines[0])
        target = marker[1] if marker and language in ("python", "diff") else None
        body = "\n".join(lines[1:] if target else lines) + "\n"
        blocks.append(Block(language, target, body))
    return blocks


def apply_diff(text: str, diff: str) -> str:
    """`text` with each hunk of `diff` applied; a hunk's old lines must occur exactly once."""
    for hunk in re.split(r"^@@.*\n", diff, flags=re.M):
        lines = [line or " " for line in hunk.splitlines()]  # an empty line is an empty context line
        old = "".join(line[1:] + "\n" for line in lines if line[0] in " -")
        new = "".join(line[1:] + "\n" for line in lines if line[0] in " +")
        assert text.count(old) == 1, f"the diff's lines are not in the file exactly once:\n{old}"
        text = text.replace(old, new)
    return text


def run(argv: list[str], copy: Path, env: dict[str, str]) -> str:
    result = subprocess.run(argv, cwd=copy, env=env, capture_output=True, text=True, timeout=STEP_SECONDS, check=False)
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def follow(blocks: list[Block], copy: Path, env: dict[str, str]) -> set[str]:
    """Apply the blocks to the copy in page order; the files they wrote or changed."""
    touched = set()
    for block in blocks:
        if block.language == "bash":
            run(["bash", "-euo", "pipefail", "-c", block.body], copy, env)
            continue
        assert block.target is not None, f"a {block.language} block without its file as its first line"
        path = copy / block.target
        if block.language == "diff":
            path.write_text(apply_diff(path.read_text(), block.body))
        else:
            if not path.parent.exists():
                path.parent.mkdir(parents=True)
                (path.parent / "__init__.py").touch()
            path.write_text(block.body)
        touched.add(block.target)
    return touched


def scratch_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "service"
    for name in COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    (copy / ".venv").symlink_to(sys.prefix)  # the doc's commands use `.venv/bin/...`, as after `make install`
    return copy


def environment(copy: Path, database: Path) -> dict[str, str]:
    inherited = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}
    return {**inherited, "PYTHONPATH": str(copy), "APP_ENV": "test", "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}


def drive(copy: Path, env: dict[str, str]) -> dict[str, Any]:
    scenario = {
        "module": MODULE,
        "parent": {"path": "/customers", "body": {"name": "Acme", "email": "ap@acme.example"}, "field": "customer_id"},
        "record": {"number": "INV-0001", "amount": "120.50"},
        "patch": {"amount": "99.90"},
        "second_record": {"number": "INV-0002"},
    }
    answers: dict[str, Any] = json.loads(run([sys.executable, str(CLIENT), json.dumps(scenario)], copy, env))
    return answers


def test_the_walkthrough_builds_a_module_that_serves_and_audits_its_records(tmp_path: Path) -> None:
    blocks = walkthrough_blocks(DOC.read_text())
    copy = scratch_copy(tmp_path)
    env = environment(copy, tmp_path / "walkthrough.db")

    touched = follow(blocks, copy, env)
    written = sorted(str(path.relative_to(copy)) for path in (copy / "alembic" / "versions").glob(f"*_{MODULE}.py"))
    run([".venv/bin/ruff", "check", *touched, *written], copy, env)
    run([".venv/bin/ruff", "format", "--check", *touched, *written], copy, env)
    answers = drive(copy, env)

    assert touched >= {*MODULE_FILES, "app/modules/registry.py", "app/models.py"}
    assert len(written) == 1, "the doc's commands generate the module's migration"
    assert answers["app_dir"] == str(copy / "app")
    assert MODULE in [entry["module"] for entry in answers["modules"]["body"]]
    grants = {role["name"]: role["permissions"].get(MODULE) for role in answers["roles"]["body"]}
    assert grants == {
        "admin": ["create", "delete", "read", "update"],
        "manager": ["create", "delete", "read", "update"],
        "viewer": ["read"],
    }

    created = answers["create"]
    record = created["body"]
    assert created["status"] == 201
    assert created["headers"]["location"] == f"/{MODULE}/{record['id']}"
    assert created["headers"]["etag"] == '"1"'
    assert (record["number"], record["amount"], record["version"]) == ("INV-0001", "120.50", 1)
    assert answers["create_again"]["status"] == 409
    assert "number INV-0001" in answers["create_again"]["body"]["message"]
    assert answers["create_for_nobody"]["status"] == 400
    assert answers["get"]["status"] == 200
    assert answers["get"]["body"] == record
    assert answers["list"]["status"] == 200
    assert answers["list"]["headers"]["x-total-count"] == "1"
    assert answers["list"]["body"] == [record]

    patched = answers["patch"]
    assert patched["status"] == 200
    assert (patched["body"]["amount"], patched["body"]["version"]) == ("99.90", 2)
    assert patched["headers"]["etag"] == '"2"'
    assert answers["patch_stale"]["status"] == 412
    assert answers["delete"]["status"] == 204
    assert answers["get_deleted"]["status"] == 404
    parent_delete = answers["parent_delete"]  # no ON DELETE action: the foreign key refuses it
    assert parent_delete["status"] == 409
    assert parent_delete["body"]["message"] == "The resource is still referenced by other resources"

    history = answers["history"]
    assert history["status"] == 200
    assert [(entry["action"], entry["version"]) for entry in history["body"]] == [
        ("DELETE", 2),
        ("UPDATE", 2),
        ("INSERT", 1),
    ]
    assert history["body"][1]["changes"]["amount"] == {"old": "120.50", "new": "99.90"}
