"""Read table files: compression, encoding and delimiter detection, parse errors.

Every problem is a BadInputError naming the file; tabular.py validates what comes out.

Big text files (CSV or TSV over ``BIG_FILE_MB``, plain or gzip) and parquet files are
read by pyarrow, with all cores; before reading, the memory they need is estimated from
the file and compared with the memory free: a table that will not fit is an error that
names both and the way out, ``max_rows`` (a random sample, drawn while reading, so the
whole table is never in memory). A table of more than ``BIG_FILE_MB`` comes back compact: text columns with few
distinct values as categories, and float64 columns as float32 where that keeps every
distinct value apart (scikit-learn's trees work in float32 anyway; the other learners
scale their inputs, where float32's 7 digits are below any effect).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from autometa.exceptions import AutometaWarning, BadInputError
from autometa.machine import available_mb
from autometa.table.sampling import sample_rows

__all__ = ["BIG_FILE_MB", "check_duplicates", "read_file"]

BIG_FILE_MB = 64  # text files larger than this are read by pyarrow (see the docstring)
# Peak memory of reading a text table, per byte of the file (uncompressed): pyarrow's
# table, then the pandas frame made from it (benchmarks/results/reading_speed.md: a 295 MiB
# CSV peaked at 1,100 MiB, interpreter and libraries included; 3 leaves a margin).
READ_PEAK_PER_BYTE = 3.0
HEAD_BYTES = 1 << 16  # what the delimiter, the encoding and the header are read from
BLOCK_BYTES = 1 << 24  # pyarrow's unit of parallel parsing (and of type inference, sampled)

GZIP_MAGIC, ZIP_MAGIC = b"\x1f\x8b", b"PK\x03\x04"  # a file's first bytes
MISSING_MARKERS = ["?", "NA", "N/A", "na", "n/a", "null", "NULL", "None", ""]
# Formats that are not read, by extension: a clear error, not a CSV parse of their bytes
# (an .xlsx is a zip of many files, a .json one line of braces).
OTHER_FORMATS = {
    ".xlsx": "an Excel", ".xls": "an Excel", ".ods": "an OpenDocument spreadsheet",
    ".json": "a JSON", ".jsonl": "a JSON lines", ".arff": "an ARFF", ".feather": "a Feather",
    ".pkl": "a pickle", ".pickle": "a pickle", ".h5": "an HDF5", ".hdf5": "an HDF5",
    ".sav": "an SPSS", ".dta": "a Stata", ".sas7bdat": "a SAS", ".xml": "an XML",
}  # fmt: skip


def read_file(path: Path, max_rows: int | None = None, random_state: int = 0) -> pd.DataFrame:
    """The table in ``path``: CSV or TSV text (plain, gzip or zip) or parquet.

    Parameters
    ----------
    path : Path
    max_rows : int, optional
        Keep a uniform random sample of this many rows (all rows if the table has fewer);
        a big file is sampled while it is read.
    random_state : int
        Seed of the sample.

    Returns
    -------
    DataFrame, shape (n_rows, n_columns)
    """
    if max_rows is not None and max_rows < 1:
        raise BadInputError(f"max_rows must be a positive number of rows, not {max_rows}.")
    return sample_rows(_read(path, max_rows, random_state), max_rows, random_state)


def _read(path: Path, max_rows: int | None, random_state: int) -> pd.DataFrame:
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
        return _read_parquet(path, max_rows, random_state)
    if path.stat().st_size > BIG_FILE_MB * 2**20 and _opening(path) != ZIP_MAGIC:
        return _read_big_text(path, max_rows, random_state)
    return _read_text(path, path.read_bytes())


def _read_text(path: Path, raw: bytes) -> pd.DataFrame:
    """A CSV or TSV file's bytes (plain, gzip or zip) through pandas."""
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
        if raw[:2] == GZIP_MAGIC:
            return gzip.decompress(raw)
        if raw[:4] == ZIP_MAGIC:
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


# ---------------------------------------------------------------------------- big tables
def _opening(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(4)


def _is_gzip(path: Path) -> bool:
    return _opening(path)[:2] == GZIP_MAGIC


def _text_size(path: Path, gz: bool) -> int:
    """Bytes of the file's text: its size, or for gzip (``gz``) the size the trailer
    records (modulo 4 GiB, so at least the compressed size times 3, a low ratio for CSV)."""
    size = path.stat().st_size
    if not gz:
        return size
    with open(path, "rb") as handle:
        handle.seek(-4, 2)
        recorded = int.from_bytes(handle.read(4), "little")
    return max(recorded, 3 * size)


def _check_memory(path: Path, need_mb: float, what: str) -> None:
    free = available_mb()
    if need_mb > free:  # False where the free memory is unknown
        raise BadInputError(
            f"'{path}' needs about {need_mb / 1024:,.1f} GiB of memory to read ({what}); "
            f"this machine has {free / 1024:,.1f} GiB free. Read a random sample of it: "
            "load_table(..., max_rows=N) or --max-rows N (for example 1000000)."
        )


def _read_big_text(path: Path, max_rows: int | None, random_state: int) -> pd.DataFrame:
    """A big CSV or TSV file (plain or gzip) through pyarrow's reader."""
    import pyarrow as pa
    import pyarrow.csv as pv

    gz = _is_gzip(path)
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except (OSError, EOFError) as exc:
        raise BadInputError(f"File '{path}' looks compressed but is damaged ({exc}).") from exc
    if b"\x00" in head:
        raise BadInputError(
            f"File '{path}' holds NUL bytes: it looks binary, not like a CSV/TSV text file."
        )
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    if not text or "\n" not in text:  # not UTF-8, or a header longer than the head
        return _read_text(path, path.read_bytes())
    lines = text.replace("\r\n", "\n").split("\n")
    delimiter = _sniff_delimiter("\n".join(lines[:-1]), path)
    header = next(csv.reader(io.StringIO(lines[0]), delimiter=delimiter), [])
    check_duplicates([h.strip() for h in header], f"'{path}'")
    size = _text_size(path, gz)
    if max_rows is None:
        _check_memory(path, READ_PEAK_PER_BYTE * size / 2**20, f"{size / 2**30:,.1f} GiB of text")
    options = (
        pv.ReadOptions(use_threads=True, block_size=BLOCK_BYTES),
        pv.ParseOptions(delimiter=delimiter),
        pv.ConvertOptions(null_values=MISSING_MARKERS, strings_can_be_null=True,
                          auto_dict_encode=True, auto_dict_max_cardinality=MAX_DICTIONARY),
    )  # fmt: skip
    try:
        if max_rows is None:
            table = pv.read_csv(path, *options)
        else:
            per_row = max(len(head) / max(len(lines) - 1, 1), 1.0)
            share = min(1.0, 1.2 * max_rows / (size / per_row))  # more than enough rows
            table = _sampled(pv.open_csv(path, *options), share, random_state)
    except pa.ArrowInvalid as exc:
        raise _arrow_error(path, exc, delimiter, header) from exc
    if table.num_rows == 0:
        raise BadInputError(f"File '{path}' has a header but no data rows.")
    return _compact(table.to_pandas(split_blocks=True, self_destruct=True))


MAX_DICTIONARY = 1000  # text columns with at most this many distinct values become categories


def _sampled(batches: Iterator, share: float, random_state: int):  # type: ignore[no-untyped-def]
    """A table of a random ``share`` of the rows of a stream of record batches."""
    import pyarrow as pa

    rng = np.random.default_rng(random_state)
    kept = [batch.filter(pa.array(rng.random(batch.num_rows) < share)) for batch in batches]
    return pa.Table.from_batches(kept)


def _arrow_error(path: Path, exc: Exception, delimiter: str, header: list[str]) -> BadInputError:
    """pyarrow's error as ours, with the line number and column name pyarrow gives none of
    (found by reading the file again, on this error path only)."""
    message, n_columns = str(exc), len(header)
    if "Expected" in message and "columns" in message:
        line, fields = _first_bad_line(path, delimiter, n_columns)
        return BadInputError(
            f"File '{path}' could not be parsed as a table with delimiter {delimiter!r}: line "
            f"{line} has {fields} fields, the header has {n_columns}. Check that every row "
            "has as many fields as the header."
        )
    found = re.search(r"CSV column #(\d+): CSV conversion error to (\w+): invalid value '(.*)'",
                      message)  # fmt: skip
    if found and int(found.group(1)) < len(header):
        index, kind, value = int(found.group(1)), found.group(2), found.group(3)
        line = _first_line_with(path, delimiter, index, value)
        return BadInputError(
            f"Column '{header[index]}' of '{path}' holds numbers ({kind}) in its first rows, "
            f"then {value!r} on line {line}. Clean that value or leave the field empty "
            "(missing)."
        )
    return BadInputError(f"File '{path}' could not be read as a table: {message}.")


def _first_line_with(path: Path, delimiter: str, index: int, value: str) -> int:
    """The first line (1-based) whose field ``index`` is ``value`` (0 if none)."""
    with _open_text(path) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        for row in reader:
            if len(row) > index and row[index].strip() == value:
                return reader.line_num
    return 0


def _open_text(path: Path) -> IO[str]:
    """The file (plain or gzip) as text, for a second look at it."""
    if _is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace", newline="")
    return open(path, encoding="utf-8-sig", errors="replace", newline="")


def _first_bad_line(path: Path, delimiter: str, n_columns: int) -> tuple[int, int]:
    """The first line (1-based, header included) whose field count is not ``n_columns``,
    and its count; read again from the start, only when pyarrow has found one."""
    with _open_text(path) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        for row in reader:
            if row and len(row) != n_columns:
                return reader.line_num, len(row)
    return 0, n_columns


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """float64 columns as float32 where every distinct value stays distinct, for a table
    of more than ``BIG_FILE_MB`` in memory (a small one is left exactly as read)."""
    if frame.memory_usage(deep=False).sum() <= BIG_FILE_MB * 2**20:
        return frame
    for column in frame.columns[(frame.dtypes == np.float64).to_numpy()]:
        values = np.sort(frame[column].to_numpy())
        small = values.astype(np.float32)
        # Rounding to float32 keeps the order, so two distinct values meet only if two
        # neighbours in sorted order do (one sort instead of two distinct-value counts).
        if not np.any((values[1:] != values[:-1]) & (small[1:] == small[:-1])):
            frame[column] = frame[column].astype(np.float32)
    return frame


def _read_parquet(path: Path, max_rows: int | None, random_state: int) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise BadInputError(f"Reading '{path}' needs pyarrow: pip install pyarrow.") from exc
    try:
        parquet = pq.ParquetFile(path)
        meta = parquet.metadata
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if max_rows is None:
            _check_memory(path, 2 * size / 2**20, f"{meta.num_rows:,} rows")
            table = parquet.read()
        else:
            share = min(1.0, 1.2 * max_rows / max(meta.num_rows, 1))
            table = _sampled(parquet.iter_batches(), share, random_state)
        return _compact(table.to_pandas(split_blocks=True, self_destruct=True))
    except BadInputError:
        raise
    except Exception as exc:
        raise BadInputError(f"'{path}' is not a readable parquet file ({exc}).") from exc
