"""Progress of long archive work: a bar on a terminal; plain lines otherwise, so that cron
mail, CI logs and `kubectl logs` show that a run of several minutes is moving."""

import sys
import time
from types import TracebackType
from typing import Never, TextIO

from tqdm import tqdm

LINE_EVERY_SECONDS = 10.0


class LineProgress:
    """`archive changes: 1500/20000 rows (7%)` at the start, every LINE_EVERY_SECONDS and at the end."""

    def __init__(self, total: int, desc: str, stream: TextIO) -> None:
        self.total, self.desc, self.stream = total, desc, stream
        self.done = 0
        self._last_line = time.monotonic()

    def __enter__(self) -> "LineProgress":
        self._line()
        return self

    def update(self, n: int) -> None:
        self.done += n
        if time.monotonic() - self._last_line >= LINE_EVERY_SECONDS:
            self._line()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self._line()

    def _line(self) -> None:
        share = f" ({100 * self.done // self.total}%)" if self.total else ""
        print(f"{self.desc}: {self.done}/{self.total} rows{share}", file=self.stream, flush=True)
        self._last_line = time.monotonic()


def progress(total: int, desc: str) -> "tqdm[Never] | LineProgress":
    """A progress display on stderr for `total` rows."""
    if sys.stderr.isatty():
        return tqdm(total=total, unit="rows", desc=desc)
    return LineProgress(total, desc, sys.stderr)
