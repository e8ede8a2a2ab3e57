"""The 5374 (ゴミナシ) day-spec grammar: one ``area_days.csv`` cell → the days a type is collected.

A cell is read as the forks' own code reads it (docs/gomi.md has the table, from GRAMMAR.md): tokens split on
white space after NFKC (full-width digits and spaces are common in hand-made files), each one of

* ``W`` — every week on weekday W (月火水木金土日); ``Wn`` — the n-th W of the calendar month (n = 1..5);
* ``YYYYMMDD`` — one explicit date;
* ``隔WYYYYMMDD`` / ``4週WYYYYMMDD`` / ``eNwYYYYMMDD`` — every 2 / 4 / N weeks from that date;
* ``*n`` — a note in remarks.csv (no dates); ``--`` — "not collected here";
* ``tokens:m m m`` — every token of the cell only in those months; ``tok:m m; tok:m m`` — groups, each with its
  own months (the Kyoto-prefecture forks).

Anything else (``月・木``, ``第2木``, ``2土``, ``水13``, a date that does not exist) raises :class:`SpecError`
naming the token: the importer reports it with its file, row and column and never guesses. In a plain cell, a bad
token beside readable ones (``月 木 20261332``) is set aside (``Spec.skipped``, reported too) and the rest kept; a
cell with months or ``;`` groups fails as a whole (which days the months were meant for cannot be known). Where the original
app silently did something else (a date token turning the whole cell into dates, ``*1`` read as the first
Saturday by old forks), the reading here is the one the data's author meant: the union of the tokens.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKDAYS = "月火水木金土日"  # date.weekday(): Monday = 0

_WEEKLY = re.compile(rf"([{WEEKDAYS}])")
_NTH = re.compile(rf"([{WEEKDAYS}])([1-5])")
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_INTERVAL = re.compile(rf"(隔|4週|e([1-9]\d?)w)([{WEEKDAYS}]?)(\d{{8}})")
_REMARK = re.compile(r"\*(\d+)")
_PLACEHOLDER = re.compile(r"-{2,}|ー+|―+")


class SpecError(ValueError):
    """A cell the grammar cannot read: ``token`` is the part that failed, ``reason`` says why (Japanese, for
    staff)."""

    def __init__(self, token: str, reason: str) -> None:
        super().__init__(f"{token}: {reason}")
        self.token = token
        self.reason = reason


@dataclass(frozen=True)
class Rule:
    """One token of a cell. ``kind``: weekly | nth | date | interval. ``months`` None = every month."""

    kind: str
    weekday: int = -1
    nth: int = 0
    day: date | None = None  # the explicit date, or the interval's first date
    step: int = 0  # interval length in days
    months: frozenset[int] | None = None

    def in_month(self, month: int) -> bool:
        return self.months is None or month in self.months

    def occurs(self, d: date) -> bool:
        """Is ``d`` a collection day of this token (before any pause)?"""
        if self.kind == "date":
            return d == self.day
        if not self.in_month(d.month):
            return False
        if self.kind == "interval":
            assert self.day is not None
            return d >= self.day and (d - self.day).days % self.step == 0
        if d.weekday() != self.weekday:
            return False
        return self.kind == "weekly" or (d.day - 1) // 7 + 1 == self.nth


@dataclass(frozen=True)
class Spec:
    """A parsed cell: its rules and the remarks it points at. No rules = not collected in this area."""

    text: str
    rules: tuple[Rule, ...] = ()
    remarks: tuple[int, ...] = field(default=())
    # tokens that could not be read beside ones that could (「月 木 20261332」: Mondays and Thursdays stay)
    skipped: tuple[SpecError, ...] = ()

    @property
    def collected(self) -> bool:
        return bool(self.rules)

    def kinds(self) -> list[str]:
        return sorted({r.kind for r in self.rules})


def clean(text: str) -> str:
    """NFKC (full-width digits, NBSP and ideographic spaces), tabs and newlines as spaces, trimmed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip()


def parse(cell: str) -> Spec:
    """Read one cell. Raises :class:`SpecError` for anything the grammar does not define."""
    text = clean(cell)
    if not text or _PLACEHOLDER.fullmatch(text.replace(" ", "")):
        return Spec(text)
    rules: list[Rule] = []
    remarks: list[int] = []
    skipped: list[SpecError] = []
    if ";" in text:
        groups = [g.strip() for g in text.split(";")]
        for group in groups:
            if not group:
                continue
            if ":" not in group:
                raise SpecError(group, "「;」で区切った組ごとに「:月」が必要です（例: 水1:4 5; 水2:6）")
            _read_tokens(group, rules, remarks)
    else:
        _read_tokens(text, rules, remarks, skipped)
    if skipped and not rules and not remarks:
        raise skipped[0]
    return Spec(text, tuple(rules), tuple(remarks), tuple(skipped))


def _read_tokens(text: str, rules: list[Rule], remarks: list[int], skipped: list[SpecError] | None = None) -> None:
    """The tokens of a cell (or of one ``;`` group). With ``skipped`` (a plain cell without months), a token that
    cannot be read is set aside and the others kept; otherwise it fails the whole cell."""
    months: frozenset[int] | None = None
    if ":" in text:
        head, _, tail = text.partition(":")
        if ":" in tail:
            raise SpecError(text, "「:」は一つのセルに一度だけ書けます（組が複数なら「;」で区切ります）")
        months = _months(tail)
        text = head.strip()
        if not text:
            raise SpecError(":" + tail, "「:」の前に曜日がありません")
    for token in text.split(" "):
        try:
            rules_or_remark = _token(token, months)
        except SpecError as exc:
            if skipped is None or months is not None:
                raise
            skipped.append(exc)
            continue
        if isinstance(rules_or_remark, int):
            remarks.append(rules_or_remark)
        elif rules_or_remark is not None:
            rules.append(rules_or_remark)


def _months(text: str) -> frozenset[int]:
    values = text.split()
    if not values:
        raise SpecError(":" + text, "「:」のあとに月がありません")
    months = set()
    for value in values:
        if not value.isdigit() or not 1 <= int(value) <= 12:
            raise SpecError(value, "月は 1〜12 の数字で書きます")
        months.add(int(value))
    return frozenset(months)


def _day(text: str, token: str) -> date:
    match = _DATE.fullmatch(text)
    if match is None:
        raise SpecError(token, "日付は YYYYMMDD の8桁で書きます")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise SpecError(token, "存在しない日付です") from None


def _token(token: str, months: frozenset[int] | None) -> Rule | int | None:
    if _PLACEHOLDER.fullmatch(token):
        return None
    if match := _REMARK.fullmatch(token):
        return int(match[1])
    if match := _WEEKLY.fullmatch(token):
        return Rule("weekly", weekday=WEEKDAYS.index(match[1]), months=months)
    if match := _NTH.fullmatch(token):
        return Rule("nth", weekday=WEEKDAYS.index(match[1]), nth=int(match[2]), months=months)
    if match := _INTERVAL.fullmatch(token):
        step = 14 if match[1] == "隔" else 28 if match[1] == "4週" else 7 * int(match[2])
        return Rule("interval", day=_day(match[4], token), step=step, months=months)
    if token.isdigit():
        return Rule("date", day=_day(token, token))
    if re.fullmatch(rf"[{WEEKDAYS}]\d+", token):
        raise SpecError(token, "第何週かは 1〜5 で書きます（例: 水2）。複数の週は「水1 水3」のように分けて書きます")
    raise SpecError(token, "読めない書き方です（例: 月 木 / 水2 / 隔火20250114 / 20261229）")


# --- dates -------------------------------------------------------------------------------------------------------

Pause = tuple[date, date]  # inclusive


def in_pause(d: date, pauses: Iterable[Pause]) -> bool:
    return any(start <= d <= end for start, end in pauses)


def month_dates(spec: Spec, year: int, month: int, pauses: tuple[Pause, ...] = (), mode: str = "skip") -> set[date]:
    """The collection days of ``spec`` in one month, after the pauses (year-end holidays).

    ``mode`` skip: no collection inside a pause (what most forks do). shift: the original Kanazawa app — per
    month and weekday token, once a week falls in the pause, it and every later one that month move a week on
    (leaving the month = dropped; ``Wn`` picks by the unshifted index); interval and explicit dates untouched.
    none: pauses ignored."""
    days = calendar.monthrange(year, month)[1]
    first = date(year, month, 1)
    found: set[date] = set()
    for rule in spec.rules:
        if rule.kind == "date":
            assert rule.day is not None
            if rule.day.year == year and rule.day.month == month:
                found.add(rule.day)
            continue
        if not rule.in_month(month):
            continue
        if rule.kind == "interval":
            assert rule.day is not None
            start = max(first, rule.day)
            offset = (start - rule.day).days % rule.step
            d = start + timedelta(days=(rule.step - offset) % rule.step)
            while d.month == month and d.year == year:
                found.add(d)
                d += timedelta(days=rule.step)
            continue
        weekdays: list[date | None] = [first + timedelta(days=i) for i in range(days)
                                       if (first + timedelta(days=i)).weekday() == rule.weekday]
        if mode == "shift" and pauses:
            weekdays = _shifted(weekdays, pauses)
        chosen = weekdays if rule.kind == "weekly" else weekdays[rule.nth - 1: rule.nth]
        found.update(d for d in chosen if d is not None)
    if mode == "skip" and pauses:
        found = {d for d in found if not in_pause(d, pauses)}
    return found


def _shifted(weekdays: list[date | None], pauses: tuple[Pause, ...]) -> list[date | None]:
    days = [d for d in weekdays if d is not None]
    moved: list[date | None] = list(days)
    for i, d in enumerate(days):
        if in_pause(d, pauses):
            for j in range(i, len(days)):
                later = days[j] + timedelta(days=7)
                moved[j] = later if later.month == days[j].month else None
            break
    return moved


def next_date(spec: Spec, start: date, pauses: tuple[Pause, ...] = (), mode: str = "skip",
              horizon_months: int = 26) -> date | None:
    """The first collection day on or after ``start`` (None: not within the horizon, about two years)."""
    year, month = start.year, start.month
    for _ in range(horizon_months):
        days = sorted(d for d in month_dates(spec, year, month, pauses, mode) if d >= start)
        if days:
            return days[0]
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def collects_on(spec: Spec, day: date, pauses: tuple[Pause, ...] = (), mode: str = "skip") -> bool:
    return day in month_dates(spec, day.year, day.month, pauses, mode)
