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


def tiny_png(width: int = 25, height: int = 8) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x06\xc7\x55" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_rich_menu_is_shown_and_its_areas_tap(page, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    import json
    import urllib.request

    from playwright.sync_api import expect

    from core.tenancy import DEV_ACCESS_TOKEN

    def call(path: str, data: bytes | None, content_type: str = "application/json") -> dict:
        req = urllib.request.Request(demo_url + path, data=data, method="POST", headers={
            "Authorization": f"Bearer {DEV_ACCESS_TOKEN}", "Content-Type": content_type})
        with urllib.request.urlopen(req) as response:
            body = response.read()
        return json.loads(body) if body else {}

    menu = {"size": {"width": 2500, "height": 843}, "selected": True, "name": "通常メニュー", "chatBarText": "メニュー",
            "areas": [{"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
                       "action": {"type": "message", "label": "メニュー", "text": "メニュー"}},
                      {"bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
                       "action": {"type": "message", "label": "ごみ", "text": "ごみの収集日を知りたい"}}]}
    menu_id = call("/v2/bot/richmenu", json.dumps(menu).encode())["richMenuId"]
    call(f"/v2/bot/richmenu/{menu_id}/content", tiny_png(), "image/png")
    call(f"/v2/bot/user/all/richmenu/{menu_id}", b"")

    phone = add_resident(page, "佐藤")
    phone.locator("button.follow").click()
    expect(phone.locator(".richmenu-area", has_text="ごみ")).to_be_visible(timeout=10000)
    phone.locator(".richmenu-area", has_text="ごみ").click()
    expect(phone.locator(".talk")).to_contain_text("ごみカレンダー", timeout=10000)
    phone.locator(".richmenu-area", has_text="メニュー").click()
    expect(phone.locator(".quick button", has_text="防災・避難")).to_be_visible(timeout=10000)
    page.screenshot(path=str(ARTIFACTS / "06-rich-menu.png"))


def test_segment_notice_reaches_some_residents_and_not_others(page, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from bot.runtime import Runtime
    from broadcasts.notices import create_notice
    from core.db import session_scope
    from core.settings import load_settings

    a = add_resident(page, "鈴木")
    b = add_resident(page, "高橋")
    for phone in (a, b):
        phone.locator("button.follow").click()
        expect(phone.locator(".talk")).to_contain_text("友だち追加ありがとうございます", timeout=10000)
    expect(a.locator(".richmenu-area", has_text="配信設定")).to_be_visible(timeout=10000)  # deployed by the demo
    a.locator(".richmenu-area", has_text="配信設定").click()
    a.locator(".quick button", has_text="✓イベント").click()
    expect(a.locator(".talk")).to_contain_text("「イベント」のお知らせを止めました", timeout=10000)

    runtime = Runtime.from_settings(load_settings())  # staff side: same database, like the CLI
    try:
        tenant = runtime.tenant(runtime.settings.default_slug)
        with session_scope(runtime.sessions) as session:
            create_notice(session, tenant.id, tenant.config, title="夏まつり", body="8月1日に中央公園で開催します。",
                          category="イベント")
    finally:
        runtime.close()
    expect(b.locator(".talk")).to_contain_text("【お知らせ】夏まつり", timeout=15000)
    expect(page.locator("#sent-list")).to_contain_text("multicast 1人", timeout=10000)
    expect(a.locator(".talk")).not_to_contain_text("夏まつり")
    page.screenshot(path=str(ARTIFACTS / "07-segment-notice.png"))
