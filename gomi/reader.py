"""Reading a 5374 data folder (or zip) as the cities publish it, problems and all.

The files are hand-made in Excel by many towns: UTF-8 with or without BOM or Shift_JIS, CRLF or LF, blank lines,
quoted cells with newlines (target.csv notices), leading columns before the centre (``マスター``, 地区区分…),
trailing columns with a blank header, duplicate area names, white space around centre names. Everything here is
read leniently but never silently guessed: every cell that cannot be understood becomes a :class:`Problem`
(file, row, column, text, what is wrong), and the rest of the file is kept.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from gomi.spec import Pause, Spec, SpecError, clean, parse

FILES = ("area_days.csv", "center.csv", "description.csv", "target.csv", "remarks.csv", "area.csv")
MAX_FILE_BYTES = 20 * 1024 * 1024


class DatasetError(ValueError):
    """The folder cannot be read at all (no area_days.csv, not a zip, too large…)."""


@dataclass(frozen=True)
class Problem:
    file: str
    row: int  # 1-based, as a spreadsheet shows it (the header is row 1)
    column: str  # the column's header (or its number)
    text: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "row": self.row, "column": self.column, "text": self.text,
                "message": self.message}


@dataclass
class Area:
    name: str  # unique within the dataset (a duplicate label gets its centre or a number)
    raw_name: str
    centre: str
    district: str
    specs: dict[str, Spec]  # type label → spec (types whose cell could not be read are missing)
    cells: dict[str, str]  # type label → the cell as written


@dataclass
class TypeInfo:
    label: str
    sublabel: str = ""
    description: str = ""
    colour: str = ""


@dataclass
class Item:
    name: str
    type_label: str
    notice: str = ""


@dataclass
class Dataset:
    areas: list[Area] = field(default_factory=list)
    types: list[TypeInfo] = field(default_factory=list)
    pauses: dict[str, list[Pause]] = field(default_factory=lambda: defaultdict(list))  # centre → ranges
    items: list[Item] = field(default_factory=list)
    remarks: dict[int, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def area(self, raw_name: str) -> Area | None:
        """The area a resident or a test case names (the first of duplicates)."""
        for area in self.areas:
            if area.name == raw_name:
                return area
        key = clean(raw_name)
        return next((a for a in self.areas if clean(a.raw_name) == key), None)

    def pauses_for(self, area: Area) -> tuple[Pause, ...]:
        return tuple(self.pauses.get(centre_key(area.centre), ()))


def centre_key(name: str) -> str:
    """Centre names are compared without white space (``我孫子市クリーンセンター `` in area_days.csv is the centre
    of center.csv's ``我孫子市クリーンセンター``)."""
    return clean(name).replace(" ", "")


def decode(data: bytes, name: str) -> str:
    """UTF-8 (BOM or not), else Shift_JIS (cp932, with the vendor characters Excel writes)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError as exc:
            raise DatasetError(f"{name}: UTF-8 でも Shift_JIS でも読めません（{exc.start} バイト目）") from None
    return text.lstrip("\ufeff")


def rows_of(text: str) -> list[tuple[int, list[str]]]:
    """CSV rows with their 1-based line numbers; quoted cells may hold newlines; blank rows skipped."""
    reader = csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise DatasetError(f"CSV として読めません（{reader.line_num} 行目: {exc}）") from None
    return rows


def load_files(source: Path | str | bytes) -> dict[str, str]:
    """The 5374 files of a folder, a zip file or zip bytes, decoded. A zip may hold them in a sub-folder
    (``data/``), as the forks do."""
    raw: dict[str, bytes] = {}
    if isinstance(source, bytes) or (Path(source).is_file() and zipfile.is_zipfile(source)):
        try:
            archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else Path(source))
        except zipfile.BadZipFile:
            raise DatasetError("zip ファイルとして読めません") from None
        with archive:
            for info in archive.infolist():
                base = info.filename.rsplit("/", 1)[-1]
                if base in FILES and base not in raw:
                    if info.file_size > MAX_FILE_BYTES:
                        raise DatasetError(f"{base}: 大きすぎます（{info.file_size} バイト）")
                    raw[base] = archive.read(info)
    else:
        folder = Path(source)
        if not folder.is_dir():
            raise DatasetError(f"{folder}: フォルダーでも zip ファイルでもありません")
        for name in FILES:
            path = folder / name
            if path.is_file():
                if path.stat().st_size > MAX_FILE_BYTES:
                    raise DatasetError(f"{name}: 大きすぎます")
                raw[name] = path.read_bytes()
    if "area_days.csv" not in raw and "area.csv" in raw:  # the forks without a centre column call it area.csv
        raw["area_days.csv"] = raw.pop("area.csv")
    raw.pop("area.csv", None)
    if "area_days.csv" not in raw:
        raise DatasetError("area_days.csv がありません")
    return {name: decode(data, name) for name, data in raw.items()}


def read(source: Path | str | bytes) -> Dataset:
    files = load_files(source)
    data = Dataset()
    _read_descriptions(files.get("description.csv", ""), data)
    _read_area_days(files["area_days.csv"], data)
    _read_centres(files.get("center.csv", ""), data)
    _read_items(files.get("target.csv", ""), data)
    _read_remarks(files.get("remarks.csv", ""), data)
    _note_unknown_item_types(data)
    return data


def _note_unknown_item_types(data: Dataset) -> None:
    """Dictionary types the calendar does not have: often on purpose (「市で収集しない」), sometimes a sign the
    dictionary belongs to another town (Abiko's target.csv is Kanazawa's relabelled) — staff see them in the
    preview before saving."""
    calendar = {clean(t.label) for t in data.types}
    counts: dict[str, int] = defaultdict(int)
    for item in data.items:
        if clean(item.type_label) not in calendar:
            counts[item.type_label] += 1
    for label, count in counts.items():
        data.notes.append(f"target.csv の種類「{label}」（{count}品目）は area_days.csv の収集区分にありません"
                          "（収集日は案内しません）")


def _layout(header: list[str], rows: list[tuple[int, list[str]]], described: set[str]) -> tuple[int, int | None]:
    """(label column, centre column or None). Standard ``地名,センター,<types>``; ``マスター,地名,センター``; several
    leading columns before a ``センター`` column; Amagasaki's ``地名,地区`` (the column after the label is the centre
    whatever its name) — unless that column is a garbage type (described in description.csv, or its cells are day
    specs), as in forks without a centre column (awoni's ``area.csv``)."""
    names = [clean(h) for h in header]
    centre = next((i for i, h in enumerate(names) if "センター" in h), -1)
    label = 1 if names and names[0] == "マスター" else 0
    if centre >= 0:
        return label, centre
    candidate = label + 1
    if candidate < len(names) and names[candidate] in described:
        return label, None
    cells = [row[candidate] for _, row in rows[1:] if candidate < len(row) and clean(row[candidate])]
    readable = 0
    for cell in cells:
        try:
            readable += parse(cell).collected
        except SpecError:
            pass
    return (label, None) if cells and readable >= 0.8 * len(cells) else (label, candidate)


def _read_area_days(text: str, data: Dataset) -> None:
    rows = rows_of(text)
    if not rows:
        raise DatasetError("area_days.csv が空です")
    _, header = rows[0]
    described = {clean(t.label): t for t in data.types}
    label_col, centre_col = _layout(header, rows, set(described))
    first_type = (label_col if centre_col is None else centre_col) + 1
    # type labels as written (a resident reads them), compared by their NFKC form across the files
    columns = [(i, h.strip()) for i, h in enumerate(header) if i >= first_type and clean(h)]
    data.types = []
    for _, type_label in columns:
        info = described.get(clean(type_label))
        data.types.append(TypeInfo(type_label, info.sublabel, info.description, info.colour) if info
                          else TypeInfo(type_label))
    seen_rows: dict[tuple[str, ...], int] = {}
    names: dict[str, int] = defaultdict(int)
    for line, row in rows[1:]:
        cells = row + [""] * (len(header) - len(row))
        raw_name = cells[label_col].strip() if label_col < len(cells) else ""
        if not raw_name:
            data.problems.append(Problem("area_days.csv", line, header[label_col] if header else "1", ",".join(row),
                                         "地名が空の行です（読み飛ばしました）"))
            continue
        signature = tuple(clean(c) for c in cells)
        if signature in seen_rows:
            data.notes.append(f"area_days.csv {line} 行目は {seen_rows[signature]} 行目と同じ内容です（一つにまとめました）")
            continue
        seen_rows[signature] = line
        centre = cells[centre_col].strip() if centre_col is not None and centre_col < len(cells) else ""
        # the columns between the label and the centre (地区, 校下…) group areas for choosing from a list
        district = cells[label_col + 1].strip() if centre_col is not None and centre_col - label_col >= 2 and \
            label_col + 1 < len(cells) else ""
        specs: dict[str, Spec] = {}
        written: dict[str, str] = {}
        for index, type_label in columns:
            cell = cells[index] if index < len(cells) else ""
            written[type_label] = cell
            try:
                specs[type_label] = spec = parse(cell)
            except SpecError as exc:
                data.problems.append(Problem("area_days.csv", line, type_label, cell,
                                             f"「{exc.token}」: {exc.reason}（この種類はこの地区で表示しません）"))
                continue
            for skipped in spec.skipped:
                data.problems.append(Problem("area_days.csv", line, type_label, cell,
                                             f"「{skipped.token}」: {skipped.reason}（この部分だけ読み飛ばし、残りは取り込みました）"))
        names[raw_name] += 1
        name = raw_name
        if names[raw_name] > 1:
            name = f"{raw_name}（{centre}）" if centre and all(a.centre != centre for a in data.areas
                                                              if a.raw_name == raw_name) else \
                f"{raw_name}（{names[raw_name]}）"
            data.notes.append(f"area_days.csv {line} 行目: 地名「{raw_name}」が重複しているため「{name}」として取り込みました")
        data.areas.append(Area(name, raw_name, centre, district, specs, written))


def _read_centres(text: str, data: Dataset) -> None:
    for line, row in rows_of(text)[1:]:
        if len(row) < 3:
            data.problems.append(Problem("center.csv", line, "", ",".join(row), "名称・休止開始日・休止終了日の3列が必要です"))
            continue
        try:
            start, end = _slash_date(row[1]), _slash_date(row[2])
        except ValueError:
            data.problems.append(Problem("center.csv", line, "休止開始日", ",".join(row[:3]),
                                         "日付は 2026/12/29 のように書きます"))
            continue
        if end < start:
            data.problems.append(Problem("center.csv", line, "休止終了日", ",".join(row[:3]),
                                         "終了日が開始日より前です"))
            continue
        data.pauses[centre_key(row[0])].append((start, end))


def _slash_date(text: str) -> date:
    parts = clean(text).replace("-", "/").replace(".", "/").split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(text)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def _read_descriptions(text: str, data: Dataset) -> None:
    rows = rows_of(text)
    for _, row in rows[1:]:
        cells = [c.strip() for c in row] + [""] * 5
        if not cells[0]:
            continue
        colour = cells[4] if cells[4].startswith("#") else ""
        data.types.append(TypeInfo(cells[0], cells[1], cells[2], colour))


def _read_items(text: str, data: Dataset) -> None:
    rows = rows_of(text)
    if not rows:
        return
    header = [clean(h).lower() for h in rows[0][1]]
    col = {name: header.index(name) for name in ("type", "name", "notice") if name in header}
    type_col, name_col, notice_col = col.get("type", 0), col.get("name", 1), col.get("notice", 2)
    for line, row in rows[1:]:
        cells = row + [""] * 4
        name, type_label = cells[name_col].strip(), cells[type_col].strip()
        if not name or not type_label:
            data.problems.append(Problem("target.csv", line, "name" if not name else "type", ",".join(row)[:200],
                                         "品目名または分別区分が空です（読み飛ばしました）"))
            continue
        data.items.append(Item(name, type_label, cells[notice_col].strip()))


def _read_remarks(text: str, data: Dataset) -> None:
    for line, row in rows_of(text)[1:]:
        if len(row) < 2 or not clean(row[0]).isdigit():
            data.problems.append(Problem("remarks.csv", line, "ID", ",".join(row)[:200], "ID は数字で書きます"))
            continue
        data.remarks[int(clean(row[0]))] = row[1].strip()
