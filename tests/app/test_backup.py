"""Backup and restore (issue #16 §3): a backup restored into an empty database backs up to the same bytes, on
SQLite and PostgreSQL; a changed file or a non-empty target is a clear error; one municipality's backup holds
nothing of another's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.backup import BackupError, backup, restore
from cli.main import main
from core.db import make_engine
from core.models import Municipality
from faq.models import FaqEntry
from tests.admin.test_console import login, make_staff
from tests.bot.test_consultation import Chat, quick
from tests.helpers import add_followers, make_notice, run_worker


def second_database(url: str, tmp_path: Path) -> str:
    """An empty database beside the test one (a file on SQLite, another database on PostgreSQL)."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    target = make_url(url).set(database=make_url(url).database + "_restore")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return target.render_as_string(hide_password=False)


def a_lived_in_city(app, client, fake_line) -> None:
    """Questions, 👎, a 相談 with a staff reply, a delivered notice, staff, a shelter opened, disaster mode."""
    add_followers(app, fake_line, 3)
    chat = Chat(client, fake_line)
    chat.tap(quick(chat.send("粗大ごみの出し方"))["👎 いいえ"])
    chat.tap("action=consult")
    chat.send("相談があります")
    make_notice(app, title="健診", body="今月です。")
    run_worker(app)
    make_staff(app)
    staff = app.test_client()
    login(staff, "sample-admin")
    runner = CliRunner()
    assert runner.invoke(main, ["directory", "shelter-status", "S004", "open"]).exit_code == 0
    assert runner.invoke(main, ["disaster", "on"]).exit_code == 0


def tables_of(manifest: dict) -> dict[str, str]:
    return {name: info["sha256"] for name, info in manifest["tables"].items()}


def test_backup_restore_backup_is_identical(app, client, fake_line, database_url, tmp_path) -> None:
    a_lived_in_city(app, client, fake_line)
    with app.extensions["machimado"].sessions() as session:
        first = backup(session, tmp_path / "a", password_hashes=True)
    assert first["tables"]["question_logs"]["rows"] == 1 and first["tables"]["consultation_messages"]["rows"] == 1
    assert first["tables"]["notice_batches"]["rows"] == 1 and first["tables"]["faq_revisions"]["rows"] >= 151
    target = make_engine(second_database(database_url, tmp_path))
    try:
        counts = restore(target, tmp_path / "a")
        assert counts["faq_entries"] == first["tables"]["faq_entries"]["rows"]
        with Session(target) as session:
            second = backup(session, tmp_path / "b", password_hashes=True)
            entry = session.scalars(select(FaqEntry).order_by(FaqEntry.id)).first()
            session.add(FaqEntry(municipality_id=entry.municipality_id, key="after-restore", question="q", answer="a"))
            session.commit()  # ids continue after the restored ones (PostgreSQL sequences set)
    finally:
        target.dispose()
    assert tables_of(second) == tables_of(first)


def test_a_changed_backup_or_a_non_empty_target_is_refused(app, database_url, tmp_path) -> None:
    with app.extensions["machimado"].sessions() as session:
        backup(session, tmp_path / "a")
    engine = make_engine(database_url)
    try:
        with pytest.raises(BackupError, match="not empty"):
            restore(engine, tmp_path / "a")  # the test database itself has the demo city
    finally:
        engine.dispose()
    path = tmp_path / "a" / "faq_entries.yaml"
    path.write_bytes(path.read_bytes().replace("粗大ごみ".encode(), "粗大ゴミ".encode(), 1))
    result = CliRunner().invoke(main, ["restore", str(tmp_path / "a")])
    assert result.exit_code != 0 and "faq_entries.yaml is missing or changed" in result.output


def test_one_municipalitys_backup_holds_nothing_of_another(multi_app, tmp_path) -> None:
    with multi_app.extensions["machimado"].sessions() as session:
        minato = session.scalar(select(Municipality.id).where(Municipality.slug == "minato"))
        manifest = backup(session, tmp_path / "shima", ["shima"])
    assert manifest["municipalities"] == ["shima"]
    for name in manifest["tables"]:
        rows = yaml.safe_load((tmp_path / "shima" / f"{name}.yaml").read_text("utf-8")) or []
        assert all(row.get("municipality_id") != minato for row in rows), name
    staff = yaml.safe_load((tmp_path / "shima" / "staff_users.yaml").read_text("utf-8")) or []
    assert all(row["password_hash"] == "" for row in staff)  # hashes only when asked


def test_backups_and_privacy_exports_are_readable_by_their_owner_only(app, client, fake_line, tmp_path) -> None:
    """#26 (26): they hold LINE ids, questions and password hashes; they were written 0644."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        with app.extensions["machimado"].sessions() as session:
            backup(session, tmp_path / "b", password_hashes=True)
        assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o700
        modes = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "b").iterdir()}
        assert modes == {0o600}
        Chat(client, fake_line, "U" + "5" * 32).send("粗大ごみの出し方")
        out = tmp_path / "export.json"
        result = CliRunner().invoke(main, ["privacy", "export", "--line-user-id", "U" + "5" * 32, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    finally:
        os.umask(old)
