"""Scoring the calendar and the sorting dictionary against independent cases (``machimado gomi eval``).

Cases come in the format of ../shared/eval/gomi-dev/dev_cases.jsonl (city, area, type, date → next_date and the
types collected that day); item cases are ``{"city", "query", "expected_type"}`` lines. The calendar and the
dictionary are the product's own, loaded from the database the product's importer wrote.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from gomi.calendar import Calendar
from gomi.dictionary import Dictionary


def score_cases(calendars: dict[str, Calendar], cases: list[dict[str, Any]], misses: list[dict[str, Any]],
                pause_mode: str | None = None) -> dict[str, dict[str, int]]:
    """Per city: cases, next date right, types right. ``pause_mode`` overrides each calendar's own; a case with
    ``answers`` (dev_pause_cases.jsonl) is scored against the answer for that mode (``shift`` = the original
    Kanazawa app's)."""
    per_city: dict[str, dict[str, int]] = defaultdict(lambda: {"cases": 0, "next_date": 0, "types": 0})
    for case in cases:
        city = case["city"]
        stats = per_city[city]
        stats["cases"] += 1
        calendar = calendars.get(city)
        expected_next, expected_types = case.get("next_date"), case.get("types_on_next_date") or []
        if calendar is not None and pause_mode:
            calendar.pause_mode = pause_mode
        if "answers" in case:
            mode = calendar.pause_mode if calendar is not None else "skip"
            answer = case["answers"].get({"shift": "kanazawa"}.get(mode, mode)) or {}
            expected_next, expected_types = answer.get("next_date"), answer.get("types_on_next_date") or []
        area = calendar.area(case["area"]) if calendar is not None else None
        got_next: date | None = None
        got_types: list[str] = []
        if area is not None and calendar is not None:
            got_next = calendar.next_date(area, case["type"], date.fromisoformat(case["date"]))
            got_types = calendar.types_on(area, got_next) if got_next else []
        next_ok = (got_next.isoformat() if got_next else None) == expected_next
        types_ok = next_ok and sorted(got_types) == sorted(expected_types)
        stats["next_date"] += next_ok
        stats["types"] += types_ok
        if not types_ok:
            misses.append({"id": case.get("id", ""), "city": city, "area": case["area"], "type": case["type"],
                           "date": case["date"], "expected": expected_next, "got": got_next.isoformat() if got_next
                           else None, "expected_types": expected_types, "got_types": got_types,
                           "area_found": area is not None})
    return dict(per_city)


def score_items(dictionaries: dict[str, Dictionary], items: list[dict[str, Any]],
                misses: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    per_city: dict[str, dict[str, int]] = defaultdict(lambda: {"items": 0, "first": 0, "top3": 0})
    for case in items:
        city = case["city"]
        stats = per_city[city]
        stats["items"] += 1
        dictionary = dictionaries.get(city)
        types = dictionary.types_for(case["query"]) if dictionary is not None else []
        expected = case["expected_type"]
        wanted = set(expected) if isinstance(expected, list) else {expected}
        first = bool(types) and types[0] in wanted
        top3 = bool(wanted & set(types[:3]))
        stats["first"] += first
        stats["top3"] += top3
        if not first:
            misses.append({"city": city, "query": case["query"], "expected_type": expected, "got": types[:3]})
    return dict(per_city)
