"""Reading a big CSV: autometa's reader (pyarrow above ``reading.BIG_FILE_MB``) against
pandas' ``read_csv``, side by side, each in a fresh process: wall seconds and peak RSS.

The table: 2,000,000 rows, 20 normal columns rounded to 4 decimals, one text column of
three values and a 0/1 target (seed 0), written once to a temporary folder. Also
``load_table`` (reading plus validation) and a sample of 100,000 rows drawn while reading.
Three runs each; the median is reported.

Writes results/reading_speed.md.

Run: python -m benchmarks.reading_speed
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
ROWS = 2_000_000
RUNS = 3
CASES = {
    "pandas.read_csv": "import pandas as pd; f = pd.read_csv(PATH, low_memory=False)",
    "autometa, the pandas path (all files before; files under 64 MB now)": (
        "from autometa.table.reading import _read_text; f = _read_text(PATH, PATH.read_bytes())"
    ),
    "autometa read_file": "from autometa.table.reading import read_file; f = read_file(PATH)",
    "autometa read_file, max_rows=100,000": (
        "from autometa.table.reading import read_file; f = read_file(PATH, max_rows=100_000)"
    ),
    "autometa load_table (read + validate)": (
        "import autometa; f = autometa.load_table(PATH, target='y').X"
    ),
}
PROBE = """
import resource, sys, time
from pathlib import Path
PATH = Path(sys.argv[1])
t = time.perf_counter()
{code}
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(seconds, peak, f.memory_usage(deep=True).sum() / 2**20)
"""


def write_table(path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(ROWS, 20)).round(4)).add_prefix("x")
    frame["colour"] = rng.choice(["red", "green", "blue"], ROWS)
    frame["y"] = rng.integers(0, 2, ROWS)
    frame.to_csv(path, index=False)


def run(code: str, path: Path) -> tuple[float, float, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code), str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds, peak, frame = map(float, out.stdout.split()[-3:])
    return seconds, peak, frame


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        write_table(path)
        size = path.stat().st_size / 2**20
        rows = []
        for name, code in CASES.items():
            runs = np.array([run(code, path) for _ in range(RUNS)])
            seconds, peak, frame = np.median(runs, axis=0)
            rows.append((name, seconds, peak, frame))
            print(name, f"{seconds:.2f} s", f"{peak:.0f} MiB", flush=True)
    table = pd.DataFrame(rows, columns=["reader", "seconds", "peak RSS MiB", "frame MiB"])
    base = table.iloc[0]
    table["time / pandas"] = table["seconds"] / base["seconds"]
    table["peak / pandas"] = table["peak RSS MiB"] / base["peak RSS MiB"]
    lines = [
        "# Reading a big CSV",
        "",
        f"From `python -m benchmarks.reading_speed`: a {size:,.0f} MiB CSV of {ROWS:,} rows x 22 "
        f"columns, median of {RUNS} fresh processes each, on {os.cpu_count()} cores. Peak RSS "
        "counts the interpreter and its libraries.",
        "",
        table.round(2).to_markdown(index=False),
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reading_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
