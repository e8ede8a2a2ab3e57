"""Trim the open-data CSVs in ../shared/eval/opendata to the rows the tests need, byte for byte.

Why: the tests must run in a clone with nothing beside it (tests/data/opendata), yet the files should
keep every quirk of the real ones — encoding, BOM, line ends, line breaks inside quoted cells, blank
header cells, half-width kana, thousands separators, rows without a name or coordinates, duplicate keys.
Records are cut out of the raw text (never re-written by a CSV writer), so what is kept is exactly what
the municipality published. Which rows are kept: the first ``--head`` records, every record the importer
skips or warns about, every record with a thousands separator, the records the tests name, the last
record (some files lack the final line end) and up to five records with a line break inside a cell.

    python scripts/trim_opendata.py ../shared/eval/opendata tests/data/opendata
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory.csvfile import read_table  # noqa: E402
from directory.importer import ImportReport, parse_rows  # noqa: E402

KINDS = {
    "ichikawa_122033_101_public_facility.csv": ("facilities", ["市川小学校"]),
    "ichikawa_122033_103_evacuation_space.csv": ("shelters", ["県立国分高校"]),
    "ichikawa_122033_108_aed.csv": ("aed", []),
    "ichikawa_122033_105_preschool.csv": ("childcare", ["アンデルセン幼稚園"]),
    "okinawa_470007_hospital.csv": ("hospitals", ["国立療養所沖縄愛楽園"]),
    "takamatsu_evacuation_space_0060.csv": ("shelters", ["日新小学校跡施設"]),
    "takamatsu_events_data.csv": (None, []),
}
ROW = re.compile(r"row (\d+)")


def split_records(text: str) -> list[str]:
    """Split CSV text into raw records (line end included), honouring quotes."""
    records, start, quoted = [], 0, False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "\r\n":
            end = i + (2 if text.startswith("\r\n", i) else 1)
            records.append(text[start:end])
            start = i = end
            continue
        i += 1
    if start < len(text):
        records.append(text[start:])
    return records


def decode(raw: bytes) -> tuple[str, str, bytes]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8", b"\xef\xbb\xbf"
    try:
        return raw.decode("utf-8"), "utf-8", b""
    except UnicodeDecodeError:
        return raw.decode("cp932"), "cp932", b""


def trim(source: Path, target: Path, kind: str | None, names: list[str], head: int) -> tuple[int, int]:
    raw = source.read_bytes()
    text, encoding, bom = decode(raw)
    records = split_records(text)
    keep = set(range(1, min(head, len(records) - 1) + 1))
    if kind is not None:
        report = ImportReport(kind)
        parse_rows(read_table(raw), kind, report)
        # The importer counts the header as row 1: record k (1-based data index) is row k + 1.
        for message in report.skipped + report.warnings:
            keep.update(int(row) - 1 for row in ROW.findall(message))
    keep.add(len(records) - 1)  # the last record: some files lack the final line end
    multiline = 0
    for index, record in enumerate(records[1:], start=1):
        body = record.rstrip("\r\n")
        if ("\n" in body or "\r" in body) and multiline < 5:
            multiline += 1
            keep.add(index)
        if re.search(r'"\d{1,3}(,\d{3})+\s*"', body) or any(n in body for n in names):
            keep.add(index)
    kept = [records[0]] + [records[i] for i in sorted(keep) if i < len(records)]
    target.write_bytes(bom + "".join(kept).encode(encoding))
    return len(records) - 1, len(kept) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--head", type=int, default=20)
    args = parser.parse_args()
    args.target.mkdir(parents=True, exist_ok=True)
    for name, (kind, names) in KINDS.items():
        total, kept = trim(args.source / name, args.target / name, kind, names, args.head)
        print(f"{name}: {kept} of {total} records")


if __name__ == "__main__":
    main()
