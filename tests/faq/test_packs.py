"""Knowledge-base packs: validation with file:line errors, transactional import, upsert by id, export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import main
from faq.jobs import parse_upload
from faq.models import FaqEntry, FaqRevision
from faq.packs import DEMO_PACK, PackError, load_pack_file, parse_pack

GOOD = """pack: t
entries:
  - id: a1
    question: 粗大ごみの出し方
    answer: 申し込んでください。
    links: [{label: 申込み, url: "https://example.jp/a"}]
  - id: a2
    question: 犬の登録
    answer: 30日以内に登録してください。
"""


def test_demo_pack_is_large_and_varied() -> None:
    entries = load_pack_file(DEMO_PACK)
    assert len(entries) >= 150
    assert len({e["category"] for e in entries}) >= 12


@pytest.mark.parametrize("text, line, words", [
    ("entries:\n  - id: x\n    question: [unclosed\n", 3, "not valid YAML"),
    ("entries:\n  - id: x\n    question: q\n", 2, "'answer' is required"),
    ("entries:\n  - id: x\n    question: q\n    answer: a\n  - id: x\n    question: q\n    answer: b\n", 5,
     "duplicate id"),
    ("entries:\n  - id: x\n    question: q\n    answer: a\n    anwser: typo\n", 2, "unknown key"),
    ("entries:\n  - id: x\n    question: q\n    answer: a\n    links:\n      - {label: l, url: 'javascript:1'}\n",
     6, "must start with https://"),
    ("entries:\n  - id: 'bad id!'\n    question: q\n    answer: a\n", 2, "'id' is required"),
    ("- just a list\n", 1, "mapping with an 'entries:' list"),
])
def test_malformed_pack_names_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(PackError) as info:
        parse_pack(text, "kb.yaml")
    assert f"kb.yaml:{line}" in str(info.value) and words in str(info.value)


def _entry_count(app) -> int:
    with app.extensions["machimado"].sessions() as session:
        return session.scalar(select(func.count(FaqEntry.id)))


def test_cli_import_is_all_or_nothing_and_upserts_by_id(app, tmp_path: Path) -> None:
    runner = CliRunner()
    before = _entry_count(app)
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD + "  - id: a3\n    question: q\n", encoding="utf-8")

    result = runner.invoke(main, ["faq", "import", str(bad)])
    assert result.exit_code != 0 and "nothing imported" in result.output and "bad.yaml:10" in result.output
    assert _entry_count(app) == before

    result = runner.invoke(main, ["faq", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    good.write_text(GOOD.replace("30日以内", "必ず30日以内"), encoding="utf-8")
    result = runner.invoke(main, ["faq", "import", str(good)])
    assert "0 created, 1 updated, 1 unchanged" in result.output
    assert _entry_count(app) == before + 2
    with app.extensions["machimado"].sessions() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.key == "a2")).one()
        assert entry.revision == 2 and entry.answer.startswith("必ず")
        revisions = session.scalars(select(FaqRevision.revision).where(FaqRevision.entry_id == entry.id)).all()
        assert sorted(revisions) == [1, 2]


def test_export_round_trips(app, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "export.yaml"
    assert runner.invoke(main, ["faq", "export", "-o", str(out)]).exit_code == 0
    exported = load_pack_file(out)
    assert len(exported) == _entry_count(app)
    result = runner.invoke(main, ["faq", "import", str(out)])
    assert f"0 created, 0 updated, {len(exported)} unchanged" in result.output


def test_import_of_unreadable_file_is_a_clear_error(app, tmp_path: Path) -> None:
    sjis = tmp_path / "sjis.yaml"
    sjis.write_bytes("entries: []\n# 日本語".encode("cp932"))
    result = CliRunner().invoke(main, ["faq", "import", str(sjis)])
    assert result.exit_code != 0 and "not UTF-8" in result.output
    result = CliRunner().invoke(main, ["faq", "import", str(tmp_path / "missing.yaml")])
    assert result.exit_code != 0 and "cannot read" in result.output


def test_an_import_encodes_before_it_writes_so_residents_questions_are_logged_meanwhile(app, database_url) -> None:
    """While an import's texts are encoded (minutes for a large pack), another connection can still write: on
    SQLite the import takes the database's write lock only for its writes (issue #16 §1.3)."""
    import contextlib
    import sqlite3

    from faq.packs import import_entries
    from tests.helpers import municipality

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's database-wide write lock")
    path = database_url.split("///", 1)[1]
    writes: list[bool] = []

    class Probe:
        def update(self, n: int) -> None:  # called after each encoded batch
            other = sqlite3.connect(path, timeout=0.2)
            try:
                other.execute("BEGIN IMMEDIATE")  # a webhook logging a question
                other.rollback()
                writes.append(True)
            except sqlite3.OperationalError:
                writes.append(False)
            finally:
                other.close()

    entries = [{**e, "id": f"new-{i}", "question": f"{e['question']}（第{i}版）"}
               for i, e in enumerate(load_pack_file(DEMO_PACK)[:80])]
    rt = app.extensions["machimado"]
    with rt.sessions() as session:
        report = import_entries(session, municipality(session).id, entries, progress=lambda total: contextlib.nullcontext(Probe()))
        session.commit()
    assert report.created == 80 and writes and all(writes)


# What each of the demo pack's categories is about; an entry must speak of its category's theme somewhere in its
# question, phrasings, keywords or answer (犬の登録 sat under ごみ・リサイクル: #17.7).
THEMES = {
    "住民票・戸籍・印鑑登録": ["住民票", "戸籍", "印鑑", "届", "証明", "窓口"],
    "転入・転出": ["引っ越", "転入", "転出", "転居"],
    "マイナンバーカード・コンビニ交付": ["マイナンバー", "マイナ", "コンビニ"],
    "税": ["税", "納付", "申告"],
    "国保・年金": ["国民健康保険", "国保", "年金", "保険"],
    "子育て・児童手当": ["子ども", "子育て", "児童", "保育", "赤ちゃん", "妊娠", "出産", "母子", "学童", "ひとり親"],
    "介護": ["介護", "高齢", "認知症"],
    "ごみ・リサイクル": ["ごみ", "ゴミ", "リサイクル", "資源", "捨て", "廃棄", "家電", "不法投棄"],
    "防災・避難": ["避難", "災害", "防災", "地震", "断水", "備蓄", "土のう", "罹災"],
    "施設": ["施設", "図書館", "公民館", "体育館", "駐車場", "バス", "会議室", "スポーツ", "予約"],
    "健康・医療": ["健康", "健診", "検診", "病院", "医療", "予防接種", "AED", "相談", "障害", "熱中症", "禁煙", "治療"],
    "デジタル支援（スマホ教室）": ["スマホ", "LINE", "オンライン", "デジタル", "Wi-Fi", "マイナポータル", "メール"],
    "キャッシュレス": ["キャッシュレス", "支払", "払", "決済", "手数料"],
    "くらし・住まい・環境": ["犬", "公園", "道路", "街灯", "住宅", "詐欺", "還付金"],
}


def test_every_demo_entry_is_filed_under_a_category_it_belongs_to() -> None:
    misfiled = []
    for e in load_pack_file(DEMO_PACK):
        text = " ".join([e["question"], *e["alt_questions"], *e["keywords"], e["answer"]])
        if not any(word in text for word in THEMES[e["category"]]):
            misfiled.append(f"{e['id']} ({e['category']}): {e['question']}")
    assert misfiled == []


# #26 (30, 31): hostile or broken packs are refused with a reason, fast, never a 500.
@pytest.mark.parametrize("text, reason", [
    ("a: &a [x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nentries: [*c]\n", "aliases (*name) are not accepted"),
    ("entries: " + "[" * 3000 + "]" * 3000, "nest too deeply"),
    ("entries:\n  - 123: x\n    id: k\n    question: q\n    answer: a\n", "unknown key(s) 123"),
])
def test_hostile_yaml_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(PackError, match=re.escape(reason)):
        parse_pack(text, "p.yaml")


def test_a_csv_field_over_the_csv_limit_and_thousands_of_errors_are_reported_briefly() -> None:
    with pytest.raises(PackError, match="not a readable CSV"):
        parse_upload(("id,question,answer\n" + "x" * 200_000 + ",y,z\n").encode(), "p.csv")
    many = "entries:\n" + "".join(f"  - id: 'bad id {i}'\n    question: q\n    answer: a\n" for i in range(500))
    with pytest.raises(PackError) as raised:
        parse_pack(many, "p.yaml")
    assert str(raised.value).count("\n") == 50 and str(raised.value).endswith("… and 450 more problem(s)")
