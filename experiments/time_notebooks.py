"""How long each teaching notebook takes, top to bottom, in a fresh kernel.

    python experiments/time_notebooks.py                       # every notebook in notebooks/
    python experiments/time_notebooks.py notebooks/03_model_drift.ipynb

Each notebook runs as the test suite runs it (nbclient, a fresh ``python3`` kernel, a temporary
working directory), one after the other, and the script prints one line per notebook: wall
time, the time its kernel spent computing (CPU seconds of the kernel process, which says how
much of the wall time was the machine being busy with other work), its figures, and whether it
ran without error; then the total. docs/teaching.md quotes these times.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def time_notebook(path: Path, timeout: int = 300) -> dict:
    """Execute one notebook; return its wall and kernel CPU seconds, figures and error."""
    import nbclient
    import nbformat
    import psutil

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                         resources={"metadata": {"path": tmp}})
        error = None
        cpu = float("nan")
        t0 = time.perf_counter()
        with client.setup_kernel():
            pid = client.km.provisioner.process.pid
            try:
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index)
            except nbclient.exceptions.CellExecutionError as e:
                # the last line names the exception; drop the terminal colours
                error = re.sub(r"\x1b\[[0-9;]*m", "", str(e).strip().splitlines()[-1])
            times = psutil.Process(pid).cpu_times()
            cpu = times.user + times.system
        wall = time.perf_counter() - t0
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                  for o in c.get("outputs", []))
    return {"name": path.name, "wall": wall, "cpu": cpu, "figures": figures, "error": error}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path,
                    help="notebooks to time (default: every notebook in notebooks/)")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print("error: no notebooks to time", file=sys.stderr)
        return 2
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"error: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    print(f"{'notebook':<34} {'wall s':>7} {'kernel CPU s':>13} {'figures':>8}  result")
    total_wall = total_cpu = 0.0
    failed = 0
    for p in paths:
        r = time_notebook(p)
        total_wall += r["wall"]
        total_cpu += r["cpu"]
        failed += r["error"] is not None
        print(f"{r['name']:<34} {r['wall']:>7.1f} {r['cpu']:>13.1f} {r['figures']:>8}  "
              f"{'ok' if r['error'] is None else 'error: ' + r['error']}", flush=True)
    print(f"{'total':<34} {total_wall:>7.1f} {total_cpu:>13.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
