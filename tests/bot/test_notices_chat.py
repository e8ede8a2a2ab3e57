"""Residents' side of notices: 配信設定 in chat, asking for notices, emergencies in welcome, disaster mode."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from broadcasts.models import MunicipalityState
from cli.main import main
from core.models import Follower
from tests.helpers import (
    add_followers,
    body_of,
    event_of,
    make_notice,
    post_webhook,
    reply_texts,
    run_worker,
    text_event,
)

USER = "U" + "f" * 32


def last_reply(fake_line) -> list[dict]:
    return [c for c in fake_line.calls_to("reply") if c["status"] == 200][-1]["body"]["messages"]


def follower(app) -> Follower:
    with app.extensions["machimado"].sessions() as session:
        return session.scalars(select(Follower).where(Follower.line_user_id == USER)).one()


def postback(client, data: str):
    return post_webhook(client, body_of(event_of("postback", USER, postback={"data": data})))


def test_notice_settings_in_chat(app, client, fake_line) -> None:
    post_webhook(client, body_of(event_of("follow", USER)))
    post_webhook(client, body_of(text_event("配信設定", USER)))
    message = last_reply(fake_line)[0]
    assert "防災（緊急情報）：常にお届けします" in message["text"] and "分野：すべて" in message["text"]
    labels = [i["action"]["label"] for i in message["quickReply"]["items"]]
    assert "✓子育て" in labels and "地区を選ぶ" in labels

    postback(client, "action=topic&name=イベント")
    assert "「イベント」のお知らせを止めました" in last_reply(fake_line)[0]["text"]
    assert "イベント" not in follower(app).topics and "子育て" in follower(app).topics
    postback(client, "action=districts")
    assert "中央地区" in [i["action"]["label"] for i in last_reply(fake_line)[0]["quickReply"]["items"]]
    postback(client, "action=district&name=北地区")
    assert follower(app).district == "北地区"
    postback(client, "action=district&name=火星")  # forged postback
    assert follower(app).district == "北地区"
    postback(client, "action=topic&name=*")
    assert follower(app).topics is None


def test_preferences_decide_who_receives(app, client, fake_line) -> None:
    post_webhook(client, body_of(event_of("follow", USER)))
    fake_line.followers.append(USER)
    postback(client, "action=topic&name=イベント")  # stop イベント
    make_notice(app, title="夏まつり", body="開催します。", category="イベント")
    make_notice(app, title="大雨", body="警戒してください。", category="防災", severity="emergency")
    run_worker(app)
    received = [d["messages"][0]["text"] for d in fake_line.deliveries if d["to"] == USER and d["endpoint"] != "reply"]
    assert len(received) == 1 and received[0].startswith("【緊急】大雨")
    post_webhook(client, body_of(event_of("unfollow", USER)))
    fake_line.followers.remove(USER)
    fake_line.deliveries.clear()
    make_notice(app, title="再び大雨", body="警戒してください。", category="防災", severity="emergency")
    run_worker(app)
    assert all(d["to"] != USER for d in fake_line.deliveries)  # blocked: never


def test_asking_for_notices_and_emergencies_in_welcome(app, client, fake_line) -> None:
    post_webhook(client, body_of(text_event("最新のお知らせ", USER)))
    assert "掲載中のお知らせはありません" in reply_texts(fake_line)[-1]
    add_followers(app, fake_line, 2)
    make_notice(app, title="健診", body="今月です。")
    make_notice(app, title="避難所開設", body="中央公民館を開設しました。", category="防災", severity="emergency")
    run_worker(app)
    post_webhook(client, body_of(text_event("お知らせ", USER)))
    text = reply_texts(fake_line)[-1]
    assert "【緊急】避難所開設" in text and "健診" in text
    post_webhook(client, body_of(text_event("緊急情報", USER)))
    assert "健診" not in reply_texts(fake_line)[-1]
    post_webhook(client, body_of(event_of("follow", "U" + "9" * 32)))
    welcome = last_reply(fake_line)
    assert welcome[0]["text"].startswith("⚠ 現在の緊急情報") and "友だち追加ありがとう" in welcome[1]["text"]


def an_evacuation_order_with_an_open_shelter(app, fake_line) -> None:
    add_followers(app, fake_line, 1)
    make_notice(app, title="避難指示", body="北地区に避難指示。", category="防災", severity="emergency")
    run_worker(app)
    assert CliRunner().invoke(main, ["directory", "shelter-status", "S004", "open"]).exit_code == 0


def test_disaster_mode_switches_rich_menu_and_leads_fallback(app, client, fake_line) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["disaster", "on"])
    assert result.exit_code == 0 and "no rich menus deployed" in result.output
    result = runner.invoke(main, ["richmenu", "deploy"])
    assert result.exit_code == 0, result.output
    normal = fake_line.rich_menu_aliases["normal"]
    disaster = fake_line.rich_menu_aliases["disaster"]
    assert fake_line.default_rich_menu == disaster  # deployed while disaster mode is on
    assert fake_line.rich_menu_images[disaster][0] == "image/png"
    an_evacuation_order_with_an_open_shelter(app, fake_line)
    post_webhook(client, body_of(text_event("宇宙船の操縦方法", USER)))
    replies = last_reply(fake_line)
    assert replies[0]["text"].startswith("⚠ 現在の緊急情報") and "北小学校" in replies[1]["text"]
    assert "お問い合わせください" in replies[2]["text"]
    assert runner.invoke(main, ["disaster", "off"]).exit_code == 0
    assert fake_line.default_rich_menu == normal
    post_webhook(client, body_of(text_event("宇宙船の操縦方法", USER)))
    assert last_reply(fake_line)[0]["text"].startswith("申し訳ありません")
    with app.extensions["machimado"].sessions() as session:
        assert session.get(MunicipalityState, 1).disaster_mode is False


def test_cli_send_with_template_and_cancel(app, fake_line) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["broadcasts", "send", "--template", "dansui", "--param", "area=北地区", "--yes"])
    assert missing.exit_code != 0 and "次の項目が必要です：理由、復旧の見込み、給水所（reason, eta, supply）" in missing.output
    later = runner.invoke(main, ["broadcasts", "send", "--title", "健診", "--body", "来月です", "--category", "健康・福祉",
                                 "--at", "2099-01-01T09:00+09:00", "--yes"])
    assert later.exit_code == 0 and "queued" in later.output
    notice_id = later.output.split("notice #")[1].split()[0]
    assert runner.invoke(main, ["broadcasts", "cancel", notice_id]).exit_code == 0
    listed = runner.invoke(main, ["broadcasts", "list"]).output
    assert "cancelled" in listed
    confirm = runner.invoke(main, ["broadcasts", "send", "--template", "keiho", "--param", "alert=大雨警報",
                                   "--param", "time=15時", "--param", "area=市内全域"], input="n\n")
    assert confirm.exit_code != 0 and "緊急のお知らせです" in confirm.output


def test_the_notices_a_resident_asks_for_are_the_ones_meant_for_them(app, client, fake_line) -> None:
    """#17.4: a 北地区 notice was listed to a 南地区 resident; the list now follows district and topics."""
    south, north = "U" + "5" * 32, "U" + "7" * 32
    for who, district in ((south, "南地区"), (north, "北地区")):
        post_webhook(client, body_of(event_of("follow", who)))
        with app.extensions["machimado"].sessions() as session:
            session.scalars(select(Follower).where(Follower.line_user_id == who)).one().district = district
            session.commit()
    post_webhook(client, body_of(event_of("postback", south, postback={"data": "action=topic&name=イベント"})))
    make_notice(app, title="北地区の断水", body="明日は断水します。", category="防災", districts=["北地区"])
    make_notice(app, title="夏まつり", body="開催します。", category="イベント")
    make_notice(app, title="健診", body="今月です。")
    run_worker(app)
    post_webhook(client, body_of(text_event("お知らせ", south)))
    shown = reply_texts(fake_line)[-1]
    assert "健診" in shown and "北地区の断水" not in shown and "夏まつり" not in shown  # 南地区, no イベント
    post_webhook(client, body_of(text_event("お知らせ", north)))
    shown = reply_texts(fake_line)[-1]
    assert "北地区の断水" in shown and "夏まつり" in shown and "健診" in shown


def test_in_disaster_mode_the_emergency_is_shown_in_full_once_per_resident(app, client, fake_line) -> None:
    """#17.5: the whole emergency text used to lead every reply that was not about the disaster."""
    runner = CliRunner()
    assert runner.invoke(main, ["disaster", "on"]).exit_code == 0
    an_evacuation_order_with_an_open_shelter(app, fake_line)
    post_webhook(client, body_of(text_event("宇宙船の操縦方法", USER)))
    first = last_reply(fake_line)
    assert first[0]["text"].startswith("⚠ 現在の緊急情報") and "北小学校" in first[1]["text"]
    post_webhook(client, body_of(text_event("タイムマシンの修理", USER)))
    second = last_reply(fake_line)
    assert second[0]["text"].startswith("⚠ 緊急情報が出ています") and "北地区に避難指示" not in second[0]["text"]
    assert "北小学校" not in "".join(m.get("text", "") for m in second)
    post_webhook(client, body_of(text_event("緊急情報", USER)))
    assert "北地区に避難指示" in reply_texts(fake_line)[-1]  # the full text is one word away
    other = "U" + "8" * 32
    post_webhook(client, body_of(text_event("宇宙船の操縦方法", other)))
    assert last_reply(fake_line)[0]["text"].startswith("⚠ 現在の緊急情報")  # every resident once
    make_notice(app, title="避難指示（拡大）", body="南地区にも避難指示。", category="防災", severity="emergency")
    run_worker(app)
    post_webhook(client, body_of(text_event("宇宙船の操縦方法", USER)))
    assert "南地区にも避難指示" in last_reply(fake_line)[0]["text"]  # a new emergency: in full again


def test_a_long_list_of_notices_comes_one_screen_at_a_time(app, client, fake_line) -> None:
    add_followers(app, fake_line, 1)
    for n in range(1, 6):
        make_notice(app, title=f"お知らせ{n}", body=f"{n}番目のお知らせの本文です。" * 12)
    run_worker(app)
    post_webhook(client, body_of(text_event("お知らせ", USER)))
    first = last_reply(fake_line)[0]
    assert "（1/" in first["text"] and first["quickReply"]["items"][0]["action"]["label"] == "続きを読む"
    seen, data = first["text"], first["quickReply"]["items"][0]["action"]["data"]
    while data:
        post_webhook(client, body_of(event_of("postback", USER, postback={"data": data})))
        shown = last_reply(fake_line)[0]
        seen += shown["text"]
        items = (shown.get("quickReply") or {}).get("items") or []
        data = items[0]["action"]["data"] if items else ""
    assert all(f"お知らせ{n}" in seen for n in range(1, 6))
