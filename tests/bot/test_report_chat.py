"""通報 in the chat (#24): a resident reports a pothole with a photo and the place in a few taps; a photo outside the
flow asks 「通報ですか？」; bad photos, a photo LINE no longer has and a LINE outage get clear replies and lose
nothing; the place outside the town is kept with a warning; 「やめる」 and resuming a draft."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from reports.models import Report, ReportPhoto
from tests.helpers import body_of, event_of, post_webhook, text_event
from tests.reports import images

USER = "U" + "7" * 32
_ids = iter(range(10**15, 10**16))


def last_reply(fake_line) -> list[dict]:
    return [c for c in fake_line.calls_to("reply") if c["status"] == 200][-1]["body"]["messages"]


def replies(fake_line) -> int:
    return len([c for c in fake_line.calls_to("reply") if c["status"] == 200])


def say(client, fake_line, text: str) -> list[dict]:
    post_webhook(client, body_of(text_event(text, USER)))
    return last_reply(fake_line)


def tap(client, fake_line, data: str) -> list[dict]:
    post_webhook(client, body_of(event_of("postback", USER, postback={"data": data})))
    return last_reply(fake_line)


def send_photo(client, fake_line, data: bytes | None, content_type: str = "image/jpeg") -> list[dict]:
    message_id = str(next(_ids))
    if data is not None:
        fake_line.keep_content(message_id, content_type, data)
    before = replies(fake_line)
    post_webhook(client, body_of(event_of("message", USER, message={
        "id": message_id, "type": "image", "contentProvider": {"type": "line"}})))
    return last_reply(fake_line) if replies(fake_line) > before else []


def send_location(client, fake_line, lat: float, lon: float, address: str = "") -> list[dict]:
    post_webhook(client, body_of(event_of("message", USER, message={
        "id": str(next(_ids)), "type": "location", "title": "位置情報", "address": address,
        "latitude": lat, "longitude": lon})))
    return last_reply(fake_line)


def shown(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or m.get("altText", "") for m in messages)


def items(messages: list[dict]) -> list[dict]:
    return [i["action"] for m in messages for i in (m.get("quickReply") or {}).get("items", [])]


def labels(messages: list[dict]) -> list[str]:
    return [a.get("label", "") for a in items(messages)]


def data_of(messages: list[dict], label: str) -> str:
    for action in items(messages):
        if action.get("label") == label:
            return action["data"]
    for m in messages:
        for button in ((m.get("contents") or {}).get("footer") or {}).get("contents", []):
            if button["action"].get("label") == label:
                return button["action"]["data"]
    raise AssertionError(f"no {label!r} in {labels(messages)}")


def reports_of(client) -> list[Report]:
    with client.application.extensions["machimado"].sessions() as session:
        # the resident's own (the demo city has three sample reports without a resident)
        return list(session.scalars(select(Report).where(Report.follower_id.is_not(None)).order_by(Report.id)))


def test_a_resident_reports_a_pothole_with_a_photo_and_the_place(client, fake_line) -> None:
    start = say(client, fake_line, "通報する")
    assert "どれにあてはまりますか" in shown(start)
    assert labels(start)[:3] == ["道路の穴・破損", "街灯の故障", "不法投棄"] and labels(start)[-1] == "やめる"
    photo_step = tap(client, fake_line, data_of(start, "道路の穴・破損"))
    assert "「道路の穴・破損」として受け付けます" in shown(photo_step)
    assert [a["type"] for a in items(photo_step)][:2] == ["camera", "cameraRoll"]
    place_step = send_photo(client, fake_line, images.jpeg_with_gps())
    assert "写真を受け取りました（1/3）" in shown(place_step)
    assert items(place_step)[0]["type"] == "location"
    note_step = send_location(client, fake_line, 31.5972, 130.5590, "本町3丁目")
    assert "ほかに伝えたいこと" in shown(note_step)
    card = say(client, fake_line, "穴の深さは10cmくらいです")
    assert card[0]["type"] == "flex"
    body = str(card[0]["contents"]["body"])
    assert "道路の穴・破損" in body and "1枚" in body and "本町3丁目" in body and "穴の深さは10cmくらいです" in body
    done = tap(client, fake_line, data_of(card, "送信する"))
    (report,) = reports_of(client)
    assert report.status == "received" and report.receipt and report.receipt in shown(done)
    assert "建設課" in shown(done) and not report.outside
    assert (report.lat, report.lon, report.address) == (31.5972, 130.5590, "本町3丁目")
    with client.application.extensions["machimado"].sessions() as session:
        (photo,) = session.scalars(select(ReportPhoto).where(ReportPhoto.report_id == report.id)).all()
        runtime = client.application.extensions["machimado"]
        stored = runtime.photo_store.get(report.municipality_id, photo.key)
    assert stored and dict(Image.open(io.BytesIO(stored)).getexif()) == {}  # no GPS kept


def test_typed_problems_start_the_report_with_their_category(client, fake_line) -> None:
    assert "「街灯の故障」として受け付けます" in shown(say(client, fake_line, "家の前の街灯が切れてる"))
    assert "「道路の穴・破損」として受け付けます" in shown(say(client, fake_line, "道路に穴があいてる"))
    # questions about the same things without a problem stay with the FAQ
    assert "通報" not in shown(say(client, fake_line, "粗大ごみの出し方"))


def test_a_photo_without_the_flow_asks_whether_it_is_a_report(client, fake_line) -> None:
    asked = send_photo(client, fake_line, images.png())
    assert "「通報」ですか" in shown(asked)
    categories = tap(client, fake_line, data_of(asked, "通報する"))
    chosen = tap(client, fake_line, data_of(categories, "不法投棄"))
    assert "場所を教えてください" in shown(chosen)  # the photo is already there: straight to the place
    (report,) = reports_of(client)
    assert report.status == "draft"


def test_bad_photos_get_clear_replies_and_the_report_goes_on(client, fake_line) -> None:
    start = say(client, fake_line, "通報")
    tap(client, fake_line, data_of(start, "街灯の故障"))
    assert "画像として読み取れませんでした" in shown(send_photo(client, fake_line, images.NOT_AN_IMAGE, "image/jpeg"))
    assert "壊れているよう" in shown(send_photo(client, fake_line, images.corrupt_jpeg()))
    assert "大きすぎて" in shown(send_photo(client, fake_line, b"\xff\xd8" + b"\x00" * (50 * 1024 * 1024)))
    assert "受け取れませんでした" in shown(send_photo(client, fake_line, None))  # an id LINE does not have
    assert "写真を受け取りました（1/3）" in shown(send_photo(client, fake_line, images.jpeg_with_gps()))
    with client.application.extensions["machimado"].sessions() as session:
        assert session.scalar(select(ReportPhoto.state).where(ReportPhoto.report_id == reports_of(client)[0].id)) \
            == "stored"


def test_a_line_outage_keeps_the_photo_to_fetch_later(client, fake_line) -> None:
    start = say(client, fake_line, "通報")
    tap(client, fake_line, data_of(start, "街灯の故障"))
    fake_line.faults.append(("content", 503))
    reply = send_photo(client, fake_line, images.jpeg_with_gps())
    assert "確認に少し時間がかかります" in shown(reply)
    from reports.intake import fetch_waiting
    runtime = client.application.extensions["machimado"]
    with runtime.sessions() as session:
        photo = session.scalars(select(ReportPhoto).where(ReportPhoto.report_id == reports_of(client)[0].id)).one()
        assert photo.state == "waiting" and photo.line_message_id
        tenant = runtime.default_tenant()
        assert fetch_waiting(session, tenant.id, runtime.line_client(tenant.config.slug), runtime.photo_store) == 1
        session.commit()
        assert photo.state == "stored" and photo.line_message_id is None


def test_a_place_far_from_the_town_is_kept_with_a_warning(client, fake_line) -> None:
    start = say(client, fake_line, "通報")
    tap(client, fake_line, data_of(start, "その他"))
    tap(client, fake_line, "action=report&do=skip")
    reply = send_location(client, fake_line, 30.0, 135.0)  # the open sea
    assert "外かもしれません" in shown(reply) and "ほかに伝えたいこと" in shown(reply)
    (report,) = reports_of(client)
    assert report.outside and report.lat == 30.0


def test_typed_address_cancel_and_resume(client, fake_line) -> None:
    start = say(client, fake_line, "通報")
    tap(client, fake_line, data_of(start, "カーブミラー"))
    place = tap(client, fake_line, "action=report&do=skip")
    asked = tap(client, fake_line, data_of(place, "住所を入力"))
    assert "場所を文字で" in shown(asked)
    say(client, fake_line, "北小学校の前の交差点")
    assert reports_of(client)[0].address == "北小学校の前の交差点"
    say(client, fake_line, "ごみの日はいつ？")  # wanders off into a comment… it is the comment step: kept as the comment
    offer = say(client, fake_line, "通報する")
    assert "書きかけの通報があります" in shown(offer)
    card = tap(client, fake_line, data_of(offer, "続ける"))
    assert card[-1]["type"] == "flex" and "北小学校の前の交差点" in str(card[-1]["contents"])
    assert "通報をやめました" in shown(say(client, fake_line, "やめる"))
    assert [r.status for r in reports_of(client)] == ["abandoned"]
    assert "どれにあてはまりますか" in shown(say(client, fake_line, "通報する"))  # a fresh start, no offer


def test_reports_work_in_the_residents_language(client, fake_line) -> None:
    tap(client, fake_line, "action=language&code=vi")
    start = say(client, fake_line, "báo cáo")
    assert "Hãy chọn bên dưới" in shown(start) and "Đường hư hỏng / ổ gà" in labels(start)
    photo = tap(client, fake_line, data_of(start, "Đèn đường hỏng"))
    assert "Máy ảnh" in labels(photo)
