"""Knowledge-base packs: a documented YAML format, imported as one transaction, exported back.

Format (see docs/faq-packs.md)::

    pack: sample-city          # a name for humans
    entries:
      - id: gomi-sodai         # stable id: re-imports update this entry, never duplicate it
        category: ごみ・リサイクル
        question: 粗大ごみの出し方を知りたい
        alt_questions: [大きな家具を捨てたい]
        keywords: [粗大ごみ, 家具]
        answer: |
          …{kankyo_phone}…     # {placeholders} are filled from the municipality config when shown
        links: [{label: 申込みページ, url: "{e_apply_url}"}]
        department: 環境課
        contact: "{kankyo_phone}"
        active: true
        translations:          # optional: the entry in other languages (core.i18n.LANGUAGES)
          en: {question: How to throw away large items, answer: "…"}
          ja-easy: {question: 大きい ごみを 出したい, answer: "…"}
        # or, answers only:  answers: {en: "…", zh-Hans: "…"}

Validation happens before anything is written; every problem names the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import i18n
from faq.kb import faq_texts, translation_texts
from faq.models import FaqEntry, FaqRevision
from search.vectors import (
    ProgressFactory,
    encode_missing,
    entry_vector_texts,
    insert_vectors,
    store_entry_vectors,
    store_vectors,
)

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")
URL_RE = re.compile(r"^(https?://\S+|tel:[0-9+\-]+|\{[a-z_][a-z0-9_]*\}\S*)$")
ENTRY_KEYS = {"id", "question", "alt_questions", "answer", "category", "keywords", "links", "department",
              "contact", "active", "translations", "answers"}
LINE_KEY = "__line__"
MAX_ANSWER = 4500  # LINE text messages hold 5,000 characters; leave room for the contact line
MAX_LINK_LABEL = 20  # LINE action labels
MAX_PACK_CHARS = 8_000_000  # a 1,786-entry municipal FAQ is about 1.5 MB
MAX_ENTRIES = 20_000
MAX_ERRORS_SHOWN = 50
DEMO_PACK = Path(__file__).resolve().parent / "data" / "demo_pack.yaml"  # the fictional demo city's FAQ


class PackError(ValueError):
    """The pack cannot be imported; ``str()`` names file and line of every problem."""


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records each mapping's line and refuses aliases: a pack never needs them, and nested aliases
    expand exponentially (a 378-byte "billion laughs" file cost 15 s and 840 MB in a web worker, #26)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted in a pack",
                                              event.start_mark)
        return super().compose_node(parent, index)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _str_list(value: Any, where: str, name: str, errors: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        errors.append(f"{where}: '{name}' must be a list of strings")
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def validate_entry(raw: Any, where: str, errors: list[str]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        errors.append(f"{where}: each entry must be a mapping with id, question and answer")
        return None
    unknown = sorted(str(key) for key in set(raw) - ENTRY_KEYS - {LINE_KEY})
    if unknown:
        errors.append(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(ENTRY_KEYS))})")
    entry: dict[str, Any] = {"id": str(raw.get("id", "")).strip()}
    if not ID_RE.match(entry["id"]):
        errors.append(f"{where}: 'id' is required: letters, digits, '-', '_' or '.', at most 80 characters")
    for name in ("question", "answer"):
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            errors.append(f"{where}: '{name}' is required and must be text")
        entry[name] = value.strip() if isinstance(value, str) else ""
    if len(entry["answer"]) > MAX_ANSWER:
        errors.append(f"{where}: 'answer' is {len(entry['answer'])} characters; the limit is {MAX_ANSWER}")
    for name in ("category", "department", "contact"):
        value = raw.get(name, "")
        if not isinstance(value, str | int | float):
            errors.append(f"{where}: '{name}' must be text")
            value = ""
        entry[name] = str(value).strip()
    entry["alt_questions"] = _str_list(raw.get("alt_questions"), where, "alt_questions", errors)
    entry["keywords"] = _str_list(raw.get("keywords"), where, "keywords", errors)
    if "translations" in raw or "answers" in raw:  # absent: an import without them keeps the entry's own
        entry["translations"] = validate_translations(raw, where, errors)
    active = raw.get("active", True)
    if not isinstance(active, bool):
        errors.append(f"{where}: 'active' must be true or false")
    entry["active"] = bool(active)
    links = raw.get("links") or []
    entry["links"] = []
    if not isinstance(links, list):
        errors.append(f"{where}: 'links' must be a list of {{label, url}}")
        links = []
    for link in links:
        lw = f"{where.rsplit(':', 1)[0]}:{link.get(LINE_KEY, '?')}" if isinstance(link, dict) else where
        if not isinstance(link, dict) or not isinstance(link.get("label"), str) or not isinstance(link.get("url"), str):
            errors.append(f"{lw}: each link needs a text 'label' and 'url'")
            continue
        label, url = link["label"].strip(), link["url"].strip()
        if not label or len(label) > MAX_LINK_LABEL:
            errors.append(f"{lw}: link label must be 1–{MAX_LINK_LABEL} characters (LINE's limit)")
        if not URL_RE.match(url):
            errors.append(f"{lw}: link url {url!r} must start with https://, http://, tel: or a {{placeholder}}")
        entry["links"].append({"label": label, "url": url})
    return entry


def validate_translations(raw: dict[str, Any], where: str, errors: list[str]) -> dict[str, dict[str, str]] | None:
    """``translations: {en: {question, answer}}`` and the shorthand ``answers: {en: "…"}`` as one mapping
    language -> {question?, answer}; None when the entry has none (Japanese only)."""
    found: dict[str, dict[str, str]] = {}
    for name in ("translations", "answers"):
        value = raw.get(name)
        if value is None:
            continue
        if not isinstance(value, dict):
            errors.append(f"{where}: '{name}' must map a language code to {'a text' if name == 'answers' else '{question, answer}'}")
            continue
        for lang, item in value.items():
            if lang == LINE_KEY:
                continue
            if lang not in i18n.LANGUAGES or lang == i18n.JA:
                errors.append(f"{where}: '{name}' has the unknown language {lang!r} "
                              f"(one of {', '.join(c for c in i18n.LANGUAGES if c != i18n.JA)})")
                continue
            if name == "answers" or isinstance(item, str):
                item = {"answer": item}
            if not isinstance(item, dict) or not isinstance(item.get("answer"), str) or not item["answer"].strip():
                errors.append(f"{where}: the {lang} translation needs a text 'answer'")
                continue
            question = item.get("question", "")
            if not isinstance(question, str):
                errors.append(f"{where}: the {lang} translation's 'question' must be text")
                question = ""
            if len(item["answer"]) > MAX_ANSWER:
                errors.append(f"{where}: the {lang} answer is {len(item['answer'])} characters; the limit is {MAX_ANSWER}")
            merged = found.setdefault(lang, {})
            merged["answer"] = item["answer"].strip()
            if question.strip():
                merged["question"] = question.strip()
    return {lang: found[lang] for lang in i18n.LANGUAGES if lang in found} or None


def parse_pack(text: str, filename: str = "<pack>") -> list[dict[str, Any]]:
    """Parse and validate a pack; raise :class:`PackError` listing every problem with its line."""
    if "\x00" in text:
        raise PackError(f"{filename}: a NUL character at offset {text.index(chr(0))}: not a text file (or a damaged one)")
    if len(text) > MAX_PACK_CHARS:
        raise PackError(f"{filename}: {len(text):,} characters; a pack holds at most {MAX_PACK_CHARS:,} (split it)")
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except RecursionError:
        raise PackError(f"{filename}: lists or mappings nest too deeply to be a pack") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        context = getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        started = f" (in the block starting at {filename}:{context.line + 1})" if context is not None else ""
        raise PackError(f"{filename}{line}: not valid YAML: {getattr(exc, 'problem', exc)}{started}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise PackError(f"{filename}:1: a pack is a mapping with an 'entries:' list")
    errors: list[str] = []
    entries: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for raw in data["entries"]:
        line = raw.get(LINE_KEY, "?") if isinstance(raw, dict) else "?"
        where = f"{filename}:{line}"
        entry = validate_entry(raw, where, errors)
        if entry is None:
            continue
        if entry["id"] in seen:
            errors.append(f"{where}: duplicate id {entry['id']!r} (first at line {seen[entry['id']]})")
        seen[entry["id"]] = line if isinstance(line, int) else 0
        entries.append(entry)
    if len(entries) > MAX_ENTRIES:
        errors.append(f"{filename}: {len(entries):,} entries; a pack holds at most {MAX_ENTRIES:,}")
    if errors:
        raise PackError(joined(errors))
    return entries


def joined(errors: list[str], shown: int = MAX_ERRORS_SHOWN) -> str:
    """Every problem up to ``shown``, then how many more (the console shows the message: an uncapped list of a
    19 MB file made a 3.7 MB session cookie)."""
    more = f"\n… and {len(errors) - shown} more problem(s)" if len(errors) > shown else ""
    return "\n".join(errors[:shown]) + more


def load_pack_file(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PackError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise PackError(f"{path}: cannot read: {exc.strerror}") from exc
    return parse_pack(text, str(path))


CONTENT_FIELDS = ("question", "alt_questions", "answer", "category", "keywords", "links", "department",
                  "contact", "active", "translations")


def save_entry(session: Session, municipality_id: int, data: dict[str, Any], author: str,
               existing: FaqEntry | None = None, encode: bool = True) -> tuple[str, FaqEntry]:
    """Create or update one entry, keeping a revision; returns (created / updated / unchanged, entry).
    Its sentence vectors are stored too (``encode=False``: the caller stores them in one batch)."""
    result, entry = _save(session, municipality_id, data, author, existing)
    if encode and result != "unchanged":
        store_entry_vectors(session, [faq_texts(entry)])
        store_vectors(session, translation_texts(entry))
    return result, entry


def _save(session: Session, municipality_id: int, data: dict[str, Any], author: str,
          existing: FaqEntry | None) -> tuple[str, FaqEntry]:
    if existing is None:
        entry = FaqEntry(municipality_id=municipality_id, key=data["id"], revision=1,
                         **{f: data[f] for f in CONTENT_FIELDS if f in data})
        session.add(entry)
        session.flush()
        session.add(FaqRevision(entry_id=entry.id, revision=1, content=entry.snapshot(), author=author))
        return "created", entry
    if not _differs(existing, data):
        return "unchanged", existing
    for f in CONTENT_FIELDS:
        if f in data:
            setattr(existing, f, data[f])
    existing.revision += 1
    session.flush()
    session.add(FaqRevision(entry_id=existing.id, revision=existing.revision, content=existing.snapshot(),
                            author=author))
    return "updated", existing


def import_entries(session: Session, municipality_id: int, entries: Iterable[dict[str, Any]],
                   author: str = "import", progress: ProgressFactory | None = None) -> ImportReport:
    """Upsert validated entries by stable id. The new texts are encoded first (in batches; ``progress``: see
    ``search.vectors.store_vectors``) and everything is written after, so a database write lock is held only
    for the writes. The caller's transaction makes it all-or-nothing."""
    entries = list(entries)
    existing: dict[str, FaqEntry] = {}
    keys = [e["id"] for e in entries]
    for start in range(0, len(keys), 500):
        existing.update((e.key, e) for e in session.scalars(select(FaqEntry).where(
            FaqEntry.municipality_id == municipality_id, FaqEntry.key.in_(keys[start:start + 500]))))
    changed = [data for data in entries if _differs(existing.get(data["id"]), data)]
    vectors = encode_missing(session, entry_vector_texts(
        [([p for p in [d["question"], *d["alt_questions"]] if p.strip()], d["answer"]) for d in changed])
        + [t for d in changed for t in translation_texts(d)], progress)
    insert_vectors(session, vectors)
    report = ImportReport()
    for data in entries:
        result, _ = save_entry(session, municipality_id, data, author, existing.get(data["id"]), encode=False)
        setattr(report, result, getattr(report, result) + 1)
        report.keys.append(data["id"])
    return report


def _differs(entry: FaqEntry | None, data: dict[str, Any]) -> bool:
    return entry is None or any(getattr(entry, f) != data[f] for f in CONTENT_FIELDS if f in data)


def export_pack(session: Session, municipality_id: int, name: str) -> str:
    entries = session.scalars(select(FaqEntry).where(FaqEntry.municipality_id == municipality_id)
                              .order_by(FaqEntry.category, FaqEntry.key)).all()
    doc = {"pack": name, "entries": [_compact(e.snapshot()) for e in entries]}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def _compact(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if v not in ("", [], None) or k in ("question", "answer")}
