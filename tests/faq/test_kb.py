"""The matcher cache: an edit reaches the next question; a slow rebuild (a large import) runs in the
background while the previous matcher keeps answering (issue #16 §1.3)."""

from __future__ import annotations

import threading
import time

import faq.kb
from faq.packs import save_entry

ENTRY = {"id": "test-drone", "question": "ドローンを飛ばしてよい場所", "answer": "公園管理事務所に申請してください。",
         "category": "施設", "alt_questions": [], "keywords": [], "links": [], "department": "", "contact": "",
         "active": True}


def add_entry(rt, tenant_id: int) -> None:
    with rt.sessions() as session:
        save_entry(session, tenant_id, ENTRY, "test")
        session.commit()


def current(rt, tenant):
    with rt.sessions() as session:
        return rt.matchers.get(session, tenant.id, tenant.config)


def test_a_quick_rebuild_is_waited_for(app) -> None:
    rt = app.extensions["machimado"]
    tenant = rt.default_tenant()
    before = current(rt, tenant)
    add_entry(rt, tenant.id)
    after = current(rt, tenant)
    assert after is not before and after.match("ドローンを飛ばしてよい場所").top.key == "test-drone"


def test_a_slow_rebuild_runs_in_the_background_while_the_previous_matcher_answers(app, monkeypatch) -> None:
    rt = app.extensions["machimado"]
    tenant = rt.default_tenant()
    previous = current(rt, tenant)
    rt.matchers._build_s[tenant.id] = 60.0  # noqa: SLF001 - the last build was slow (a large knowledge base)
    release, real = threading.Event(), faq.kb.build_matcher

    def held(*args, **kwargs):  # the real build, held until the test lets it go
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(faq.kb, "build_matcher", held)
    add_entry(rt, tenant.id)
    started = time.monotonic()
    during = current(rt, tenant)
    assert during is previous and time.monotonic() - started < 1.0  # not held by the rebuild
    assert current(rt, tenant) is previous  # one rebuild at a time, still serving the previous matcher
    assert [t.name for t in threading.enumerate()].count(f"matcher-rebuild-{tenant.id}") == 1
    release.set()
    deadline = time.monotonic() + 30
    while current(rt, tenant) is previous and time.monotonic() < deadline:
        time.sleep(0.05)
    assert current(rt, tenant).match("ドローンを飛ばしてよい場所").top.key == "test-drone"


def test_another_processs_edit_reaches_questions_within_the_version_ttl(app, monkeypatch) -> None:
    """The version is re-read at most every VERSION_TTL_S: a change committed outside this process's sessions (here
    a raw SQL update, as another worker's commit looks from here) is seen once that time has passed; a commit
    through this process's sessions is seen at once (test_a_quick_rebuild_is_waited_for)."""
    from sqlalchemy import text

    monkeypatch.setattr(faq.kb, "VERSION_TTL_S", 3.0)  # long enough that a loaded CI machine stays within it
    rt = app.extensions["machimado"]
    tenant = rt.default_tenant()
    add_entry(rt, tenant.id)
    before = current(rt, tenant)
    with rt.engine.begin() as connection:  # not a Session: this process's cache is not told
        connection.execute(text("UPDATE faq_entries SET question = 'ドローン練習場の申請', revision = revision + 1 "
                                "WHERE key = 'test-drone'"))
    assert current(rt, tenant) is before  # within the TTL: the cached matcher answers
    time.sleep(3.1)
    after = current(rt, tenant)
    assert after is not before and after.match("ドローン練習場の申請").top.key == "test-drone"
