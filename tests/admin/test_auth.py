"""Sign-in hardening (issue #16 §1.1, §1.6), each probe reproduced: parallel guesses cannot outrun the lock,
unknown names are throttled and answered exactly like known ones, per-address limits, and a session ends on
the server when staff log out, change their password or are disabled."""

from __future__ import annotations

import threading
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

import admin.auth
import admin.throttle as throttle
from admin.auth import ADDRESS_LOCKED, SIGN_IN_FAILED
from admin.models import LoginThrottle
from cli.main import main
from core.timeutil import utcnow
from tests.admin.test_console import PASSWORD, csrf, login, make_staff


def client_from(app, address: str):
    """A browser at ``address`` (what the app sees as ``request.remote_addr``)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def error_of(response) -> str:
    return SIGN_IN_FAILED if SIGN_IN_FAILED in response.text else response.text


class Checks:
    """Records which hash each password check used (wrapping the real scrypt check): guesses checked against
    the account's own hash are the ones that could have succeeded."""

    def __init__(self, monkeypatch) -> None:
        self.hashes: list[str] = []
        self._lock, real = threading.Lock(), admin.auth.check_password_hash

        def recorded(hashed: str, password: str) -> bool:
            with self._lock:
                self.hashes.append(hashed)
            return real(hashed, password)

        monkeypatch.setattr(admin.auth, "check_password_hash", recorded)

    @property
    def against_accounts(self) -> int:
        return sum(h != admin.auth.dummy_hash() for h in self.hashes)


def test_five_failures_lock_and_every_failure_reads_the_same(app, client) -> None:
    name = make_staff(app)["viewer"]
    wrong = [error_of(login(client, name, "wrong-password")) for _ in range(5)]
    locked = login(client, name)  # the right password, but locked now
    unknown = login(app.test_client(), "nobody-here", "whatever-password")
    assert locked.status_code == unknown.status_code == 401
    assert set(wrong) == {error_of(locked)} == {error_of(unknown)} == {SIGN_IN_FAILED}


def test_forty_parallel_guesses_get_at_most_five_password_checks(app, monkeypatch) -> None:
    name = make_staff(app)["editor"]
    checks = Checks(monkeypatch)
    clients = [client_from(app, f"10.0.{i // 250}.{i % 250}") for i in range(40)]
    tokens = [csrf(c) for c in clients]
    start = threading.Barrier(40)

    def guess(i: int) -> None:
        start.wait()
        clients[i].post("/admin/login", data={"username": name, "password": f"guess-{i}", "csrf_token": tokens[i]})

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks.hashes) == 40  # every try costs one scrypt check (same timing)…
    assert checks.against_accounts == 5  # …but only five were checked against the account (was: all 40)
    assert login(app.test_client(), name).status_code == 401  # locked, even with the right password
    with app.extensions["machimado"].sessions() as session:
        row = session.get(LoginThrottle, f"user:{name}")
    assert row.locked_until is not None


def test_a_refused_try_never_checks_the_accounts_password(app, monkeypatch) -> None:
    """Locked, unknown and wrong all cost one scrypt check (same timing); only a try within the limit checks
    the account's own hash."""
    name = make_staff(app)["editor"]
    checks = Checks(monkeypatch)
    for _ in range(5):
        login(app.test_client(), name, "wrong-password")
    login(app.test_client(), name)  # locked: checked against the dummy hash
    login(app.test_client(), "no-such-user", "x" * 12)
    seen = checks.hashes
    assert len(seen) == 7
    assert seen[5] == seen[6] == admin.auth.dummy_hash() and admin.auth.dummy_hash() not in seen[:5]


def test_unknown_names_are_throttled_too(app) -> None:
    client = app.test_client()
    for _ in range(30):
        login(client, "ghost-user", "some-password")
    with app.extensions["machimado"].sessions() as session:
        row = session.get(LoginThrottle, "user:ghost-user")
    assert row.locked_until is not None and row.failures < 5


def test_one_address_trying_many_names_is_locked_out_others_are_not(app) -> None:
    names = make_staff(app)
    attacker = client_from(app, "203.0.113.9")
    for i in range(throttle.LIMITS["ip"]):
        login(attacker, f"guess-name-{i}", "some-password")
    locked = login(attacker, names["admin"])
    assert locked.status_code == 401 and ADDRESS_LOCKED in locked.text  # the address is locked, and says so
    assert login(client_from(app, "198.51.100.7"), names["admin"]).status_code == 302


def test_a_whole_city_hall_behind_one_proxy_signs_in_all_morning(app) -> None:
    """#26 (13): successful sign-ins never count against the address (the 21st of 20 was refused)."""
    names = make_staff(app)
    for i in range(40):
        assert login(client_from(app, "10.0.0.1"), names["viewer"]).status_code == 302, i
    for _ in range(10):  # and a few colleagues mistype on the way: still fine
        login(client_from(app, "10.0.0.1"), names["editor"], "wrong-password")
        assert login(client_from(app, "10.0.0.1"), names["admin"]).status_code == 302


def test_the_lock_ends_after_its_time(app, client) -> None:
    name = make_staff(app)["viewer"]
    for _ in range(5):
        login(client, name, "wrong-password")
    with app.extensions["machimado"].sessions() as session:
        session.get(LoginThrottle, f"user:{name}").locked_until = utcnow() - timedelta(seconds=1)
        session.commit()
    assert login(client, name).status_code == 302


def test_logout_ends_the_session_on_the_server(app, client) -> None:
    login(client, make_staff(app)["editor"])
    cookie = client.get_cookie("machimado_session").value
    assert client.get("/admin/faq").status_code == 200
    client.post("/admin/logout", data={"csrf_token": csrf(client, "/admin/password")})
    replay = app.test_client()
    replay.set_cookie("machimado_session", cookie)
    assert replay.get("/admin/faq").status_code == 302  # the old cookie signs nobody in


def test_disabling_an_account_ends_its_sessions_and_sign_ins(app, client) -> None:
    name = make_staff(app)["editor"]
    login(client, name)
    assert client.get("/admin/faq").status_code == 200
    result = CliRunner().invoke(main, ["admin", "disable-user", name])
    assert result.exit_code == 0, result.output
    assert client.get("/admin/faq").status_code == 302
    assert login(app.test_client(), name, PASSWORD).status_code == 401
    assert CliRunner().invoke(main, ["admin", "enable-user", name]).exit_code == 0
    assert login(app.test_client(), name, PASSWORD).status_code == 302


def test_superseded_sessions_table_rows_are_revoked_not_deleted(app, client) -> None:
    from admin.models import StaffSession

    login(client, make_staff(app)["viewer"])
    client.post("/admin/logout", data={"csrf_token": csrf(client, "/admin/password")})
    with app.extensions["machimado"].sessions() as session:
        rows = session.scalars(select(StaffSession)).all()
    assert len(rows) == 1 and rows[0].revoked_at is not None


def test_purge_drops_ended_sessions_and_stale_counters(app, client) -> None:
    from admin.models import StaffSession
    from app.retention import purge

    name = make_staff(app)["viewer"]
    login(client, name)
    login(app.test_client(), "ghost", "some-password")
    with app.extensions["machimado"].sessions() as session:
        purge(session, utcnow(), 365)
        assert len(session.scalars(select(StaffSession)).all()) == 1  # live: kept
        assert session.get(LoginThrottle, "user:ghost") is not None
        purge(session, utcnow() + timedelta(days=30), 365)
        session.commit()
        assert session.scalars(select(StaffSession)).all() == []
        assert session.scalars(select(LoginThrottle)).all() == []


def test_set_password_from_the_cli_ends_sessions(app, client) -> None:
    name = make_staff(app)["admin"]
    login(client, name)
    result = CliRunner().invoke(main, ["admin", "set-password", name, "--password", "brand-new-password-1"])
    assert result.exit_code == 0, result.output
    assert client.get("/admin/faq").status_code == 302
    assert login(app.test_client(), name, "brand-new-password-1").status_code == 302
