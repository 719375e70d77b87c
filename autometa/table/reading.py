"""Read table files: compression, encoding and delimiter detection, parse errors.

Every problem is a BadInputError naming the file; tabular.py validates what comes out.
"""

from __future__ import annotations

import csv
import gzip
import io
import warnings
import zipfile
from pathlib import Path

import pandas as pd

from autometa.exceptions import AutometaWarning, BadInputError

__all__ = ["check_duplicates", "read_file"]

MISSING_MARKERS = ["?", "NA", "N/A", "na", "n/a", "null", "NULL", "None", ""]
# Formats that are not read, by extension: a clear error, not a CSV parse of their bytes
# (an .xlsx is a zip of many files, a .json one line of braces).
OTHER_FORMATS = {
    ".xlsx": "an Excel", ".xls": "an Excel", ".ods": "an OpenDocument spreadsheet",
    ".json": "a JSON", ".jsonl": "a JSON lines", ".arff": "an ARFF", ".feather": "a Feather",
    ".pkl": "a pickle", ".pickle": "a pickle", ".h5": "an HDF5", ".hdf5": "an HDF5",
    ".sav": "an SPSS", ".dta": "a Stata", ".sas7bdat": "a SAS", ".xml": "an XML",
}  # fmt: skip


def read_file(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise BadInputError(f"File '{path}' does not exist.")
    if path.is_dir():
        raise BadInputError(f"'{path}' is a folder; give the path of a CSV, TSV or parquet file.")
    other = OTHER_FORMATS.get(path.suffix.lower())
    if other is not None:
        raise BadInputError(
            f"'{path}' looks like {other} file; autometa reads CSV or TSV text (plain, gzip or "
            "zip) and parquet. Save the table as one of those (pandas: read it, then "
            "frame.to_csv('table.csv', index=False))."
        )
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path)
        except ImportError as exc:
            raise BadInputError(f"Reading '{path}' needs pyarrow: pip install pyarrow.") from exc
        except Exception as exc:
            raise BadInputError(f"'{path}' is not a readable parquet file ({exc}).") from exc
    raw = path.read_bytes()
    raw = _decompress(raw, path)
    if not raw.strip():
        raise BadInputError(f"File '{path}' is empty; it needs a header row and data rows.")
    if b"\x00" in raw:
        raise BadInputError(
            f"File '{path}' holds NUL bytes: it looks binary, not like a CSV/TSV text file."
        )
    text = _decode(raw, path)
    delimiter = _sniff_delimiter(text, path)
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delimiter), [])
    check_duplicates([h.strip() for h in header], f"'{path}'")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            na_values=MISSING_MARKERS,
            skipinitialspace=True,
            low_memory=False,
        )
    except pd.errors.EmptyDataError as exc:
        raise BadInputError(f"File '{path}' holds no table (no header row found).") from exc
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise BadInputError(
            f"File '{path}' could not be parsed as a table with delimiter {delimiter!r}: "
            f"{str(exc).strip()}. Check that every row has as many fields as the header."
        ) from exc
    if len(frame) == 0:
        raise BadInputError(f"File '{path}' has a header but no data rows.")
    return frame


def _decompress(raw: bytes, path: Path) -> bytes:
    try:
        if raw[:2] == b"\x1f\x8b":
            return gzip.decompress(raw)
        if raw[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise BadInputError(
                        f"Zip file '{path}' holds {len(members)} files; it must hold exactly one "
                        f"table (found: {', '.join(members[:5]) or 'nothing'})."
                    )
                return archive.read(members[0])
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        raise BadInputError(f"File '{path}' looks compressed but is damaged ({exc}).") from exc
    return raw


def _decode(raw: bytes, path: Path) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        warnings.warn(
            f"File '{path}' is not valid UTF-8 (byte {raw[exc.start]:#04x} at offset "
            f"{exc.start}); read it as latin-1 instead.",
            AutometaWarning,
            stacklevel=3,
        )
        text = raw.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _sniff_delimiter(text: str, path: Path) -> str:
    sample = "\n".join(text.split("\n", 20)[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        if "\t" in first or ".tsv" in path.name.lower():
            return "\t"
        return ";" if first.count(";") > first.count(",") else ","


def check_duplicates(columns: list[str], label: str) -> None:
    seen: set[str] = set()
    dups = sorted({c for c in columns if c in seen or seen.add(c)})  # type: ignore[func-returns-value]
    if dups:
        raise BadInputError(
            f"{label} has duplicated column names: {', '.join(repr(d) for d in dups)}. "
            "Rename them so every column name is unique."
        )
