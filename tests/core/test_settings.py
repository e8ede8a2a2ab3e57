"""Configuration: 12-factor settings, production refuses to start insecurely, municipality YAML errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import LINE_API_DEFAULT, load_settings
from tests.helpers import MULTI_CONFIG, ROOT


def test_development_defaults_to_demo_city_and_sqlite(tmp_path: Path) -> None:
    s = load_settings({"MACHIMADO_ENV": "development", "MACHIMADO_INSTANCE_PATH": str(tmp_path)})
    assert s.default_slug == "sample" and s.default_municipality.name == "サンプル市"
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("machimado.sqlite3")
    assert s.line_api_base_url == LINE_API_DEFAULT


@pytest.mark.parametrize("missing", ["SECRET_KEY", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"])
def test_production_requires_secrets(missing: str) -> None:
    env = {"SECRET_KEY": "k", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
    del env[missing]
    with pytest.raises(ConfigError, match=missing):
        load_settings(env)  # MACHIMADO_ENV defaults to production


def test_production_with_secrets_starts() -> None:
    s = load_settings({"SECRET_KEY": "k", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
                       "LINE_API_BASE_URL": "http://127.0.0.1:9999/"})
    assert s.env == "production" and s.default_municipality.channel_secret == "s"
    assert s.line_api_base_url == s.line_data_api_base_url == "http://127.0.0.1:9999"


def test_create_app_stops_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.factory import create_app

    for name in ("MACHIMADO_ENV", "SECRET_KEY", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_multi_municipality_yaml_reads_secrets_from_named_env_vars() -> None:
    env = {"MACHIMADO_ENV": "production", "SECRET_KEY": "k", "MACHIMADO_CONFIG": str(MULTI_CONFIG),
           "SHIMA_LINE_SECRET": "a", "SHIMA_LINE_TOKEN": "b", "MINATO_LINE_SECRET": "c", "MINATO_LINE_TOKEN": "d"}
    s = load_settings(env)
    assert sorted(s.municipalities) == ["minato", "shima"] and s.default_slug == "shima"
    assert s.municipalities["minato"].channel_secret == "c"
    assert s.municipalities["minato"].thresholds.answer == 0.6
    del env["MINATO_LINE_TOKEN"]
    with pytest.raises(ConfigError, match="MINATO_LINE_TOKEN"):
        load_settings(env)


@pytest.mark.parametrize("text, message", [
    ("municipalities: []", "non-empty 'municipalities'"),
    ("municipalities:\n  - {slug: Bad Slug}", "slug"),
    ("municipalities:\n  - {slug: a, name: A, channel_secret_env: X, channel_access_token_env: Y}", "contact"),
    ("municipalities: [unclosed", "not valid YAML"),
])
def test_bad_municipality_yaml_is_explained(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings({"MACHIMADO_ENV": "development", "MACHIMADO_CONFIG": str(path)})


def test_times_typed_by_staff_are_local_and_shown_local(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from core.timeutil import local_str, parse_local

    monkeypatch.delenv("MACHIMADO_TIMEZONE", raising=False)
    assert parse_local("2026-12-01T09:00").astimezone(UTC) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert parse_local("2026-12-01T09:00+00:00").astimezone(UTC).hour == 9
    assert local_str(datetime(2026, 12, 1, 0, 0)) == "2026-12-01 09:00"  # naive = UTC from SQLite


def test_console_templates_need_no_inline_styles() -> None:
    """The console's Content-Security-Policy forbids inline styles and scripts."""

    for template in (ROOT / "admin" / "templates" / "admin").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert 'style="' not in text and "<script>" not in text, template.name


def test_disaster_desk_is_read_from_the_municipalities_file(tmp_path: Path) -> None:
    settings = load_settings({"MACHIMADO_ENV": "testing", "MACHIMADO_CONFIG": str(MULTI_CONFIG)})
    assert settings.municipalities["shima"].disaster_contact.desk == "しま市災害対策本部"
    assert settings.municipalities["minato"].disaster_contact is None
    bad = tmp_path / "bad.yaml"
    bad.write_text(MULTI_CONFIG.read_text("utf-8").replace("disaster_contact: {desk: しま市災害対策本部, ",
                                                           "disaster_contact: {"), encoding="utf-8")
    with pytest.raises(ConfigError, match="disaster_contact needs desk, phone and hours"):
        load_settings({"MACHIMADO_ENV": "testing", "MACHIMADO_CONFIG": str(bad)})


def test_learning_switch_is_per_municipality_and_checked(tmp_path: Path) -> None:
    settings = load_settings({"MACHIMADO_ENV": "testing", "MACHIMADO_CONFIG": str(MULTI_CONFIG)})
    assert settings.municipalities["shima"].auto_attach_after == 0  # off unless the municipality says so
    text = MULTI_CONFIG.read_text("utf-8")
    for value, ok in (("3", True), ("-1", False), ("yes", False)):
        path = tmp_path / f"learning-{value}.yaml"
        path.write_text(text.replace("    districts:", f"    learning: {{auto_attach_after: {value}}}\n    districts:", 1),
                        encoding="utf-8")
        if ok:
            loaded = load_settings({"MACHIMADO_ENV": "testing", "MACHIMADO_CONFIG": str(path)})
            assert max(m.auto_attach_after for m in loaded.municipalities.values()) == 3
        else:
            with pytest.raises(ConfigError, match="auto_attach_after"):
                load_settings({"MACHIMADO_ENV": "testing", "MACHIMADO_CONFIG": str(path)})


def test_the_second_meaning_model_is_on_except_in_tests_and_says_what_is_wrong() -> None:
    assert load_settings({"MACHIMADO_ENV": "development"}).second_model is True
    assert load_settings({"MACHIMADO_ENV": "testing"}).second_model is False
    assert load_settings({"MACHIMADO_ENV": "testing", "MACHIMADO_SECOND_MODEL": "on"}).second_model is True
    with pytest.raises(ConfigError, match="MACHIMADO_SECOND_MODEL must be on or off"):
        load_settings({"MACHIMADO_ENV": "development", "MACHIMADO_SECOND_MODEL": "yes"})


@pytest.mark.parametrize("name, value, message", [
    ("MACHIMADO_RETENTION_DAYS", "abc", "MACHIMADO_RETENTION_DAYS must be a whole number"),
    ("MACHIMADO_MAX_BODY_BYTES", "1e6", "MACHIMADO_MAX_BODY_BYTES must be a whole number"),
    ("LINE_API_TIMEOUT", "soon", "LINE_API_TIMEOUT must be a number of seconds"),
    ("LINE_API_TIMEOUT", "-1", "between 0 and 600"),
])
def test_a_mistyped_number_is_a_one_line_error_naming_it(name: str, value: str, message: str) -> None:
    """#26 (27): these were tracebacks."""
    with pytest.raises(ConfigError, match=message):
        load_settings({"MACHIMADO_ENV": "development", name: value})
