"""Directory: real open-data files import correctly; nearest shelters/AEDs; procedure and facility cards."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import main
from directory.csvfile import CsvError, read_table
from directory.importer import ImportReport, parse_rows
from directory.models import Place
from tests.helpers import DATA, SHARED, body_of, event_of, needs_shared, post_webhook, text_event

# tests/data/opendata: the real files trimmed to the rows that carry their quirks (scripts/trim_opendata.py);
# ../shared/eval/opendata: the whole files, when they are beside the checkout.
OPENDATA = DATA / "opendata"
FULL_OPENDATA = SHARED / "eval" / "opendata"
# file, kind, rows expected to import (trimmed, whole), a known row: (name, lat, lon)
REAL_FILES = [
    ("ichikawa_122033_101_public_facility.csv", "facilities", (23, 340), ("市川小学校", 35.73213721, 139.9051921)),
    ("ichikawa_122033_103_evacuation_space.csv", "shelters", (21, 121), ("県立国分高校", 35.75359, 139.927977)),
    ("ichikawa_122033_108_aed.csv", "aed", (21, 191), (None, 35.72257083, 139.9279823)),
    ("ichikawa_122033_105_preschool.csv", "childcare", (21, 384), ("アンデルセン幼稚園", 35.75611894, 139.9179131)),
    ("okinawa_470007_hospital.csv", "hospitals", (28, 1209), ("国立療養所沖縄愛楽園", 26.6762233, 128.01896001)),
    ("takamatsu_evacuation_space_0060.csv", "shelters", (21, 193), ("日新小学校跡施設", 34.34753333, 134.03003917)),
]
FILE_CASES = [pytest.param(OPENDATA / name, kind, counts[0], known, id=f"trimmed-{name}")
              for name, kind, counts, known in REAL_FILES] + \
             [pytest.param(FULL_OPENDATA / name, kind, counts[1], known, id=f"whole-{name}", marks=needs_shared)
              for name, kind, counts, known in REAL_FILES]
USER = "U" + "7" * 32


def cli(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.mark.parametrize("path, kind, expected, known", FILE_CASES)
def test_every_real_file_of_a_supported_kind_imports_with_correct_coordinates(app, path: Path, kind, expected,
                                                                             known) -> None:
    with app.extensions["machimado"].sessions() as session:
        demo_keys = set(session.scalars(select(Place.key).where(Place.kind == kind)))
    result = cli("directory", "import", "--kind", kind, str(path))
    assert result.exit_code == 0, result.output
    assert f"{expected} created" in result.output
    with app.extensions["machimado"].sessions() as session:
        places = [p for p in session.scalars(select(Place).where(Place.kind == kind, Place.municipality_id == 1))
                  if p.key not in demo_keys]
    assert len(places) == expected
    located = [p for p in places if p.lat is not None]
    assert all(20 <= p.lat <= 46 and 122 <= p.lon <= 154 for p in located)
    known_name, lat, lon = known
    match = [p for p in located if abs(p.lat - lat) < 1e-6 and abs(p.lon - lon) < 1e-6]
    assert match and (known_name is None or match[0].name == known_name)
    again = cli("directory", "import", "--kind", kind, str(path))
    assert f"0 created, 0 updated, {expected} unchanged" in again.output  # re-import never duplicates


def test_halfwidth_kana_blank_ids_flags_and_thousands(app) -> None:
    cli("directory", "import", "--kind", "shelters", str(OPENDATA / "ichikawa_122033_103_evacuation_space.csv"))
    cli("directory", "import", "--kind", "shelters", str(OPENDATA / "takamatsu_evacuation_space_0060.csv"))
    with app.extensions["machimado"].sessions() as session:
        kokubun = session.scalars(select(Place).where(Place.name == "県立国分高校")).one()
        nisshin = session.scalars(select(Place).where(Place.name == "日新小学校跡施設")).one()
    assert kokubun.kana == "ケンリツコクブンコウコウ"  # NFKC of ｹﾝﾘﾂｺｸﾌﾞﾝｺｳｺｳ
    assert kokubun.key.startswith("h-")  # empty ID column: synthesized stable key
    assert kokubun.attributes["disasters"]["flood"] == "yes" and kokubun.attributes["designated_shelter"]
    assert nisshin.attributes["disasters"]["storm_surge"] == "conditional" and nisshin.capacity == 238
    table = read_table("名称,緯度,経度,想定収容人数\nA,35.1,139.1,\"50,700 \"\n".encode())
    report = ImportReport("shelters")
    assert parse_rows(table, "shelters", report)[0]["capacity"] == 50700


def test_swapped_coordinates_are_corrected_with_a_warning(app, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO((OPENDATA / "okinawa_470007_hospital.csv").read_text("utf-8-sig"))))
    lat_i, lon_i = rows[0].index("lat"), rows[0].index("lon")
    for row in rows[1:]:
        row[lat_i], row[lon_i] = row[lon_i], row[lat_i]
    swapped = tmp_path / "swapped.csv"
    with swapped.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    result = cli("directory", "import", "--kind", "hospitals", str(swapped))
    assert result.exit_code == 0 and "were swapped; corrected" in result.output
    with app.extensions["machimado"].sessions() as session:
        place = session.scalars(select(Place).where(Place.name == "国立療養所沖縄愛楽園")).one()
    assert (place.lat, place.lon) == (26.6762233, 128.01896001)


@pytest.mark.parametrize("content, words", [
    ("名称,緯度,経度\nA,35.1,abc\n", "row 2, column 経度: 'abc' is not a number"),
    ("名称,緯度,経度\nA,35.1,139.1\nB,10.0,10.0\n", "row 3, column 緯度/経度"),
    ("施設,場所\nA,B\n", "no column for name, lat, lon"),
    ("", "empty"),
])
def test_files_that_cannot_be_understood_import_nothing(app, tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = cli("directory", "import", "--kind", "facilities", str(path))
    assert result.exit_code != 0 and "nothing imported" in result.output and words in result.output
    with app.extensions["machimado"].sessions() as session:
        assert session.scalar(select(func.count(Place.id)).where(Place.municipality_id == 1,
                                                                 Place.kind == "facilities")) == 8  # demo only


def test_an_events_file_is_not_facilities_but_imports_as_events() -> None:
    with pytest.raises(CsvError, match="no column for name"):
        parse_rows(read_table((OPENDATA / "takamatsu_events_data.csv").read_bytes()), "facilities",
                   ImportReport("facilities"))
    report = ImportReport("events")
    rows = parse_rows(read_table((OPENDATA / "takamatsu_events_data.csv").read_bytes()), "events", report)
    assert len(rows) == 21 and rows[0]["name"] == "コレクション展" and rows[0]["hours"] == "9:00〜17:00(最終入館16:30まで)"
    assert rows[0]["attributes"]["date"].startswith("9月7日(土)") and rows[0]["attributes"]["capacity"] == "なし"
    # an event held in several places lists their coordinates in one cell: the first is kept, with a warning
    assert report.warnings == ["row 18, column 緯度: several places; the first is used",
                               "row 18, column 経度: several places; the first is used"]


def test_dry_run_writes_nothing(app) -> None:
    result = cli("directory", "import", "--kind", "aed", str(OPENDATA / "ichikawa_122033_108_aed.csv"), "--dry-run")
    assert "[dry run] aed: 21 rows — 21 created" in result.output
    with app.extensions["machimado"].sessions() as session:
        assert session.scalar(select(func.count(Place.id)).where(Place.kind == "aed")) == 4  # the demo's


def test_nearest_and_shelter_status_cli(app) -> None:
    assert json.loads(cli("directory", "nearest", "--kind", "shelters", "--lat", "31.60", "--lon", "130.556",
                          "--open-only", "--json").output) == []
    assert cli("directory", "shelter-status", "S002", "open").exit_code == 0
    found = json.loads(cli("directory", "nearest", "--kind", "shelters", "--lat", "31.60", "--lon", "130.556",
                           "--json").output)
    assert [f["name"] for f in found[:2]] == ["サンプル市総合体育館", "中央小学校"]
    assert set(found[0]) == {"id", "name", "lat", "lon", "distance_m", "status", "address"}
    assert found[0]["status"] == "open" and 350 < found[0]["distance_m"] < 450
    ambiguous = cli("directory", "shelter-status", "中央", "open")
    assert ambiguous.exit_code != 0 and "matches 2 shelters" in ambiguous.output


def replies(fake_line) -> list[dict]:
    return [c for c in fake_line.calls_to("reply") if c["status"] == 200][-1]["body"]["messages"]


def location_event(lat: float, lon: float) -> dict:
    return event_of("message", USER, message={"id": "55", "type": "location", "title": "現在地", "address": "",
                                              "latitude": lat, "longitude": lon})


def test_location_gets_nearest_open_shelters_suitable_first(app, client, fake_line) -> None:
    post_webhook(client, body_of(location_event(31.60, 130.556)))
    none_open = replies(fake_line)
    assert "開設中の避難所はありません" in none_open[0]["text"] and none_open[2]["type"] == "location"
    cli("directory", "shelter-status", "S003", "open")  # 中央小学校: no flood flag
    cli("directory", "shelter-status", "S001", "open")  # 中央公民館: flood ok, a little farther
    cli("disaster", "on", "--type", "洪水")
    post_webhook(client, body_of(location_event(31.60, 130.556)))
    messages = replies(fake_line)
    assert messages[0]["text"].startswith("近くの開設中の避難所です（洪水に対応する避難所を優先）")
    assert messages[0]["text"].index("サンプル市中央公民館") < messages[0]["text"].index("中央小学校")
    assert "※洪水には非対応" in messages[0]["text"]
    assert messages[1]["contents"]["type"] == "carousel"
    assert messages[2] == {"type": "location", "title": "サンプル市中央公民館", "address": "サンプル市中央2丁目8-3",
                           "latitude": 31.594, "longitude": 130.56}


def test_asking_for_shelters_and_aed(app, client, fake_line) -> None:
    cli("directory", "shelter-status", "S005", "open")
    post_webhook(client, body_of(text_event("避難所", USER)))
    message = replies(fake_line)[0]
    assert "北地区コミュニティセンター" in message["text"]
    assert message["quickReply"]["items"][0]["action"]["type"] == "location"
    post_webhook(client, body_of(text_event("AEDはどこ", USER)))
    post_webhook(client, body_of(location_event(31.6215, 130.566)))
    aed = replies(fake_line)
    assert aed[0]["text"].startswith("近くのAEDです") and "北地区コミュニティセンター" in aed[0]["text"]
    assert "事務室前" in aed[0]["text"] and aed[1]["type"] == "location"
    post_webhook(client, body_of(location_event(31.6215, 130.566)))  # the AED question was used up
    assert "避難所" in replies(fake_line)[0]["text"]


def test_reservation_question_gets_facility_cards(app, client, fake_line) -> None:
    post_webhook(client, body_of(text_event("体育館を予約したい", USER)))
    messages = replies(fake_line)
    bubble = messages[1]["contents"]
    assert bubble["type"] == "bubble" and bubble["header"]["contents"][0]["text"] == "サンプル市総合体育館"
    actions = [b["action"] for b in bubble["footer"]["contents"]]
    assert actions[0] == {"type": "uri", "label": "予約する", "uri": "https://yoyaku.city.sample.example.jp/taiikukan"}
    assert actions[1]["uri"] == "tel:0000002001" and actions[2]["uri"].startswith("https://www.google.com/maps/")
    post_webhook(client, body_of(text_event("公民館の部屋を借りたい", USER)))
    carousel = replies(fake_line)[1]["contents"]
    assert carousel["type"] == "carousel" and len(carousel["contents"]) == 2


def test_procedure_question_gets_a_card_with_online_button_and_bring_list(app, client, fake_line) -> None:
    post_webhook(client, body_of(text_event("介護認定の更新をしたい", USER)))
    card = replies(fake_line)[0]
    assert card["type"] == "flex" and card["contents"]["header"]["contents"][0]["text"] == "要介護・要支援更新認定の申請"
    footer = card["contents"]["footer"]["contents"]
    assert footer[0]["action"] == {"type": "uri", "label": "マイナポータルで申請", "uri": "https://myna.go.jp"}
    assert footer[-1]["action"]["type"] == "postback"
    post_webhook(client, body_of(event_of("postback", USER, postback={"data": footer[-1]["action"]["data"]})))
    assert "介護保険被保険者証" in replies(fake_line)[0]["text"]


def test_procedures_catalog_has_the_national_list(app) -> None:
    from directory.procedures import load_procedures

    procedures = load_procedures()
    categories = [p["category"] for p in procedures]
    assert categories.count("子育て") == 15 and categories.count("介護") == 11
    assert any(p["name"] == "罹災証明書の発行申請" for p in procedures)
    assert {"転入届", "転出届", "転居届", "住民票の写しの交付", "印鑑登録証明書の交付", "戸籍証明書の交付",
            "所得・課税証明書の交付", "マイナンバーカードの交付申請", "粗大ごみの収集申込み"} <= {p["name"] for p in procedures}
