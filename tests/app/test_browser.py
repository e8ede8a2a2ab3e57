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

from tests.helpers import ROOT

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
    from app.demo import build_demo

    for name in ("DATABASE_URL", "MACHIMADO_CONFIG", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MACHIMADO_ENV", "development")
    monkeypatch.setenv("MACHIMADO_INSTANCE_PATH", str(tmp_path))
    # the second meaning model would encode the demo pack (~700 texts) in the background of every test here
    monkeypatch.setenv("MACHIMADO_SECOND_MODEL", "off")
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
def page(demo_url: str):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        page.goto(demo_url + "/")
        yield page
        browser.close()


def add_resident(page, name: str):
    page.fill("#new-name", name)
    page.click("#add-resident")
    phone = page.locator(f'article.phone[data-name="{name}"]')
    phone.wait_for()
    return phone


def follow(phone) -> None:
    from playwright.sync_api import expect

    phone.locator("button.follow").click()
    expect(phone.locator(".talk")).to_contain_text("友だち追加ありがとうございます", timeout=10000)


def say(phone, text: str, expected: str) -> None:
    """The resident types ``text``; ``expected`` must appear in the talk."""
    from playwright.sync_api import expect

    phone.locator("input.text").fill(text)
    phone.locator("button.send").click()
    expect(phone.locator(".talk")).to_contain_text(expected, timeout=10000)


def first_reply(phone, text: str):
    """The resident sends ``text``; the first message of the bot's reply to it (not an earlier one)."""
    before = phone.locator(".talk > *").count()
    phone.locator("input.text").fill(text)
    phone.locator("button.send").click()
    reply = phone.locator(".talk > *").nth(before + 1)  # after the resident's own message
    reply.wait_for(timeout=10000)
    return reply


def test_resident_follows_asks_taps_suggestion_and_gives_feedback(page) -> None:
    from playwright.sync_api import expect

    phone = add_resident(page, "山田花子")
    follow(phone)
    expect(phone.locator(".quick button").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "01-welcome.png"))

    say(phone, "粗大ごみはどうやって出すの", "もしかして")
    page.screenshot(path=str(ARTIFACTS / "02-suggestions.png"))

    phone.locator(".quick button", has_text="粗大ごみの出し方").first.click()
    expect(phone.locator(".talk")).to_contain_text("戸別収集", timeout=10000)
    expect(phone.locator(".flex-bubble")).to_contain_text("粗大ごみの申込み")
    page.screenshot(path=str(ARTIFACTS / "03-answer.png"))

    phone.locator(".quick button", has_text="👍").click()
    expect(phone.locator(".talk")).to_contain_text("お役に立ててよかったです", timeout=10000)
    page.screenshot(path=str(ARTIFACTS / "04-feedback.png"))


def test_two_residents_side_by_side_and_block(page) -> None:
    from playwright.sync_api import expect

    a = add_resident(page, "住民A")
    b = add_resident(page, "住民B")
    follow(a)
    say(a, "児童手当の申請方法", "高校生年代")
    # B has not followed: the platform refuses to deliver B's message, and B sees nothing from the bot.
    say(b, "こんにちは", "follow the account first")
    expect(b.locator(".msg.out")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "05-two-residents.png"))


def test_three_residents_teach_the_bot_and_the_fourth_is_answered_outright(page) -> None:
    """Three residents tap the same もしかして choice for the same question; the demo city learns a phrasing
    from three residents (learning.auto_attach_after), so a fourth gets the answer without a list."""
    from playwright.sync_api import expect

    question = "赤ちゃんの予防注射はいつ"
    for name in ("住民1", "住民2", "住民3"):
        phone = add_resident(page, name)
        follow(phone)
        say(phone, question, "もしかして")
        phone.locator(".quick button", has_text="子どもの予防接種").first.click()
        expect(phone.locator(".talk")).to_contain_text("指定の医療機関で予約", timeout=10000)
    fourth = add_resident(page, "住民4")
    follow(fourth)
    say(fourth, question, "指定の医療機関で予約")
    expect(fourth.locator(".talk")).not_to_contain_text("もしかして")
    page.screenshot(path=str(ARTIFACTS / "06-learned-from-residents.png"))


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


def test_rich_menu_is_shown_and_its_areas_tap(page, demo_url: str) -> None:
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
    expect(phone.locator(".talk")).to_contain_text("お住まいの町名を送ってください", timeout=10000)  # ごみ (#23)
    phone.locator(".richmenu-area", has_text="メニュー").click()
    expect(phone.locator(".quick button", has_text="防災・避難")).to_be_visible(timeout=10000)
    page.screenshot(path=str(ARTIFACTS / "06-rich-menu.png"))


def test_segment_notice_reaches_some_residents_and_not_others(page, demo_url: str) -> None:
    from playwright.sync_api import expect

    from bot.runtime import Runtime
    from broadcasts.notices import create_notice
    from core.db import session_scope
    from core.settings import load_settings

    a = add_resident(page, "鈴木")
    b = add_resident(page, "高橋")
    for phone in (a, b):
        follow(phone)
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


def console_login(page, demo_url: str):
    """A staff member (admin of the demo city) signed in to the console in a second tab: (tab, bot URL)."""
    from playwright.sync_api import expect

    from admin.auth import create_user
    from bot.runtime import Runtime
    from core.db import session_scope
    from core.settings import load_settings

    runtime = Runtime.from_settings(load_settings())
    try:
        tenant = runtime.tenant(runtime.settings.default_slug)
        with session_scope(runtime.sessions) as session:
            create_user(session, "kanri", "kanri-password-1", "admin", tenant.id, "管理 花子")
    finally:
        runtime.close()
    bot_url = demo_url.rsplit(":", 1)[0] + ":" + str(int(demo_url.rsplit(":", 1)[1]) + 1)
    console = page.context.browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    console.goto(bot_url + "/admin/")
    console.fill("#username", "kanri")
    console.fill("#password", "kanri-password-1")
    console.click("button[type=submit]")
    expect(console.locator("h1")).to_have_text("ダッシュボード")
    return console, bot_url


def compose_notice(console, bot_url: str, title: str, body: str, category: str = "行政",
                   districts: list[str] | None = None) -> None:
    """Staff write a notice in the console and press プレビュー (its page is shown)."""
    console.goto(bot_url + "/admin/notices/new")
    console.fill("#title", title)
    console.fill("#body", body)
    console.select_option("#category", category)
    for district in districts or []:
        console.locator(f"input[name=districts][value='{district}']").check()
    console.click("text=プレビュー")


def test_resident_asks_for_a_person_and_staff_answer_from_the_console(page, demo_url: str) -> None:
    """人と話したい → 相談する → the request; staff see it with the resident's earlier question and reply; the
    reply arrives in the resident's chat."""
    from playwright.sync_api import expect

    resident = add_resident(page, "高橋")
    follow(resident)
    say(resident, "宇宙人の住民登録", "見つかりませんでした")
    say(resident, "人と話したい", "サンプル市役所 総合案内")
    resident.locator(".quick button", has_text="相談する").first.click()
    expect(resident.locator(".talk")).to_contain_text("1つのメッセージで送ってください", timeout=10000)
    say(resident, "父の介護認定のことで相談したいです", "ご相談を受け付けました")

    console, bot_url = console_login(page, demo_url)
    expect(console.locator("header nav")).to_contain_text("相談 1")
    console.click("header nav >> text=相談")
    console.locator("table a").first.click()
    expect(console.locator("section", has_text="やりとり")).to_contain_text("父の介護認定のことで相談したいです")
    expect(console.locator("section", has_text="この住民がボットに聞いたこと")).to_contain_text("宇宙人の住民登録")
    console.fill("#reply-text", "介護保険課の佐藤です。明日10時ごろお電話してもよろしいですか。")
    console.click("text=返信を送る")
    expect(console.locator(".flash.ok")).to_contain_text("住民に返信を送りました")
    console.screenshot(path=str(ARTIFACTS / "10-console-consultation.png"))
    expect(resident.locator(".talk")).to_contain_text("サンプル市役所 総合案内からのお返事", timeout=10000)
    expect(resident.locator(".talk .msg.out").last).to_contain_text("明日10時ごろお電話しても")
    page.screenshot(path=str(ARTIFACTS / "11-consultation-reply.png"))


def test_console_create_faq_attach_phrasing_and_send_notice(page, demo_url: str) -> None:
    from playwright.sync_api import expect

    console, bot_url = console_login(page, demo_url)

    # 1. A new FAQ is answered by the bot right away.
    console.goto(bot_url + "/admin/faq/new")
    console.fill("#question", "ドローンを飛ばしてよい場所")
    console.fill("#answer", "市の公園でドローンを飛ばすときは、公園管理事務所に事前に申請してください。")
    console.fill("#category", "施設")
    console.click("text=保存")
    expect(console.locator(".flash.ok")).to_contain_text("保存しました")
    console.screenshot(path=str(ARTIFACTS / "08-console-faq-saved.png"))
    resident = add_resident(page, "伊藤")
    follow(resident)
    say(resident, "ドローンを飛ばしてよい場所", "公園管理事務所")

    # 2. An unanswered question, attached as a phrasing, is answered next time.
    say(resident, "ラジコン飛行機の練習場所", "見つかりませんでした")
    console.goto(bot_url + "/admin/inbox")
    group = console.locator(".card", has_text="ラジコン飛行機の練習場所")
    group.locator("select[name=entry_id]").select_option(label="施設：ドローンを飛ばしてよい場所")
    group.locator("text=言い換えに追加").click()
    expect(console.locator(".flash.ok")).to_contain_text("言い換えとして追加しました")
    reply = first_reply(resident, "ラジコン飛行機の練習場所")
    # Answered outright (解決しましたか？ was asked after the first answer a minute ago: not again so soon).
    expect(reply).to_contain_text("公園管理事務所")
    expect(resident.locator(".talk > *").last).not_to_contain_text("解決しましたか")
    page.screenshot(path=str(ARTIFACTS / "09-attached-phrasing-answered.png"))

    # 3. A notice composed in the console is delivered; the progress bar completes.
    compose_notice(console, bot_url, "ドローン教室のお知らせ", "12月1日に運動公園でドローンの安全教室を開きます。", "イベント")
    expect(console.locator(".phone")).to_contain_text("【お知らせ】ドローン教室のお知らせ")
    console.click("text=送信する")
    expect(console.locator("#status")).to_have_text("配信済み", timeout=15000)
    expect(console.locator("#progress-text")).to_contain_text("1 / 1 人に配信")
    console.screenshot(path=str(ARTIFACTS / "10-console-notice-sent.png"))
    expect(resident.locator(".talk")).to_contain_text("【お知らせ】ドローン教室のお知らせ", timeout=10000)


def test_cards_keep_their_height_in_a_long_chat_and_the_location_quick_reply_opens_the_form(page) -> None:
    """#17.1: once a chat is long, every card used to be squeezed to 0 px; #17.2: 位置情報を送る did nothing."""
    from playwright.sync_api import expect

    phone = add_resident(page, "長話さん")
    follow(phone)
    for question in ["粗大ごみの出し方", "児童手当の申請", "図書館は何時まで", "犬の登録", "ごみの分け方",
                     "国民健康保険の加入", "印鑑登録したい", "転入届", "保育園の申し込み", "ありがとう"]:
        say(phone, question, question)
    cards_before = phone.locator(".talk .flex-bubble").count()
    say(phone, "住民票を取りたい", "住民票")
    expect(phone.locator(".talk .flex-bubble")).not_to_have_count(cards_before, timeout=10000)
    card = phone.locator(".talk .flex-bubble").last
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    assert box is not None and box["height"] > 60, box  # a person can read it
    page.screenshot(path=str(ARTIFACTS / "12-card-in-a-long-chat.png"))

    say(phone, "避難所", "位置情報を送ると")
    assert not phone.locator("details.more").evaluate("d => d.open")
    phone.locator(".quick button", has_text="位置情報を送る").click()
    assert phone.locator("details.more").evaluate("d => d.open")
    expect(phone.locator(".location button")).to_be_visible()
    expect(phone.locator(".location button")).to_be_focused()


def test_the_rich_menus_faq_area_lists_the_fields_not_the_welcome_again(page) -> None:
    """#17.3: 「よくある質問」 in the shipped rich menu answered 「友だち追加ありがとうございます」 again."""
    from playwright.sync_api import expect

    phone = add_resident(page, "鈴木")
    follow(phone)
    expect(phone.locator(".richmenu-area", has_text="よくある質問")).to_be_visible(timeout=10000)
    phone.locator(".richmenu-area", has_text="よくある質問").click()
    expect(phone.locator(".talk .msg.out").last).to_contain_text("分野から探せます", timeout=10000)
    expect(phone.locator(".talk .msg.out", has_text="友だち追加ありがとうございます")).to_have_count(1)
    expect(phone.locator(".quick button", has_text="防災・避難")).to_be_visible()


def test_a_notice_preview_says_in_japanese_whom_it_reaches_and_a_draft_can_be_edited(page, demo_url: str) -> None:
    """#17.10: the preview said 「multicast/broadcast」 and 「0 / 0 人に配信」 before sending; drafts were final."""
    from playwright.sync_api import expect

    console, bot_url = console_login(page, demo_url)
    compose_notice(console, bot_url, "図書館の休館日", "12月は毎週月曜日が休館日です。", districts=["北地区"])
    expect(console.locator("h1")).to_have_text("図書館の休館日")
    console.wait_for_timeout(1500)  # the progress script has ticked
    card = console.locator(".card").first
    expect(card).to_contain_text("届く人数")
    expect(card).to_contain_text("まだ送信していません。")
    expect(card).not_to_contain_text("multicast")
    expect(card).not_to_contain_text("0 / 0")
    console.click("text=下書きを直す")
    expect(console.locator("h1")).to_have_text("お知らせの下書きを直す")
    expect(console.locator("input[name=districts][value='北地区']")).to_be_checked()
    console.fill("#title", "図書館の年末年始の休館日")
    console.click("text=直してプレビュー")
    expect(console.locator(".flash.ok")).to_contain_text("下書きを直しました")
    expect(console.locator("h1")).to_have_text("図書館の年末年始の休館日")
    console.screenshot(path=str(ARTIFACTS / "13-notice-preview.png"))


def test_the_dashboard_reads_at_a_glance(page, demo_url: str) -> None:
    """#17.13: chart text was too small to read; the KPI of the seed plan (登録者数 beside 対応できる質問) and the
    share answered outright are shown; questions are grouped by the FAQ they reached."""
    from playwright.sync_api import expect

    resident = add_resident(page, "田中")
    follow(resident)
    say(resident, "粗大ごみの出し方", "粗大ごみ")
    say(resident, "粗大ごみの出し方を教えて", "粗大ごみ")
    console, _ = console_login(page, demo_url)
    for heading in ("登録者数", "対応できる質問", "すぐに回答できた割合", "よく聞かれた内容（FAQ別・直近30日）"):
        expect(console.locator("main")).to_contain_text(heading)
    expect(console.locator("main")).to_contain_text("粗大ごみの出し方（2件")
    heights = console.locator("svg text").evaluate_all("ts => ts.map(t => t.getBoundingClientRect().height)")
    assert heights and min(heights) >= 12, heights  # every word on the charts is readable
    console.screenshot(path=str(ARTIFACTS / "14-dashboard.png"), full_page=True)


def test_walkthrough_a_resident_and_a_staff_member_with_a_screenshot_per_step(page, demo_url: str) -> None:
    """#17's walkthrough: what a new resident and a staff member meet on first use, one screenshot per step
    (test-artifacts/walk-*.png; two of them are in the README)."""
    from playwright.sync_api import expect

    def shot(target, name: str) -> None:
        target.screenshot(path=str(ARTIFACTS / f"walk-{name}.png"))

    resident = add_resident(page, "はじめての住民")
    follow(resident)
    shot(resident, "1-follow")
    say(resident, "住民票を取りたい", "住民票")
    card = resident.locator(".talk .flex-bubble").last
    expect(card).to_contain_text("関連リンク")
    assert card.bounding_box()["height"] > 60
    shot(resident, "2-answer-with-card")
    say(resident, "赤ちゃんの予防注射はいつ", "もしかして")
    shot(resident, "3-suggestions")
    resident.locator(".quick button", has_text="子どもの予防接種").first.click()
    expect(resident.locator(".talk")).to_contain_text("指定の医療機関で予約", timeout=10000)
    say(resident, "ラジコン飛行機の練習場所", "見つかりませんでした")
    shot(resident, "4-not-found")

    console, bot_url = console_login(page, demo_url)
    console.goto(bot_url + "/admin/inbox")
    group = console.locator(".card", has_text="ラジコン飛行機の練習場所")
    expect(group).to_be_visible()
    shot(console, "5-console-inbox")
    group.locator("select[name=entry_id]").select_option(label="施設：市の施設を予約したい")
    group.locator("text=言い換えに追加").click()
    expect(console.locator(".flash.ok")).to_contain_text("言い換えとして追加しました")
    reply = first_reply(resident, "ラジコン飛行機の練習場所")
    expect(reply).to_contain_text("予約")
    expect(reply).not_to_contain_text("もしかして")  # answered outright now
    shot(resident, "6-answered-after-staff-attached")

    compose_notice(console, bot_url, "年末年始の窓口", "12月29日から1月3日まで、市役所の窓口はお休みです。")
    console.click("text=送信する")
    expect(console.locator(".flash.ok")).to_contain_text("配信を受け付けました")
    expect(resident.locator(".talk")).to_contain_text("年末年始の窓口", timeout=20000)
    shot(resident, "7-notice-received")


def test_an_english_resident_is_answered_in_english_switches_to_easy_japanese_and_gets_an_emergency_in_english(
        page, demo_url: str) -> None:
    """#15: a resident whose LINE is set to English follows, asks three questions and reads English replies (one an
    English translated answer, one a Japanese-only answer with an English note); switches to やさしい日本語 from the
    menu; back to English; and receives an emergency notice from a template in English while a Japanese resident
    receives it in Japanese."""
    from playwright.sync_api import expect

    page.select_option("#new-lang", "en")
    lan = add_resident(page, "Lan")
    lan.locator("button.follow").click()
    talk = lan.locator(".talk")
    expect(talk).to_contain_text("Welcome to the official LINE account of サンプル市", timeout=10000)
    page.select_option("#new-lang", "ja")
    hanako = add_resident(page, "花子")
    follow(hanako)

    say(lan, "Hello", "This is the official account of サンプル市")
    say(lan, "I lost my My Number card", "First call the My Number free dial")
    expect(talk).to_contain_text("Did this solve your problem?")
    say(lan, "How do I register my dog?", "This answer is only available in Japanese")
    lan.screenshot(path=str(ARTIFACTS / "15-english-resident.png"))

    def switch(menu_word: str, menu_shown: str, language: str, confirmed: str) -> None:
        """Open the menu, tap Language / 言語, choose ``language``."""
        say(lan, menu_word, menu_shown)
        lan.locator(".quick button", has_text="Language / 言語").last.click()
        lan.locator(".quick button", has_text=language).click()
        expect(talk).to_contain_text(confirmed, timeout=10000)

    switch("menu", "You can browse frequently asked questions by topic", "やさしい にほんご", "やさしい 日本語で 答えます")
    say(lan, "ごみの収集日を知りたい", "住んでいる 町の 名前を 送って ください")  # ごみ (#23), in やさしい日本語
    lan.screenshot(path=str(ARTIFACTS / "15-easy-japanese.png"))
    switch("メニュー", "よく ある 質問を 分野から 探せます", "English", "I will answer in English")

    console, bot_url = console_login(page, demo_url)
    console.goto(bot_url + "/admin/notices/new?template=hinanjo-kaisetsu")
    for name, value in {"area": "北地区", "reason": "大雨", "time": "12月1日 14時30分",
                        "shelters": "北小学校体育館"}.items():
        console.fill(f"#param_{name}", value)
    console.click("text=プレビュー")
    expect(console.locator("details.translations summary")).to_contain_text("翻訳版（10言語）")
    expect(console.locator("text=住民が選んだ言語ごとに分けて")).to_be_visible()
    console.locator("input[name=confirm]").check()
    console.click("text=送信する")
    expect(console.locator(".flash.ok")).to_contain_text("配信を受け付けました")
    expect(talk).to_contain_text("[EMERGENCY] Evacuation shelters opened (北地区)", timeout=20000)
    expect(talk).to_contain_text("北小学校体育館")
    expect(hanako.locator(".talk")).to_contain_text("【緊急】避難所を開設しました（北地区）", timeout=20000)
    expect(hanako.locator(".talk")).not_to_contain_text("[EMERGENCY]")
    lan.screenshot(path=str(ARTIFACTS / "15-emergency-in-english.png"))


def test_gomi_walkthrough_a_resident_sets_her_area_asks_subscribes_and_staff_import_a_city(page, demo_url: str
                                                                                           ) -> None:
    """#23: a resident types 「ほんまち」, picks 本町2丁目, asks 明日のごみ and スプレー缶, subscribes to 燃やせるごみ and
    receives the evening reminder in the simulator; a staff member imports a real city's 5374 files (every problem
    cell shown first) and reads an area's month. Screenshots test-artifacts/gomi-*.png."""
    import io
    import zipfile
    from datetime import UTC, datetime, timedelta

    from playwright.sync_api import expect

    from bot.gomi_chat import reminder_text
    from bot.runtime import Runtime
    from core.settings import load_settings
    from gomi.calendar import load
    from gomi.reminders import plan_due
    from tests.helpers import DATA

    def shot(target, name: str) -> None:
        target.screenshot(path=str(ARTIFACTS / f"gomi-{name}.png"))

    resident = add_resident(page, "本町の住民")
    follow(resident)
    say(resident, "明日のごみは？", "町名を送ってください")
    say(resident, "ほんまち", "次のどれですか")
    shot(resident, "1-area-choices")
    resident.locator(".quick button", has_text="本町2丁目").click()
    expect(resident.locator(".talk")).to_contain_text("お住まいの地区を「本町2丁目」にしました", timeout=10000)
    shot(resident, "2-tomorrow")
    say(resident, "スプレー缶は何ごみ？", "「スプレー缶」は「有害ごみ」です。")
    expect(resident.locator(".talk")).to_contain_text("本町2丁目の次の「有害ごみ」は")
    shot(resident, "3-spray-can")
    say(resident, "今週のごみ", "ほかにも、下のボタンから確かめられます")
    week = resident.locator(".talk .flex-bubble").last
    expect(week).to_contain_text("本町2丁目")
    assert week.bounding_box()["height"] > 150  # seven days, each on its own line
    shot(resident, "4-week-card")
    resident.locator(".quick button", has_text="ごみ出し通知").last.click()
    expect(resident.locator(".talk")).to_contain_text("ごみ出しの通知", timeout=10000)
    resident.locator(".quick button", has_text="燃やせるごみ").last.click()
    expect(resident.locator(".quick button", has_text="✓燃やせるごみ").last).to_be_visible(timeout=10000)
    shot(resident, "5-subscribed")

    console, bot_url = console_login(page, demo_url)
    console.goto(bot_url + "/admin/gomi")
    expect(console.locator("text=今月の通知の見込み")).to_be_visible()
    console.locator("input[name=reminders_enabled]").check()
    console.click("text=保存")
    expect(console.locator(".flash.ok")).to_contain_text("通知を配信します")
    shot(console, "6-console-reminders")

    # the evening before the resident's next 燃やせるごみ day, at 19:05: the demo's notices worker delivers it
    runtime = Runtime.from_settings(load_settings())
    try:
        tenant = runtime.default_tenant()
        with runtime.sessions() as session:
            calendar = load(session, tenant.id)
            assert calendar is not None
            area = calendar.area("本町2丁目")
            today = datetime.now(UTC).date()
            day = calendar.next_date(area, "燃やせるごみ", today + timedelta(days=1))
        evening = datetime(day.year, day.month, day.day, 10, 5, tzinfo=UTC) - timedelta(days=1)  # 19:05 JST
        assert plan_due(runtime.sessions, reminder_text, evening)
    finally:
        runtime.close()
    expect(resident.locator(".talk")).to_contain_text("【ごみ出し】明日", timeout=20000)
    expect(resident.locator(".talk")).to_contain_text("「燃やせるごみ」の日です（本町2丁目）")
    shot(resident, "7-evening-reminder")

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("area_days.csv", "center.csv", "description.csv"):
            data = (DATA / "gomi" / "kanazawa" / name).read_bytes()
            if name == "area_days.csv":
                data += "\n新町,東部管理センター,月・木,水2,火1 火3,水4".encode()
            archive.writestr(name, data)
    zip_path = ARTIFACTS / "kanazawa-5374.zip"
    zip_path.write_bytes(buffer.getvalue())
    console.goto(bot_url + "/admin/gomi")
    console.set_input_files("#files", str(zip_path))
    console.click("text=確認する")
    expect(console.locator("h1")).to_have_text("取り込みの確認：収集カレンダー")
    expect(console.locator("table.problems")).to_contain_text("月・木")
    shot(console, "8-import-preview")
    console.click("text=この内容で取り込む")
    expect(console.locator(".flash.ok")).to_contain_text("地区 72")
    console.goto(bot_url + "/admin/gomi/calendar?area=浅野川&month=2026-12")
    expect(console.locator("table.gomi-month")).to_contain_text("燃やすごみ")
    cell = console.locator("table.gomi-month td", has_text="燃やすごみ").first
    assert cell.bounding_box()["height"] >= 80
    shot(console, "9-calendar-month")


def test_report_walkthrough_a_resident_reports_a_pothole_and_staff_work_it(page, demo_url: str, tmp_path: Path
                                                                         ) -> None:
    """#24: a resident reports a pothole from the rich menu in 6 taps + 1 photo + 1 location; a staff member opens it
    in the console, marks 対応中 then 完了, and the resident receives both. Screenshots test-artifacts/report-*.png."""
    from playwright.sync_api import expect

    from tests.reports import images

    def shot(target, name: str) -> None:
        target.screenshot(path=str(ARTIFACTS / f"report-{name}.png"))

    photo = tmp_path / "pothole.jpg"
    photo.write_bytes(images.jpeg_with_gps((1200, 900)))
    resident = add_resident(page, "道路の通報者")
    follow(resident)
    taps = 0

    def tap(locator) -> None:
        nonlocal taps
        locator.click()
        taps += 1

    expect(resident.locator(".richmenu-area", has_text="通報")).to_be_visible(timeout=10000)
    tap(resident.locator(".richmenu-area", has_text="通報"))
    expect(resident.locator(".quick button", has_text="道路の穴・破損")).to_be_visible(timeout=10000)
    shot(resident, "1-categories")
    tap(resident.locator(".quick button", has_text="道路の穴・破損"))
    expect(resident.locator(".quick button", has_text="カメラ")).to_be_visible(timeout=10000)
    with page.expect_file_chooser() as chooser:
        tap(resident.locator(".quick button", has_text="カメラ"))
    chooser.value.set_files(str(photo))  # the photo
    expect(resident.locator(".talk")).to_contain_text("写真を受け取りました（1/3）", timeout=10000)
    shot(resident, "2-photo-received")
    tap(resident.locator(".quick button", has_text="場所を送る"))
    resident.locator(".location button").click()  # the location, shared from LINE's picker
    expect(resident.locator(".talk")).to_contain_text("ほかに伝えたいこと", timeout=10000)
    tap(resident.locator(".quick button", has_text="なし"))
    card = resident.locator(".talk .flex-bubble", has_text="通報の内容").last
    expect(card).to_contain_text("道路の穴・破損", timeout=10000)
    expect(card).to_contain_text("1枚")
    shot(resident, "3-confirmation")
    tap(card.locator("button", has_text="送信する"))
    expect(resident.locator(".talk")).to_contain_text("通報を受け付けました。受付番号は", timeout=10000)
    shot(resident, "4-receipt")
    assert taps <= 6

    console, _ = console_login(page, demo_url)
    console.click("text=通報")
    expect(console.locator("h1")).to_contain_text("通報")
    row = console.locator("table.reports tbody tr").first
    expect(row).to_contain_text("道路の穴・破損")
    shot(console, "5-console-list")
    row.locator("a").first.click()
    expect(console.locator(".report-photos img")).to_have_count(1)
    assert console.locator(".report-photos img").bounding_box()["width"] >= 150
    shot(console, "6-console-detail")
    console.check("input[name=status][value=in_progress]")
    console.fill("#message", "明日、現地を確認します。")
    console.click("text=状態を変えて、住民に知らせる")
    expect(console.locator(".flash.ok")).to_contain_text("住民にLINEでお知らせしました")
    console.check("input[name=status][value=done]")
    console.fill("#message", "補修しました。ご連絡ありがとうございました。")
    console.click("text=状態を変えて、住民に知らせる")
    expect(console.locator(".flash.ok")).to_contain_text("「完了」にしました")
    shot(console, "7-console-done")
    expect(resident.locator(".talk")).to_contain_text("「対応中」になりました", timeout=10000)
    expect(resident.locator(".talk")).to_contain_text("「対応完了」になりました", timeout=10000)
    expect(resident.locator(".talk")).to_contain_text("補修しました。")
    shot(resident, "8-resident-told")
