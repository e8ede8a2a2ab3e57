"""Knowledge base as CSV (UTF-8 with BOM so Excel opens it), the same rules as YAML packs."""

from __future__ import annotations

import csv
import io
from typing import Any

from core import i18n
from core.csvsafe import neutralise, restore
from faq.packs import PackError, joined, validate_entry

COLUMNS = ("id", "category", "question", "alt_questions", "answer", "keywords", "links", "department", "contact",
           "active")
SEP = " / "


def translation_columns(languages: list[str]) -> list[str]:
    """question_en, answer_en, … for the languages given (a translator can work in Excel)."""
    return [f"{kind}_{lang}" for lang in languages for kind in ("question", "answer")]


def to_csv(snapshots: list[dict[str, Any]]) -> str:
    """Every entry a row; a question and an answer column per language any entry has a translation in."""
    languages = [lang for lang in i18n.LANGUAGES if any(lang in (s.get("translations") or {}) for s in snapshots)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*COLUMNS, *translation_columns(languages)])
    for s in snapshots:
        translations = s.get("translations") or {}
        extra = [translations.get(lang, {}).get(kind, "") for lang in languages for kind in ("question", "answer")]
        writer.writerow([neutralise(v) for v in (
            s["id"], s["category"], s["question"], SEP.join(s["alt_questions"]), s["answer"], SEP.join(s["keywords"]),
            SEP.join(f"{link['label']}|{link['url']}" for link in s["links"]), s["department"], s["contact"],
            "1" if s["active"] else "0", *extra)])
    return "\ufeff" + out.getvalue()


def from_csv(data: bytes, filename: str = "faq.csv") -> list[dict[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp932", errors="strict")
    if "\x00" in text:
        raise PackError(f"{filename}: a NUL character at offset {text.index(chr(0))}: not a text CSV (or a damaged one)")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows = [{k: restore(v) if isinstance(v, str) else v for k, v in row.items()} for row in reader]
    except csv.Error as exc:
        raise PackError(f"{filename}:{reader.line_num}: not a readable CSV ({exc})") from None
    errors: list[str] = []
    entries = []
    for line, row in enumerate(rows, 2):
        missing = [c for c in ("id", "question", "answer") if c not in row]
        if missing:
            raise PackError(f"{filename}:1: missing column(s) {', '.join(missing)}")

        def split(value: str | None) -> list[str]:
            return [v.strip() for v in (value or "").split(SEP) if v.strip()]

        links = []
        for item in split(row.get("links")):
            label, _, url = item.partition("|")
            links.append({"label": label.strip(), "url": url.strip()})
        raw = {"id": row.get("id", ""), "question": row.get("question", ""), "answer": row.get("answer", ""),
               "category": row.get("category", ""), "alt_questions": split(row.get("alt_questions")),
               "keywords": split(row.get("keywords")), "links": links, "department": row.get("department", ""),
               "contact": row.get("contact", ""), "active": (row.get("active") or "1").strip() not in ("0", "false")}
        languages = [lang for lang in i18n.LANGUAGES if f"answer_{lang}" in row or f"question_{lang}" in row]
        if languages:  # the file has translation columns: they say what the entry's translations are
            raw["translations"] = {lang: {"question": row.get(f"question_{lang}") or "",
                                          "answer": row.get(f"answer_{lang}") or ""}
                                   for lang in languages if (row.get(f"answer_{lang}") or "").strip()}
        entry = validate_entry(raw, f"{filename}:{line}", errors)
        if entry:
            entries.append(entry)
    if errors:
        raise PackError(joined(errors))
    return entries
