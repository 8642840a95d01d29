from app.cli import cli
from app.cli_errors import run

run(lambda: cli(prog_name="python -m app"))
