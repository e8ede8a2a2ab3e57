"""The 5374 day-spec grammar (GRAMMAR.md): every token kind, month restrictions, pauses in both modes, and cells
that must be reported, never guessed."""

from __future__ import annotations

from datetime import date

import pytest

from gomi.spec import SpecError, month_dates, next_date, parse


def days(cell: str, year: int, month: int, pauses=(), mode="skip") -> list[int]:
    return sorted(d.day for d in month_dates(parse(cell), year, month, tuple(pauses), mode))


def test_weekly_and_nth_weekday() -> None:
    assert days("月 木", 2026, 12) == [3, 7, 10, 14, 17, 21, 24, 28, 31]
    assert days("水2", 2026, 12) == [9]
    assert days("火1 火3 火5", 2026, 12) == [1, 15, 29]
    assert days("金5", 2027, 2) == []  # no 5th Friday in February 2027


def test_full_width_digits_and_spaces_are_read_as_the_author_meant() -> None:
    assert days("火２", 2026, 12) == [8]
    assert days("月\u3000木", 2026, 12) == days("月 木", 2026, 12)
    assert days("月\u00a0 木", 2026, 12) == days("月 木", 2026, 12)


def test_months_restrict_every_token_of_the_cell() -> None:
    # Ayabe's trap: 「月 木 日5:12」 is December only, for all three tokens (as the original app reads it)
    assert days("月 木 日5:12", 2027, 1) == []
    assert 27 not in days("月 木 日5:12", 2026, 12)  # no 5th Sunday in December 2026
    assert days("月 木 日5:12", 2026, 12)[:2] == [3, 7]


def test_semicolon_groups_each_with_their_months() -> None:
    cell = "水1:4 6 7 8 9 10 11 12 2 3; 水2:5 1"
    assert days(cell, 2026, 12) == [2]
    assert days(cell, 2027, 1) == [13]
    with pytest.raises(SpecError):
        parse("水1:4 5; 水2")  # a group without months


def test_explicit_dates_and_intervals() -> None:
    assert days("20261216 20270120", 2026, 12) == [16]
    assert days("隔月20261207", 2026, 12) == [7, 21]
    assert days("隔月20261207", 2027, 1) == [4, 18]
    assert days("4週火20261201", 2026, 12) == [1, 29]
    assert days("e3w20261203", 2026, 12) == [3, 24]
    assert days("隔月20261207", 2026, 11) == []  # nothing before the first date
    assert days("月 20261210", 2026, 12)[:3] == [7, 10, 14]  # a date beside weekdays: both (the author's intent)


def test_remarks_placeholders_and_empty_cells_collect_nothing() -> None:
    assert parse("*1").remarks == (1,) and not parse("*1").collected
    assert not parse("--").collected and not parse("").collected and not parse("  ").collected


@pytest.mark.parametrize("cell, token", [
    ("月・木", "月・木"), ("第2木", "第2木"), ("2土", "2土"), ("水13", "水13"), ("20261332", "20261332"),
    ("201990723", "201990723"), ("（火）", "(火)"), ("火1:4 火3:5", "火1:4 火3:5"), ("月:13", "13"),
])
def test_uninterpretable_tokens_are_reported_with_their_text(cell: str, token: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse(cell)
    assert raised.value.token == token
    assert raised.value.reason  # a Japanese explanation for staff


def test_pause_skip_removes_collection_days_inside_the_pause() -> None:
    pause = [(date(2026, 12, 30), date(2027, 1, 3))]
    assert 31 not in days("月 木", 2026, 12, pause)
    assert next_date(parse("火 金"), date(2026, 12, 30), tuple(pause)) == date(2027, 1, 5)  # 1 Jan (Fri) paused
    assert days("20261231", 2026, 12, pause) == []


def test_pause_shift_moves_that_week_and_the_rest_of_the_month_as_the_original_app() -> None:
    pause = ((date(2022, 12, 30), date(2023, 1, 3)),)
    # Kanazawa 資源 「月2 月4 月5」: 2 Jan 2023 is paused, so every later Monday of January moves a week on
    assert next_date(parse("月2 月4 月5"), date(2022, 12, 31), pause, "shift") == date(2023, 1, 16)
    assert next_date(parse("月2 月4 月5"), date(2022, 12, 31), pause, "skip") == date(2023, 1, 9)
    assert days("金1", 2023, 1, pause, "shift") == [6]  # 6 January is after the pause: unmoved
    assert days("火1 火3", 2023, 1, pause, "shift") == [10, 24]  # 3 January paused: 1st → 10th, 3rd → 4th Tuesday
    # the 5th Friday of December (the 30th) moves out of the month: dropped
    assert days("金5", 2022, 12, pause, "shift") == []
    # explicit dates and intervals are never moved by the shift
    assert days("20230102", 2023, 1, pause, "shift") == [2]


def test_a_bad_token_beside_good_ones_is_set_aside_and_reported() -> None:
    spec = parse("月 木 20261332")
    assert [s.token for s in spec.skipped] == ["20261332"]
    assert days("月 木 20261332", 2026, 12)[:2] == [3, 7]
    with pytest.raises(SpecError):
        parse("月・木 水13")  # nothing readable: the whole cell is a problem
    with pytest.raises(SpecError):
        parse("月 木 20261332:4 5")  # with months, which tokens they were meant for cannot be known
