"""The bad-input catalogue: feed broken tables to the real CLI and record what it says.

Runs `autometa metafeatures FILE --target class --json` on each broken file (written to a
temporary folder; the regression cases: `--target y`, with `--task` where the case says)
and writes results/bad_inputs.md: input, what the CLI prints on stderr, exit code.

Run: python -m benchmarks.bad_inputs
"""

from __future__ import annotations

import gzip
import random
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def cases() -> dict[str, tuple[str, bytes]]:
    rng = random.Random(0)
    many = "id,cat,class\n" + "".join(
        f"{i},v{rng.randrange(5000)},{'ab'[i % 2]}\n" for i in range(3000)
    )
    mixed = "a,b,class\n" + "".join(
        f"{i}.5,{'abc' if i == 3 else i},{'xy'[i % 2]}\n" for i in range(12)
    )
    return {
        "missing file": ("missing.csv", b""),
        "empty file": ("empty.csv", b""),
        "header only": ("header_only.csv", b"a,b,class\n"),
        "target misspelt (--target clas)": (
            "ok.csv",
            b"a,b,class\n1.5,2.5,x\n3.5,4.5,y\n5.5,6.5,x\n7.5,8.5,y\n",
        ),
        "one class": ("one_class.csv", b"a,b,class\n1.5,2,x\n3.5,4,x\n5.5,6,x\n"),
        "a class with a single row": (
            "single.csv",
            b"a,b,class\n1.5,2,x\n3.5,4,x\n5.5,6,y\n7.5,8,x\n",
        ),
        "all features all-NaN": ("all_nan.csv", b"a,b,class\n,,x\n,,y\n,,x\n,,y\n"),
        "all features constant": ("constant.csv", b"a,b,class\n1,5,x\n1,5,y\n1,5,x\n1,5,y\n"),
        "duplicated column names": ("dup.csv", b"a,a,class\n1,2,x\n3,4,y\n"),
        "non-UTF-8 bytes (latin-1 header)": (
            "latin1.csv",
            "caf\xe9,b,class\n1.5,x,u\n2.5,y,v\n3.5,x,u\n4.5,y,v\n".encode("latin-1"),
        ),
        "inf value": ("inf.csv", b"a,b,class\n1.5,2.5,x\n3.5,inf,y\n5.5,6.5,x\n7.5,8.5,y\n"),
        "numbers mixed with text": ("mixed.csv", mixed.encode()),
        "continuous target (auto: a regression table, good input)": (
            "regression.csv",
            b"a,class\n1,0.5\n2,1.7\n3,2.2\n4,0.1\n",
        ),
        "> 1,000 categories (+ an id column)": ("many.csv", many.encode()),
        "binary file": ("binary.csv", b"\x00\x01\x02\xff\xfe"),
        "damaged gzip": ("broken.csv.gz", b"\x1f\x8b\x08\x00garbage"),
        "ragged rows": ("ragged.csv", b"a,b,class\n1,2,x\n3,4,y,9,9\n5,6,x\n"),
        "gzip TSV (good input)": (
            "good.tsv.gz",
            gzip.compress(b"a\tb\tclass\n1.5\tu\tx\n2.5\tv\ty\n3.5\tu\tx\n4.5\tv\ty\n"),
        ),
    }


def _regression(values: list[str], feature: str = "") -> bytes:
    return ("a,y\n" + "".join(f"{feature or i + 1.5},{v}\n" for i, v in enumerate(values))).encode()


# The regression cases: label -> (file name, content, extra CLI arguments).
REGRESSION: dict[str, tuple[str, bytes, list[str]]] = {
    "regression: constant target (--task regression)": (
        "r_constant.csv", _regression(["5"] * 30), ["--task", "regression"]),
    "regression: some target values missing": (
        "r_some_nan.csv", _regression([f"{i * 1.7:.1f}" for i in range(27)] + [""] * 3), []),
    "regression: every target value missing (--task regression)": (
        "r_all_nan.csv", _regression([""] * 30), ["--task", "regression"]),
    "regression: inf in the target": (
        "r_inf.csv", _regression([f"{i}.5" for i in range(29)] + ["inf"]), []),
    "regression: a numeric id column as the only feature": (
        "r_id.csv", b"id,y\n" + b"".join(b"%d,%d.5\n" % (i, i * 7 % 13) for i in range(1, 31)), []),
    "regression: a target of 2 distinct numbers (auto)": (
        "r_two.csv", _regression(["0.5", "1.5"] * 15), []),
    "regression: dates as the target (--task regression)": (
        "r_dates.csv", _regression([f"2020-01-0{i % 9 + 1}" for i in range(30)]),
        ["--task", "regression"]),
    "regression: text as the target (--task regression)": (
        "r_text.csv", _regression(["low", "high"] * 15), ["--task", "regression"]),
}  # fmt: skip


def main() -> None:
    rows = ["| input | what the CLI prints on stderr | exit code |", "|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        every = {k: (n, c, ["--target", "clas" if "misspelt" in k else "class"])
                 for k, (n, c) in cases().items()}  # fmt: skip
        every |= {k: (n, c, ["--target", "y", *args]) for k, (n, c, args) in REGRESSION.items()}
        for label, (name, content, args) in every.items():
            path = Path(tmp) / name
            if label != "missing file":
                path.write_bytes(content)
            proc = subprocess.run(
                [sys.executable, "-m", "cli.main", "metafeatures", str(path), *args, "--json"],
                capture_output=True, text=True,
            )  # fmt: skip
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            message = (
                " / ".join(lines).replace(tmp + "/", "").replace("|", "\\|")
                or "(nothing: a JSON object on stdout)"
            )
            rows.append(f"| {label} | {message} | {proc.returncode} |")
    RESULTS.mkdir(exist_ok=True)
    text = (
        "# Bad-input catalogue\n\nGenerated by `benchmarks/bad_inputs.py` through the real CLI "
        "(`autometa metafeatures FILE --target class --json`; regression cases `--target y`, "
        "with `--task` where the case says).\n\n" + "\n".join(rows) + "\n"
    )
    (RESULTS / "bad_inputs.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
