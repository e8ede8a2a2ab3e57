"""The deployment files (docs/deploy.md) work with this code: systemd units verify, the compose file and the
Procfile start commands the CLI has, health checks hit routes the app serves."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cli.main import main
from tests.helpers import ROOT

UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.*"))


def cli_command_exists(words: list[str]) -> bool:
    """``machimado a b …`` names a command of the CLI."""
    command = main
    for word in words:
        if word.startswith("-"):
            break
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            return not getattr(command, "commands", None)  # a leaf command's arguments
        command = sub
    return True


def commands_in(text: str) -> list[list[str]]:
    """The ``machimado …`` commands a unit, Procfile or compose file runs (not its descriptions and comments)."""
    lines = [line for line in text.splitlines()
             if re.match(r"\s*(ExecStart\w*=|release:|web:|worker:|command:)", line)]
    return [m.split() for line in lines for m in re.findall(r"machimado ((?:[a-z-]+ ?)+)", line)]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_units_verify(tmp_path: Path) -> None:
    """With /opt/machimado pointed at this checkout's virtualenv (systemd checks that executables exist)."""
    opt = tmp_path / "opt"
    (opt / ".venv").mkdir(parents=True)
    (opt / ".venv" / "bin").symlink_to(ROOT / ".venv" / "bin")
    (opt / "gunicorn.conf.py").symlink_to(ROOT / "gunicorn.conf.py")
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/machimado", str(opt)))
    result = subprocess.run(["systemd-analyze", "verify", *(str(tmp_path / u.name) for u in UNITS)],
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in result.stderr.splitlines() if "machimado" in line]
    assert result.returncode == 0 and problems == [], result.stderr


def test_units_and_procfile_run_commands_the_cli_has() -> None:
    texts = [u.read_text() for u in UNITS] + [(ROOT / "Procfile").read_text(), (ROOT / "compose.yaml").read_text()]
    found = [w for text in texts for w in commands_in(text)]
    assert len(found) >= 6  # init, broadcasts worker, purge, … in the units, the Procfile and compose
    for words in found:
        assert cli_command_exists(words), words


def test_compose_file_is_complete(app) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "web", "worker"}
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"
    env = services["web"]["environment"]
    assert env["MACHIMADO_ENV"] == "production" and env["DATABASE_URL"].startswith("postgresql+psycopg://")
    for name in ("SECRET_KEY", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "POSTGRES_PASSWORD"):
        assert f"${{{name}" in (ROOT / "compose.yaml").read_text() and name in (ROOT / "docs" / "deploy.md").read_text()
    health = " ".join(services["web"]["healthcheck"]["test"])
    path = re.search(r"127\.0\.0\.1:8000(/\w+)", health).group(1)
    assert app.test_client().get(path).status_code == 200  # the route the health check calls exists
    assert (ROOT / services["web"]["build"] / "Dockerfile").exists()


def test_nginx_site_matches_the_app() -> None:
    site = (ROOT / "deploy" / "nginx" / "machimado.conf").read_text()
    web = (ROOT / "deploy" / "systemd" / "machimado-web.service").read_text()
    assert re.search(r"BIND=(\S+)", web).group(1) in site  # nginx proxies to where gunicorn listens
    for location in ("/callback", "/admin/", "= /metrics"):
        assert f"location {location}" in site
    assert "X-Forwarded-For" in site and "MACHIMADO_PROXY_COUNT=1" in site


def test_every_dependency_is_locked_and_every_data_file_ships() -> None:
    """requirements.lock pins every dependency pyproject.toml declares (make install and the Dockerfile use it as
    constraints), and every non-Python file inside a package is covered by package-data (a `pip install .` without
    the catalogs or templates would answer with errors)."""
    import fnmatch
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pinned = {line.split("==")[0].lower().replace("_", "-") for line in
              (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines() if "==" in line}
    declared = project["project"]["dependencies"] + project["project"]["optional-dependencies"]["test"]
    for requirement in declared:
        name = re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pinned, requirement
    package_data = project["tool"]["setuptools"]["package-data"]
    for package in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        root = ROOT / package.rstrip("*")
        for path in root.rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                relative = str(path.relative_to(root))
                assert any(fnmatch.fnmatch(relative, glob) for glob in package_data.get(root.name, [])), relative
