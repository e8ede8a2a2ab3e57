"""Reading towns' 5374 files: the real ones byte for byte (tests/data/gomi) against an independent interpreter's
answers, and the shapes other towns' files take (Shift_JIS, quoted multi-line cells, extra columns, duplicate
areas, bad tokens) — every problem listed with file, row, column and text, the rest imported."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest

from gomi.reader import DatasetError, read
from gomi.spec import month_dates, next_date
from tests.helpers import DATA

GOMI = DATA / "gomi"


def cases(name: str) -> list[dict]:
    return [json.loads(line) for line in (GOMI / name).read_text(encoding="utf-8").splitlines()]


def types_on(data, area, day: date, mode: str) -> list[str]:
    pauses = data.pauses_for(area)
    return sorted(label for label, spec in area.specs.items()
                  if day in month_dates(spec, day.year, day.month, pauses, mode))


def test_real_cities_next_date_and_types_match_the_independent_interpreter() -> None:
    data = {city: read(GOMI / city) for city in ("kanazawa", "ayabe", "abiko")}
    assert all(not d.problems for d in data.values())
    wrong = []
    for case in cases("cases.jsonl"):
        city = data[case["city"]]
        area = city.area(case["area"])
        assert area is not None, case["area"]
        got = next_date(area.specs[case["type"]], date.fromisoformat(case["date"]), city.pauses_for(area))
        if got is None or got.isoformat() != case["next_date"] or \
                types_on(city, area, got, "skip") != sorted(case["types_on_next_date"]):
            wrong.append(case["id"])
    assert wrong == []


@pytest.mark.parametrize("mode, key", [("skip", "skip"), ("shift", "kanazawa")])
def test_year_end_pauses_in_both_modes(mode: str, key: str) -> None:
    data = {city: read(GOMI / city) for city in ("kanazawa", "ayabe", "abiko")}
    for case in cases("pause_cases.jsonl"):
        city = data[case["city"]]
        area = city.area(case["area"])
        spec = area.specs.get(case["type"])
        got = next_date(spec, date.fromisoformat(case["date"]), city.pauses_for(area), mode) if spec else None
        expected = case["answers"][key]
        assert (got.isoformat() if got else None) == expected["next_date"], case
        if got:
            assert types_on(city, area, got, mode) == sorted(expected["types_on_next_date"])


def test_dictionary_types_the_calendar_lacks_are_noted_for_staff(tmp_path: Path) -> None:
    write(tmp_path, "area_days.csv", "地名,センター,燃やすごみ\n東町,,月 木\n")
    write(tmp_path, "target.csv", "type,name,notice,furigana\n燃やすごみ,紙くず,,か\n資源,空き缶,,あ\n資源,新聞,,し\n")
    notes = read(tmp_path).notes
    assert any("「資源」（2品目）は area_days.csv の収集区分にありません" in n for n in notes)


def test_centre_names_match_without_white_space() -> None:
    abiko = read(GOMI / "abiko")
    area = abiko.areas[0]
    assert area.centre.endswith("センター") and abiko.pauses_for(area)  # 「我孫子市クリーンセンター 」 in area_days


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> None:
    (folder / name).write_bytes(text.encode(encoding))


def test_messy_files_import_with_every_problem_listed(tmp_path: Path) -> None:
    write(tmp_path, "area_days.csv",
          "マスター,地名,センター,燃やすごみ,燃やさないごみ,資源,,\r\n"
          "1,本町１丁目,北センター ,月　木,水２,隔火20261201,,\r\n"
          "\r\n"
          "2,本町１丁目,南センター,火 金,水3,--,,\r\n"
          "2,本町１丁目,南センター,火 金,水3,--,,\r\n"
          "3,港町,北センター,月・木,第2木,4週水20261202,,\r\n"
          "4,浜町,北センター,水13,20261332,*1,,\r\n", "cp932")
    write(tmp_path, "center.csv", "名称,休止開始日,休止終了日\n北センター,2026/12/30,2027/1/3\n北センター,2027/12/30,2028/1/3\n"
          "南センター,来年,未定\n", "cp932")
    write(tmp_path, "target.csv", 'type,name,notice,furigana\n燃やすごみ,生ごみ,"水を切って\n出してください",な\n'
          "燃やさないごみ,傘（金属）,,か\n燃やすごみ,傘（布）,,か\n,名前だけ,,\n", "cp932")
    data = read(tmp_path)
    names = [a.name for a in data.areas]
    assert names == ["本町１丁目", "本町１丁目（南センター）", "港町", "浜町"]  # the exact duplicate row merged
    assert [t.label for t in data.types] == ["燃やすごみ", "燃やさないごみ", "資源"]
    assert data.areas[0].specs["燃やすごみ"].collected and data.areas[0].specs["燃やさないごみ"].collected
    assert len(data.pauses["北センター"]) == 2
    assert data.items[0].notice == "水を切って\n出してください"
    problems = {(p.file, p.row, p.column, p.text) for p in data.problems}
    assert ("area_days.csv", 6, "燃やすごみ", "月・木") in problems
    assert ("area_days.csv", 6, "燃やさないごみ", "第2木") in problems
    assert ("area_days.csv", 7, "燃やすごみ", "水13") in problems
    assert ("area_days.csv", 7, "燃やさないごみ", "20261332") in problems
    assert any(p.file == "center.csv" and p.row == 4 for p in data.problems)
    assert any(p.file == "target.csv" and p.row == 6 for p in data.problems)
    港町 = data.area("港町")
    assert "資源" in 港町.specs and "燃やすごみ" not in 港町.specs  # the rest of the row is kept


def test_a_zip_with_a_data_folder_reads_the_same(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("area_days.csv", "center.csv", "description.csv"):
            archive.write(GOMI / "kanazawa" / name, f"5374-kanazawa/data/{name}")
    zipped = read(buffer.getvalue())
    assert [a.name for a in zipped.areas] == [a.name for a in read(GOMI / "kanazawa").areas]


def test_unreadable_sources_are_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="area_days.csv"):
        read(tmp_path)
    with pytest.raises(DatasetError):
        read(b"not a zip")
    write(tmp_path, "area_days.csv", "")
    with pytest.raises(DatasetError, match="空"):
        read(tmp_path)
    (tmp_path / "area_days.csv").write_bytes(b"\xff\xfe\x00\x81\x00\xff")
    with pytest.raises(DatasetError):
        read(tmp_path)


def test_a_calendar_without_a_centre_column_named_area_csv(tmp_path: Path) -> None:
    """awoni/5374's layout: ``area.csv``, the types right after the label (no centre, so no pauses)."""
    write(tmp_path, "area.csv", "地名,燃やすごみ,資源,プラ\n東町,月 木,e3w20261203,水2\n西町,火 金,隔水20261209,--\n")
    write(tmp_path, "description.csv", "label,sublabel,description,styles,bgcolor\n燃やすごみ,,,,#ff0000\n")
    data = read(tmp_path)
    assert [t.label for t in data.types] == ["燃やすごみ", "資源", "プラ"] and not data.problems
    east = data.area("東町")
    assert east.centre == "" and days_of(east.specs["資源"], 2026, 12) == [3, 24]


def test_amagasakis_second_column_is_a_centre_not_a_type(tmp_path: Path) -> None:
    write(tmp_path, "area_days.csv", "地名,地区,燃やすごみ\n浜町,地区1,月 木\n")
    write(tmp_path, "center.csv", "地区,休止開始日,休止終了日\n地区1,2026/12/30,2027/1/3\n")
    data = read(tmp_path)
    assert [t.label for t in data.types] == ["燃やすごみ"] and data.pauses_for(data.area("浜町"))


def days_of(spec, year: int, month: int) -> list[int]:
    return sorted(d.day for d in month_dates(spec, year, month))
