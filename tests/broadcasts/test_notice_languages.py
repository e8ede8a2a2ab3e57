"""Notices from templates reach each resident once, in the language they chose (#15)."""

from __future__ import annotations

from sqlalchemy import select

from broadcasts.delivery import plan_notice
from broadcasts.models import Notice, NoticeBatch
from broadcasts.notices import update_draft
from broadcasts.templates import load_templates
from core.db import session_scope
from core.models import Follower
from tests.helpers import add_followers, make_notice, run_worker

VALUES = {"area": "北地区", "reason": "大雨", "time": "12月1日 14時30分", "shelters": "北小学校体育館"}


def set_languages(app, languages: dict[str, str | None]) -> None:
    with session_scope(app.extensions["machimado"].sessions) as session:
        for row in session.scalars(select(Follower)):
            if row.line_user_id in languages:
                row.language = languages[row.line_user_id]


def test_every_template_has_every_language_with_the_same_fields() -> None:
    for template in load_templates().values():
        assert len(template.translations) == 10, template.id
        filled = template.fill_translations({p: "X" for p in template.params})
        assert all("{" not in t["title"] + t["body"] for t in filled.values()), template.id


def test_an_emergency_from_a_template_reaches_each_resident_once_in_their_language(app, fake_line) -> None:
    ja, en, mixed, vi = add_followers(app, fake_line, 4)
    set_languages(app, {en: "en", mixed: "ja-easy+en", vi: "vi"})
    template = load_templates()["hinanjo-kaisetsu"]
    title, body = template.fill(VALUES)
    notice_id = make_notice(app, title=title, body=body, category="防災", severity="emergency",
                            translations=template.fill_translations(VALUES))
    with session_scope(app.extensions["machimado"].sessions) as session:
        notice = session.get(Notice, notice_id)
        assert plan_notice(session, notice) == 4
        batches = session.scalars(select(NoticeBatch).order_by(NoticeBatch.seq)).all()
        # not one broadcast: a list per language (the Japanese first)
        assert [(b.kind, b.language, b.recipients) for b in batches] == [
            ("multicast", None, [ja]), ("multicast", "en", [en]), ("multicast", "ja-easy", [mixed]),
            ("multicast", "vi", [vi])]
    run_worker(app)
    got = {d["to"]: d["messages"][0]["text"] for d in fake_line.deliveries}
    assert len(fake_line.deliveries) == 4  # exactly once each
    assert got[ja].startswith("【緊急】避難所を開設しました（北地区）")
    assert got[en].startswith("[EMERGENCY] Evacuation shelters opened (北地区)") and "北小学校体育館" in got[en]
    assert got[mixed].startswith("【大事】避難所を 開けました（北地区）")
    assert got[vi].startswith("[KHẨN CẤP] Đã mở nơi sơ tán (北地区)")


def test_a_notice_without_translations_is_still_one_broadcast(app, fake_line) -> None:
    _, en = add_followers(app, fake_line, 2)
    set_languages(app, {en: "en"})
    notice_id = make_notice(app, category="防災", severity="emergency")
    with session_scope(app.extensions["machimado"].sessions) as session:
        plan_notice(session, session.get(Notice, notice_id))
        assert [b.kind for b in session.scalars(select(NoticeBatch))] == ["broadcast"]


def test_editing_a_template_drafts_japanese_drops_the_translations_that_no_longer_match(app, fake_line) -> None:
    template = load_templates()["dansui"]
    values = {"area": "南地区", "reason": "水道管の破損", "eta": "本日18時ごろ", "supply": "市役所駐車場"}
    title, body = template.fill(values)
    notice_id = make_notice(app, title=title, body=body, category="防災", severity="emergency", draft=True,
                            translations=template.fill_translations(values))
    rt = app.extensions["machimado"]
    config = rt.settings.default_municipality
    with session_scope(rt.sessions) as session:
        notice = session.get(Notice, notice_id)
        update_draft(notice, config, title=title, body=body, category="防災", severity="emergency")
        assert set(notice.translations or {}) == set(template.translations)  # unchanged text keeps them
        update_draft(notice, config, title=title, body=body + "\n給水車も出ます。", category="防災", severity="emergency")
        assert notice.translations is None
