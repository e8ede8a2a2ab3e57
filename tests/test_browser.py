"""Real browser tests: Playwright for Python driving Debian's chromium against the local LINE simulator.

Screenshots of the conversation are saved under test-artifacts/ (CI keeps them as artifacts).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip("Debian chromium not installed (make test installs it)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    from bot.demo import build_demo

    for name in ("DATABASE_URL", "MACHIMADO_CONFIG", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MACHIMADO_ENV", "development")
    monkeypatch.setenv("MACHIMADO_INSTANCE_PATH", str(tmp_path))
    port = free_port()
    while True:  # the bot takes port + 1
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            break
        except OSError:
            port = free_port()
    bot, _, url = build_demo(port, tmp_path)
    yield url
    bot.extensions["machimado"].close()


@pytest.fixture
def page(demo_url: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        page.goto(demo_url + "/")
        yield page
        browser.close()


def add_resident(page, name: str):  # type: ignore[no-untyped-def]
    page.fill("#new-name", name)
    page.click("#add-resident")
    phone = page.locator(f'article.phone[data-name="{name}"]')
    phone.wait_for()
    return phone


def test_resident_follows_asks_taps_suggestion_and_gives_feedback(page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    phone = add_resident(page, "山田花子")
    phone.locator("button.follow").click()
    expect(phone.locator(".talk")).to_contain_text("友だち追加ありがとうございます", timeout=10000)
    expect(phone.locator(".quick button").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "01-welcome.png"))

    phone.locator("input.text").fill("粗大ごみはどうやって出すの")
    phone.locator("button.send").click()
    expect(phone.locator(".talk")).to_contain_text("もしかして", timeout=10000)
    page.screenshot(path=str(ARTIFACTS / "02-suggestions.png"))

    phone.locator(".quick button", has_text="粗大ごみの出し方").first.click()
    expect(phone.locator(".talk")).to_contain_text("戸別収集", timeout=10000)
    expect(phone.locator(".flex-bubble")).to_contain_text("粗大ごみの申込み")
    page.screenshot(path=str(ARTIFACTS / "03-answer.png"))

    phone.locator(".quick button", has_text="👍").click()
    expect(phone.locator(".talk")).to_contain_text("お役に立ててよかったです", timeout=10000)
    page.screenshot(path=str(ARTIFACTS / "04-feedback.png"))


def test_two_residents_side_by_side_and_block(page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    a = add_resident(page, "住民A")
    b = add_resident(page, "住民B")
    a.locator("button.follow").click()
    expect(a.locator(".talk")).to_contain_text("友だち追加ありがとうございます", timeout=10000)
    a.locator("input.text").fill("児童手当の申請方法")
    a.locator("button.send").click()
    expect(a.locator(".talk")).to_contain_text("高校生年代", timeout=10000)
    # B has not followed: the platform refuses to deliver B's message, and B sees nothing from the bot.
    b.locator("input.text").fill("こんにちは")
    b.locator("button.send").click()
    expect(b.locator(".talk")).to_contain_text("follow the account first", timeout=10000)
    expect(b.locator(".msg.out")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "05-two-residents.png"))


def test_chromium_is_debians() -> None:
    assert shutil.which("chromium") in (CHROMIUM, "/bin/chromium")
