"""FAQ translations in packs: validated with the rest, kept when an import does not mention them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from faq.models import FaqEntry
from faq.packs import PackError, import_entries, parse_pack
from tests.helpers import municipality

PACK = """pack: t
entries:
- id: gomi-x
  question: ごみの出し方
  answer: 分けて出してください。
  translations:
    en: {question: How to put out garbage, answer: Sort it and put it out.}
  answers:
    ja-easy: ごみを 分けて 出して ください。
"""


def test_translations_and_the_answers_shorthand_are_read_in_the_language_order() -> None:
    entry = parse_pack(PACK)[0]
    assert entry["translations"] == {"ja-easy": {"answer": "ごみを 分けて 出して ください。"},
                                     "en": {"answer": "Sort it and put it out.", "question": "How to put out garbage"}}
    assert list(entry["translations"]) == ["ja-easy", "en"]


@pytest.mark.parametrize("block, words", [
    ("  translations:\n    xx: {answer: a}\n", "unknown language 'xx'"),
    ("  translations:\n    ja: {answer: a}\n", "unknown language 'ja'"),
    ("  translations:\n    en: {question: q}\n", "the en translation needs a text 'answer'"),
    ("  answers: [a, b]\n", "'answers' must map a language code"),
])
def test_a_bad_translation_names_the_line(block: str, words: str) -> None:
    text = "entries:\n- id: a\n  question: q\n  answer: a\n" + block
    with pytest.raises(PackError) as error:
        parse_pack(text, "p.yaml")
    assert "p.yaml:2" in str(error.value) and words in str(error.value)


def test_an_import_without_translations_keeps_the_entrys_own(app) -> None:
    with app.extensions["machimado"].sessions() as session:
        mid = municipality(session).id
        import_entries(session, mid, parse_pack(PACK))
        plain = parse_pack(PACK.split("  translations:")[0])  # the same entry from a file without translations
        report = import_entries(session, mid, plain)
        assert report.unchanged == 1
        entry = session.scalar(select(FaqEntry).where(FaqEntry.key == "gomi-x"))
        assert entry is not None and set(entry.translations or {}) == {"en", "ja-easy"}
        assert entry.snapshot()["translations"]["en"]["question"] == "How to put out garbage"
        session.commit()


def test_translations_round_trip_through_csv_for_a_translator_in_excel() -> None:
    from faq.csvpack import from_csv, to_csv

    entry = parse_pack(PACK)[0]
    plain = {**entry, "id": "other", "translations": None}
    text = to_csv([entry, plain])
    header = text.lstrip("\ufeff").splitlines()[0]
    assert header.endswith("question_ja-easy,answer_ja-easy,question_en,answer_en")
    back = from_csv(text.encode("utf-8"))
    assert back[0]["translations"] == entry["translations"] and back[1]["translations"] is None
    # a file without translation columns says nothing about them (the entry keeps its own)
    old_style = "\n".join(line.rsplit(",", 4)[0] for line in text.lstrip("\ufeff").splitlines())
    assert "translations" not in from_csv(old_style.encode("utf-8"))[1]
