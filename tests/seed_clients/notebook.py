"""Run notebook cells, saved as files, one after another in one namespace, as a Jupyter kernel does.

    python tests/seed_clients/notebook.py CELL.py [CELL.py ...]

The cells are the seeds' code (each file's header says what, if anything, differs). The
seeds poll with `time.sleep(10)`; here every sleep is capped at a fraction of a second
so the tests stay fast. Before each cell the runner prints a `### cell <name>` line, so
tests can tell which cell printed what.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

MAX_SLEEP = 0.2
_real_sleep = time.sleep


def _fast_sleep(seconds: float) -> None:
    _real_sleep(min(seconds, MAX_SLEEP))


def main(cells: list[str]) -> None:
    time.sleep = _fast_sleep
    namespace: dict[str, object] = {"__name__": "__main__"}
    for cell in cells:
        path = Path(cell)
        print(f"### cell {path.name}", flush=True)
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
