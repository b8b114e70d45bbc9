"""RAW file checks, run on every CSV before any engine reads it.

A CSV reader that meets a row with too few or too many fields, a wrong byte encoding or a cut-off
last line either fails with a message about its own internals or, worse, pads, merges or drops
rows. So each file of ``raw/<tabla>/`` (and of its monthly deliveries ``raw/<tabla>/entrega=YYYY-MM/``) is checked first, streaming (memory stays flat whatever
the file size): its header names the contract's columns (lds_utils.lake.schema; any order, no column
missing or extra), it is UTF-8 (a leading byte-order mark is allowed), every record has exactly the
header's number of fields (RFC 4180 quoting: commas and line breaks inside double quotes belong to
the value), line endings are consistent (all LF or all CRLF), and the file ends with a line break
(one that does not was most likely cut off in transfer). Empty lines are skipped, as the engines
skip them. A RAW file, a table folder or raw/ itself that is a symbolic link is refused before
anything is read through it (the lake holds its data; a link could point anywhere, and an error
message must not show a line of its target). A file that breaks a rule stops the run with one
message naming the table, the file and the line; the record counts the check returns are compared with what the engine read, so no row
can be lost or invented between the files and ``raw_db``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lds_utils.config import AMI_TABLES, RAW_TABLES, LakePaths, UsageError
from lds_utils.lake.schema import column_names

CHUNK_BYTES = 8 << 20
MAX_LINE_BYTES = 64 << 20
BOM = b"\xef\xbb\xbf"
OTHER_DELIMITERS = (";", "\t", "|")
#: A monthly delivery of a RAW table: raw/<tabla>/entrega=YYYY-MM/.
DELIVERY_FOLDER = re.compile(r"entrega=([0-9]{4}-[0-9]{2})")
#: The delivery of the files directly in a table folder: before every dated one (it sorts first).
UNDATED = "0000-00"
_COMMA, _QUOTE, _LF, _CR = (ord(c) for c in ',"\n\r')


class RawInputError(UsageError):
    """A RAW file that cannot be read without losing, padding or merging rows."""


@dataclass(frozen=True)
class RawFile:
    path: Path
    columns: tuple[str, ...]  # as ordered in the file's header
    rows: int  # data records (header and empty lines excluded)


def check_raw(lake: Path, only: Collection[Path] | None = None) -> dict[str, list[RawFile]]:
    """Check every file of every RAW table, or only some of them (several files at once); return each table's
    checked files."""
    lake = Path(lake)
    jobs = [(table, path) for table in RAW_TABLES for path in table_files(LakePaths(lake).raw_table(table), table)
            if only is None or path in only]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # numpy releases the GIL
        checked = list(pool.map(lambda job: check_file(job[1], job[0], column_names(job[0]), lake), jobs))
    files: dict[str, list[RawFile]] = {table: [] for table in RAW_TABLES}
    for (table, _), raw_file in zip(jobs, checked):
        files[table].append(raw_file)
    return files


def table_files(folder: Path, table: str) -> list[Path]:
    """The *.csv files of a RAW table: its monthly deliveries (``entrega=YYYY-MM/*.csv``, in month order) after any
    file directly in the table folder (an undated delivery, which comes before every dated one). Anything else
    there (but hidden or _marker entries) is an error, and so is a table without files, but for the smart meters'
    tables (config.AMI_TABLES): a lake without smart-meter data has none."""
    for link in (folder.parent, folder):
        if link.is_symlink():
            raise RawInputError(f"raw table {table!r}: {link} is a symbolic link; RAW data must be inside the lake "
                                "(copy the files in)")
    files = []
    if folder.is_dir():
        files = _csv_files(folder, table, deliveries=True)
        for delivery in _visible(folder, table):
            if delivery.is_dir():
                files += _csv_files(delivery, table, deliveries=False)
    if not files and table not in AMI_TABLES:
        raise RawInputError(f"raw table {table!r} has no CSV files in {folder}")
    return files


def delivery_of(path: Path) -> str:
    """The month of the delivery a RAW file belongs to ('YYYY-MM'), or UNDATED for a file directly in its table
    folder."""
    found = DELIVERY_FOLDER.fullmatch(path.parent.name)
    return found.group(1) if found else UNDATED


def _visible(folder: Path, table: str) -> list[Path]:
    entries = sorted(entry for entry in folder.iterdir() if not entry.name.startswith((".", "_")))
    links = [entry.name for entry in entries if entry.is_symlink()]
    if links:
        raise RawInputError(f"raw table {table!r}: {folder} holds symbolic links ({', '.join(links)}); RAW files "
                            "must be inside the lake (copy them in)")
    return entries


def _csv_files(folder: Path, table: str, deliveries: bool) -> list[Path]:
    """The *.csv files of one folder; in the table folder, delivery folders may sit beside them."""
    entries = _visible(folder, table)
    csv = [entry for entry in entries if entry.is_file() and entry.name.endswith(".csv")]
    allowed = [entry for entry in entries if deliveries and entry.is_dir() and _delivery_month(entry.name)]
    strays = [entry.name for entry in entries if entry not in csv and entry not in allowed]
    if strays:
        holds = "*.csv files and entrega=YYYY-MM/ folders of them" if deliveries else "*.csv files only"
        raise RawInputError(f"raw table {table!r}: unexpected {', '.join(strays)} in {folder} (a RAW table holds "
                            f"{holds})")
    if not deliveries and not csv:
        raise RawInputError(f"raw table {table!r}: the delivery folder {folder} holds no CSV file")
    return csv


def _delivery_month(name: str) -> bool:
    found = DELIVERY_FOLDER.fullmatch(name)
    return bool(found) and 1 <= int(found.group(1)[5:]) <= 12


def read_header(path: Path, table: str, expected: list[str], lake: Path | None = None) -> tuple[str, ...]:
    """The file's column names, checked against the expected ones (same set, any order)."""
    where = _Where(table, path, lake)
    with open(path, "rb") as handle:
        first = handle.readline(MAX_LINE_BYTES)
    if not first:
        raise where.error(None, "the file is empty (not even a header row)")
    if not first.endswith(b"\n"):
        raise where.error(1, "the header row does not end with a line break")
    text = _decode(first.removeprefix(BOM), where, 1).rstrip("\r\n")
    names = tuple(name.strip().strip('"').strip().lower() for name in text.split(","))
    _check_names(names, expected, text, where)
    return names


def ends_lines_with_crlf(path: Path) -> bool:
    """Whether the file's lines end with CRLF (its header's ending rules the file: check_file refuses a mix)."""
    with open(path, "rb") as handle:
        return handle.readline(MAX_LINE_BYTES).endswith(b"\r\n")


def check_file(path: Path, table: str, expected: list[str], lake: Path | None = None) -> RawFile:
    columns = read_header(path, table, expected, lake)
    with open(path, "rb") as handle:
        header = handle.readline(MAX_LINE_BYTES)
        scan = _Scan(_Where(table, path, lake), len(columns), crlf=header.endswith(b"\r\n"))
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            scan.feed(block)
    return RawFile(path, columns, scan.finish())


# -- messages ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Where:
    table: str
    path: Path
    lake: Path | None

    def error(self, line: int | None, problem: str) -> RawInputError:
        shown = self.path.relative_to(self.lake) if self.lake and self.path.is_relative_to(self.lake) else self.path
        at = f", line {line:,}" if line else ""
        return RawInputError(f"raw table {self.table!r}, file {shown}{at}: {problem}")


def _decode(data: bytes, where: _Where, first_line: int) -> str:
    """data (whole lines, the first one numbered first_line) as text; not UTF-8 is an error naming the line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = first_line + data.count(b"\n", 0, error.start)
        bad = data[error.start:error.start + 2].hex(" ")
        raise where.error(line, f"not valid UTF-8 (bytes {bad}); RAW files are UTF-8: re-encode the extract, "
                                f"e.g. `iconv -f latin1 -t utf-8` for a Latin-1 one") from None


def _check_names(names: tuple[str, ...], expected: list[str], text: str, where: _Where) -> None:
    if len(names) == 1:
        for delimiter in OTHER_DELIMITERS:
            if len(text.split(delimiter)) > 1:
                raise where.error(1, f"the header is separated by {delimiter!r}; RAW files are comma-separated")
    repeated = sorted({name for name in names if names.count(name) > 1})
    missing = [name for name in expected if name not in names]
    extra = [name for name in names if name not in expected]
    problems = [
        f"{label} column(s) {', '.join(found)}"
        for label, found in (("missing", missing), ("unexpected", extra), ("repeated", repeated))
        if found
    ]
    if problems:
        raise where.error(1, f"the header does not match the table's columns: {'; '.join(problems)}")


# -- the streaming scan ------------------------------------------------------------------------------------
class _Scan:
    """Counts records and checks fields per record, chunk by chunk, with numpy (no loop over rows).

    Chunks are cut after their last line break, so every processed buffer holds whole lines: UTF-8
    never splits across buffers and line numbers are simple counts. The quote state and the commas
    of a record still open (a quoted value holding a line break) carry over to the next buffer.
    """

    def __init__(self, where: _Where, n_columns: int, crlf: bool):
        self.where = where
        self.n_commas = n_columns - 1
        self.crlf = crlf  # the header's line ending rules the whole file
        self.lines = 1  # lines before the current buffer (the header)
        self.records = 0
        self.pending = b""  # bytes after the last line break seen
        self.in_quotes = 0
        self.open_commas = 0  # commas of a record continued from the previous buffer

    def feed(self, block: bytes) -> None:
        data = self.pending + block
        cut = data.rfind(b"\n") + 1
        self.pending = data[cut:]
        if len(self.pending) > MAX_LINE_BYTES:
            raise self.where.error(self.lines + 1, f"a line longer than {MAX_LINE_BYTES >> 20} MB: not a CSV record")
        if cut:
            self._lines(data, cut)

    def finish(self) -> int:
        if self.pending:
            raise self.where.error(self.lines + 1, "the file ends without a line break: it looks truncated "
                                                   "(if the extract is complete, add the final line break)")
        if self.in_quotes:
            raise self.where.error(self.lines, "a double quote is never closed")
        return self.records

    def _lines(self, data: bytes, cut: int) -> None:
        """Check data[:cut], which ends with a line break (data is not sliced: no copy of the buffer)."""
        if not data.isascii():
            _decode(data[:cut], self.where, self.lines + 1)
        raw = np.frombuffer(data, dtype=np.uint8, count=cut)
        continuing = bool(self.in_quotes)
        separators = (raw == _COMMA) | (raw == _LF)
        quoted = continuing or b'"' in data
        if quoted:
            separators &= self._outside_quotes(raw)
        positions = np.flatnonzero(separators)
        is_end = raw[positions] == _LF
        ends = positions[is_end]
        if b"\r" in data or self.crlf:
            self._check_line_endings(raw, ends, data)
        self._count_records(np.flatnonzero(is_end), ends, len(positions), data, continuing)
        self.lines += int(np.count_nonzero(raw == _LF)) if quoted else len(ends)

    def _outside_quotes(self, raw: np.ndarray) -> np.ndarray:
        parity = (np.cumsum(raw == _QUOTE, dtype=np.int64) + self.in_quotes) & 1
        self.in_quotes = int(parity[-1])
        return parity == 0

    def _line_of(self, data: bytes, position: int) -> int:
        return self.lines + data.count(b"\n", 0, position) + 1

    def _check_line_endings(self, raw: np.ndarray, ends: np.ndarray, data: bytes) -> None:
        with_cr = raw[np.maximum(ends - 1, 0)] == _CR
        mixed = np.flatnonzero(with_cr != self.crlf)
        if len(mixed):
            raise self.where.error(self._line_of(data, int(ends[mixed[0]])),
                                   "line endings change between LF and CRLF within the file")
        carriage_returns = np.flatnonzero(raw == _CR)
        if len(carriage_returns) != len(ends) * self.crlf:
            stray = np.setdiff1d(carriage_returns, ends - 1)
            raise self.where.error(self._line_of(data, int(stray[0])),
                                   "a carriage return inside a line (old Mac line endings?)")

    def _count_records(self, end_index: np.ndarray, ends: np.ndarray, n_separators: int, data: bytes,
                       continuing: bool) -> None:
        """end_index: rank of each record end among the buffer's separators (commas and ends outside quotes)."""
        if len(ends) == 0:  # every line break of the buffer sits inside an open quoted value
            self.open_commas += n_separators
            return
        per_record = np.diff(end_index, prepend=-1) - 1
        per_record[0] += self.open_commas
        self.open_commas = n_separators - int(end_index[-1]) - 1
        starts = np.concatenate(([0], ends[:-1] + 1))
        empty = ends - starts == (1 if self.crlf else 0)
        empty[0] &= not continuing
        wrong = np.flatnonzero(~empty & (per_record != self.n_commas))
        if len(wrong):
            index = int(wrong[0])
            raise self.where.error(
                self._line_of(data, int(ends[index])),
                f"{int(per_record[index]) + 1} field(s) where the header has {self.n_commas + 1} "
                "(a value holding a comma must be in double quotes)",
            )
        self.records += len(ends) - int(empty.sum())
