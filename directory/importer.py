"""Import the 自治体標準オープンデータセット lists (正式版 and 推奨 column sets, and common custom headers).

An import is one transaction: the file is parsed and validated completely first; a file that cannot
be understood is rejected with a message naming row and column, and nothing is written. Rows are
matched by stable key (the file's ID, else a hash of name + address), so re-imports update in place.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.csvfile import CsvError, Table, flag, read_table, to_number
from directory.models import KINDS, Place
from directory.texts import facility_texts
from search.vectors import store_entry_vectors

# Canonical field → header names seen in 正式版, 推奨 and custom files (compared after NFKC + lower case).
COMMON = {
    "key": ["id", "no", "property", "番号"],
    "name": ["名称", "name", "施設名", "施設名称", "避難所名", "設置施設名"],
    "kana": ["名称_カナ", "名称カナ", "ふりがな", "カナ"],
    "address": ["所在地_連結表記", "住所", "address", "所在地", "所在地_連結表記(住所)"],
    "building": ["建物名等(方書)", "方書"],
    "lat": ["緯度", "lat", "latitude", "y"],
    "lon": ["経度", "lon", "lng", "longitude", "x"],
    "phone": ["電話番号", "telephonenumber", "tel", "電話"],
    "url": ["url", "ホームページ"],
    "description": ["説明", "備考", "概要"],
    "days": ["利用可能曜日", "診療曜日"],
    "open": ["開始時間", "診療開始時間", "開館時間"],
    "close": ["終了時間", "診療終了時間", "閉館時間"],
    "hours_note": ["利用可能時間特記事項", "利用可能日時特記事項", "診療日時特記事項"],
    "capacity": ["想定収容人数", "capacity", "収容人数", "収容定員", "定員"],
}
SHELTER_FLAGS = {
    "flood": ["災害種別_洪水", "flood_l1", "flood_l2", "洪水"],
    "landslide": ["災害種別_崖崩れ、土石流及び地滑り", "sedimentdisaster", "土砂災害", "崖崩れ、土石流及び地滑り"],
    "storm_surge": ["災害種別_高潮", "stormsurge", "高潮"],
    "earthquake": ["災害種別_地震", "earthquake", "地震"],
    "tsunami": ["災害種別_津波", "tunami", "tsunami", "津波"],
    "fire": ["災害種別_大規模な火事", "fire", "大規模な火事"],
    "inland_flood": ["災害種別_内水氾濫", "inundation", "内水氾濫"],
    "volcano": ["災害種別_火山現象", "volcano", "火山現象"],
    "designated_shelter": ["指定避難所との重複", "evacuationspace", "指定避難所"],
}
EXTRA = {
    "facilities": {"category": ["種別", "分類", "施設分類"]},
    "childcare": {"category": ["種別"], "ages": ["受入年齢"], "temporary_care": ["一時預かりの有無"]},
    "aed": {"position": ["設置位置"], "pediatric": ["小児対応設備の有無"]},
    "hospitals": {"category": ["医療機関の種類"], "departments": ["診療科目"], "beds": ["病床数"],
                  "after_hours": ["時間外における対応"]},
    "shelters": {},
    # 自治体標準オープンデータセット イベント一覧 and the custom files cities publish (高松市): the date is free text
    "events": {"name": ["イベント名", "行事名", "名称"], "address": ["場所名称", "開催場所", "会場", "住所"],
               "date": ["開催日", "開催期間", "開始日"], "target": ["対象"], "fee": ["料金"], "apply": ["申込期間"],
               "department": ["問い合わせ先（市の担当課）", "問い合わせ先", "主催者"]},
}
JAPAN_LAT = (20.0, 46.0)
JAPAN_LON = (122.0, 154.0)


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""

    def summary(self) -> str:
        return (f"{self.kind}: {self.rows} rows — {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {len(self.skipped)} skipped ({self.encoding})")


def _find(headers: list[str], names: list[str]) -> int | None:
    wanted = [unicodedata.normalize("NFKC", n).lower() for n in names]
    lowered = [h.lower() for h in headers]
    for name in wanted:
        if name in lowered:
            return lowered.index(name)
    return None


def _columns(table: Table, kind: str) -> dict[str, int]:
    mapping = {**COMMON, **EXTRA[kind], **(SHELTER_FLAGS if kind == "shelters" else {})}
    found = {name: i for name, names in mapping.items() if (i := _find(table.headers, names)) is not None}
    missing = [n for n in ("name", "lat", "lon") if n not in found]
    if missing:
        tried = "; ".join(f"{n}: {', '.join(mapping[n][:4])}" for n in missing)
        raise CsvError(f"header (row 1): no column for {', '.join(missing)} (looked for {tried})")
    return found


def stable_key(raw_key: str, name: str, address: str) -> str:
    if raw_key.strip():
        return unicodedata.normalize("NFKC", raw_key).strip()[:80]
    digest = hashlib.sha1(f"{name}|{address}".encode()).hexdigest()[:16]
    return f"h-{digest}"


FIRST_NUMBER = re.compile(r"\d+\.\d+")


def _coordinates(row: list[str], cols: dict[str, int], line: int, headers: list[str],
                 warnings: list[str], several_places: bool = False) -> tuple[float | None, float | None]:
    """``several_places``: an event held in several places lists them in one cell (①34.33…\n②34.33…): the first
    is taken, with a warning."""
    values = []
    for field_name in ("lat", "lon"):
        cell = row[cols[field_name]]
        try:
            values.append(to_number(cell))
        except ValueError as exc:
            found = FIRST_NUMBER.findall(cell) if several_places else []
            if len(found) > 1:
                warnings.append(f"row {line}, column {headers[cols[field_name]]}: several places; the first is used")
                values.append(float(found[0]))
                continue
            raise CsvError(f"row {line}, column {headers[cols[field_name]]}: {cell!r} is not a number") from exc
    lat, lon = values
    if lat is None or lon is None:
        return None, None
    in_japan = JAPAN_LAT[0] <= lat <= JAPAN_LAT[1] and JAPAN_LON[0] <= lon <= JAPAN_LON[1]
    if not in_japan and JAPAN_LAT[0] <= lon <= JAPAN_LAT[1] and JAPAN_LON[0] <= lat <= JAPAN_LON[1]:
        warnings.append(f"row {line}: latitude and longitude were swapped; corrected")
        return lon, lat
    if not in_japan:
        raise CsvError(f"row {line}, column {headers[cols['lat']]}/{headers[cols['lon']]}: ({lat}, {lon}) "
                       "is not in Japan (latitude 20–46, longitude 122–154)")
    return lat, lon


def parse_rows(table: Table, kind: str, report: ImportReport) -> list[dict[str, Any]]:
    """Turn a table into place records; raises CsvError for anything not understood."""
    cols = _columns(table, kind)

    def get(row: list[str], name: str) -> str:
        i = cols.get(name)
        return unicodedata.normalize("NFKC", row[i]).strip() if i is not None else ""

    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(table.rows):
        line = index + 2  # 1-based, after the header
        name = get(row, "name")
        if not name:
            report.skipped.append(f"row {line}: no name")
            continue
        lat, lon = _coordinates(row, cols, line, table.headers, report.warnings, several_places=kind == "events")
        if lat is None:
            report.warnings.append(f"row {line}: no coordinates ({name})")
        address = " ".join(p for p in (get(row, "address"), get(row, "building")) if p)
        key = stable_key(get(row, "key"), name, address)
        if key in seen:
            report.skipped.append(f"row {line}: same key as row {seen[key]} ({name})")
            continue
        seen[key] = line
        capacity = None
        if "capacity" in cols and get(row, "capacity") and kind != "events":  # an event's 定員 is text (10人, なし)
            try:
                number = to_number(get(row, "capacity"))
                capacity = int(number) if number is not None else None
            except ValueError as exc:
                raise CsvError(f"row {line}, column {table.headers[cols['capacity']]}: "
                               f"{get(row, 'capacity')!r} is not a number") from exc
        hours = " ".join(p for p in (get(row, "days"), "〜".join(x for x in (get(row, "open"), get(row, "close"))
                                                                if x), get(row, "hours_note")) if p)
        attributes: dict[str, Any] = {name_: get(row, name_) for name_ in EXTRA[kind] if get(row, name_)}
        if kind == "events" and get(row, "capacity"):
            attributes["capacity"] = get(row, "capacity")
        if kind == "shelters":
            attributes["disasters"] = {f: flag(get(row, f)) for f in SHELTER_FLAGS if f != "designated_shelter"
                                       and f in cols}
            attributes["designated_shelter"] = flag(get(row, "designated_shelter")) == "yes"
        records.append({"key": key, "name": name, "kana": get(row, "kana"), "address": address, "lat": lat,
                        "lon": lon, "phone": get(row, "phone"), "url": get(row, "url"), "hours": hours[:300],
                        "description": get(row, "description"), "capacity": capacity, "attributes": attributes})
    return records


FIELDS = ("name", "kana", "address", "lat", "lon", "phone", "url", "hours", "description", "capacity", "attributes")


def import_places(session: Session, municipality_id: int, kind: str, data: bytes,
                  progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None) -> ImportReport:
    """Parse everything, then upsert by key in the caller's transaction (roll back for --dry-run)."""
    if kind not in KINDS:
        raise CsvError(f"unsupported kind {kind!r} (supported: {', '.join(KINDS)})")
    report = ImportReport(kind)
    table = read_table(data)
    report.encoding = table.encoding
    records = parse_rows(table, kind, report)
    report.rows = len(table.rows)
    existing = {p.key: p for p in session.scalars(select(Place).where(Place.municipality_id == municipality_id,
                                                                     Place.kind == kind))}
    changed = []
    for record in (progress(records) if progress else records):
        place = existing.get(record["key"])
        if place is None:
            place = Place(municipality_id=municipality_id, kind=kind, **record)
            session.add(place)
            changed.append(place)
            report.created += 1
        elif all(getattr(place, f) == record[f] for f in FIELDS):
            report.unchanged += 1
        else:
            for f in FIELDS:
                setattr(place, f, record[f])
            changed.append(place)
            report.updated += 1
    session.flush()
    if kind == "facilities":  # facilities are searched with the FAQ: store their sentence vectors now
        store_entry_vectors(session, [facility_texts(p) for p in changed])
    return report
