"""`machimado gomi import` and `machimado gomi eval` (#23): the eval imports each city through the product's own
importer into a database of its own and scores next dates, the types that day and 「これは何ごみ？」."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import main
from gomi.models import GomiArea, GomiCalendar
from tests.helpers import DATA, SHARED, needs_shared

GOMI = DATA / "gomi"


def test_eval_scores_the_dev_cases_of_three_real_cities(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["gomi", "eval", "--data", str(GOMI), "--cases", str(GOMI / "cases.jsonl"),
                                       "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["next_date_accuracy"] == 1.0 and report["types_accuracy"] == 1.0 and report["cases"] == 200
    assert report["cities_failed"] == [] and report["misses"] == []
    assert set(report["per_city"]) == {"kanazawa", "ayabe", "abiko"}
    for key in ("items_first", "items_top3", "problems"):
        assert key in report


@pytest.mark.parametrize("mode", ["skip", "shift"])
def test_eval_pause_cases_in_each_mode(mode: str) -> None:
    result = CliRunner().invoke(main, ["gomi", "eval", "--data", str(GOMI), "--cases",
                                       str(GOMI / "pause_cases.jsonl"), "--pause-mode", mode, "--json"])
    report = json.loads(result.stdout)
    assert report["next_date_accuracy"] == 1.0 and report["types_accuracy"] == 1.0, report["misses"][:3]


def test_eval_reports_a_city_it_cannot_import_and_goes_on(tmp_path: Path) -> None:
    shutil.copytree(GOMI / "kanazawa", tmp_path / "kanazawa")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "area_days.csv").write_bytes(b"")
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(line + "\n" for line in (GOMI / "cases.jsonl").read_text(encoding="utf-8").splitlines()
                             if '"kanazawa"' in line), encoding="utf-8")
    result = CliRunner().invoke(main, ["gomi", "eval", "--data", str(tmp_path), "--cases", str(cases), "--json"])
    report = json.loads(result.stdout)
    assert [f["city"] for f in report["cities_failed"]] == ["broken"]
    assert report["next_date_accuracy"] == 1.0


def test_import_replaces_the_calendar_and_lists_problems(app, tmp_path: Path) -> None:
    folder = tmp_path / "town"
    shutil.copytree(GOMI / "abiko", folder)
    with (folder / "area_days.csv").open("a", encoding="utf-8") as f:
        f.write("\n新町,我孫子市クリーンセンター,月・木,火,隔火20250114,隔火20250107")
    dry = CliRunner().invoke(main, ["gomi", "import", str(folder), "--dry-run"])
    assert dry.exit_code == 0 and "1 problem cell" in dry.output and "月・木" in dry.stderr
    result = CliRunner().invoke(main, ["gomi", "import", str(folder), "--pause-mode", "shift"])
    assert result.exit_code == 0, result.output
    with app.extensions["machimado"].sessions() as session:
        assert session.scalar(select(func.count(GomiArea.id))) == 123
        assert session.scalars(select(GomiCalendar)).one().pause_mode == "shift"
    missing = CliRunner().invoke(main, ["gomi", "import", str(tmp_path)])
    assert missing.exit_code != 0 and "area_days.csv がありません" in missing.output


@pytest.mark.parametrize("_", [None], ids=["dev"])
@needs_shared[0]
@needs_shared[1]
def test_dev_set_of_four_cities_and_residents_item_words(_: None) -> None:
    dev = SHARED / "eval" / "gomi-dev"
    items = Path(__file__).resolve().parents[2] / "eval" / "gomi_items_dev.jsonl"
    result = CliRunner().invoke(main, ["gomi", "eval", "--data", str(dev), "--cases", str(dev / "dev_cases.jsonl"),
                                       "--items", str(items), "--json"])
    report = json.loads(result.stdout)
    assert report["next_date_accuracy"] == 1.0 and report["types_accuracy"] == 1.0
    assert report["items_first"] >= 0.85 and report["items_top3"] >= 0.95
