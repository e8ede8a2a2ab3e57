"""Near-duplicate questions: `machimado faq lint`, the console's warning, and the demo data kept clean of them."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from cli.main import main
from faq.lint import Phrasing, near_duplicates
from search.normalize import Normalizer
from tests.admin.test_console import login, make_staff, save_faq


def pairs(*texts: str) -> set[tuple[str, str]]:
    items = [Phrasing(f"faq:{i}", t, t) for i, t in enumerate(texts)]
    return {(d.first.text, d.second.text) for d in near_duplicates(items, Normalizer())}


def test_same_words_or_a_few_added_characters_are_near_identical() -> None:
    assert pairs("児童手当の申請", "児童手当を申請したい") == {("児童手当の申請", "児童手当を申請したい")}
    assert pairs("マイナンバーカードの更新", "マイナンバーカードの申請・更新") != set()


def test_a_different_word_or_a_negation_is_not_a_near_duplicate() -> None:
    assert pairs("転入届を出したい", "転出届を出したい") == set()  # 88% alike, but another procedure
    assert pairs("税金の払い方", "税金が払えない") == set()  # the same words once normalized, but negated
    assert pairs("粗大ごみの出し方", "住民票の写しを取りたい") == set()


def test_phrasings_of_one_entry_are_not_compared_with_each_other() -> None:
    items = [Phrasing("faq:a", "住民票", "住民票がほしい"), Phrasing("faq:a", "住民票", "住民票が欲しい")]
    assert near_duplicates(items, Normalizer()) == []


def test_demo_data_has_no_near_duplicates_and_lint_finds_a_new_one(app, tmp_path) -> None:
    runner = CliRunner()
    clean = runner.invoke(main, ["faq", "lint"])
    assert clean.exit_code == 0, clean.output
    pack = tmp_path / "more.yaml"
    pack.write_text(yaml.safe_dump({"pack": "t", "entries": [
        {"id": "myna-koshin-2", "question": "マイナンバーカードを更新したい", "answer": "市民課へ。", "category": "テスト"}]},
        allow_unicode=True), encoding="utf-8")
    assert runner.invoke(main, ["faq", "import", str(pack)]).exit_code == 0
    found = runner.invoke(main, ["faq", "lint"])
    assert found.exit_code == 1
    assert "faq:myna-koshin 「マイナンバーカードの更新」 ~ faq:myna-koshin-2 「マイナンバーカードを更新したい」 (same words)" \
        in found.output


def test_console_warns_when_a_saved_question_is_near_identical(app, client) -> None:
    login(client, make_staff(app)["editor"])
    saved = save_faq(client, "マイナンバーカードを更新したい", "市民課で手続きできます。")
    page = client.get(saved.headers["Location"]).text
    assert "「マイナンバーカードを更新したい」は、別の項目「マイナンバーカードの更新」" in page
    assert "すぐには回答できません" in page
    other = save_faq(client, "ドローンを飛ばす許可", "公園管理課に申請してください。")
    assert "ほぼ同じ質問" not in client.get(other.headers["Location"]).text
