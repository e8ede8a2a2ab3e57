"""相談 in the chat, 解決しましたか？ after answers (asked once in a while), and the desk after repeated misses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.models import Follower
from core.timeutil import utcnow
from desk.models import Consultation, ConsultationMessage
from faq.models import Feedback, QuestionLog
from tests.helpers import body_of, event_of, post_webhook, text_event

USER = "U" + "d" * 32
UNANSWERABLE = ["宇宙人の住民登録", "タイムマシンの修理を頼みたい"]


class Chat:
    """One resident's chat with the bot: what they send, and the messages of the bot's last reply."""

    def __init__(self, client, fake_line, user: str = USER, secret: str | None = None) -> None:
        self.client, self.fake_line, self.user = client, fake_line, user
        self.signing = {"secret": secret} if secret else {}

    def send(self, text: str) -> list[dict]:
        post_webhook(self.client, body_of(text_event(text, self.user)), **self.signing)
        return self.last()

    def tap(self, data: str) -> list[dict]:
        post_webhook(self.client, body_of(event_of("postback", self.user, postback={"data": data})), **self.signing)
        return self.last()

    def last(self) -> list[dict]:
        calls = [c for c in self.fake_line.calls_to("reply") if c["status"] == 200]
        return calls[-1]["body"]["messages"] if calls else []


def text_of(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or m.get("altText", "") for m in messages)


def quick(messages: list[dict]) -> dict[str, str]:
    """Quick reply label -> postback data (or message text) of the last message."""
    items = (messages[-1].get("quickReply") or {}).get("items", []) if messages else []
    return {i["action"]["label"]: i["action"].get("data") or i["action"].get("text", "") for i in items}


def count(app, model) -> int:
    with app.extensions["machimado"].sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_resident_asks_for_a_person_and_leaves_a_consultation(app, client, fake_line) -> None:
    chat = Chat(client, fake_line)
    reply = chat.send("人と話したい")
    assert "サンプル市役所 総合案内" in text_of(reply) and "0000-00-0000" in text_of(reply)
    assert "相談する（文章で）" in quick(reply)

    prompt = chat.tap(quick(reply)["相談する（文章で）"])
    assert "1つのメッセージで送ってください" in text_of(prompt) and "やめる" in quick(prompt)
    questions = count(app, QuestionLog)

    received = chat.send("母の介護のことで、どの窓口に行けばいいか相談したいです")
    assert "ご相談を受け付けました" in text_of(received) and "受付番号" in text_of(received)
    more = chat.send("平日の午後なら電話に出られます")
    assert "担当者にお伝えしました" in text_of(more)
    assert count(app, QuestionLog) == questions  # the resident's words went to staff, not the knowledge base
    with app.extensions["machimado"].sessions() as session:
        consultation = session.scalars(select(Consultation)).one()
        texts = session.scalars(select(ConsultationMessage.text).order_by(ConsultationMessage.id)).all()
    assert consultation.status == "open" and texts == ["母の介護のことで、どの窓口に行けばいいか相談したいです",
                                                       "平日の午後なら電話に出られます"]

    ended = chat.tap(quick(more)["相談を終える"])
    assert "相談を終了しました" in text_of(ended)
    answered = chat.send("粗大ごみの出し方")
    assert "粗大ごみ" in text_of(answered) and "担当者にお伝えしました" not in text_of(answered)
    with app.extensions["machimado"].sessions() as session:
        assert session.scalars(select(Consultation.status)).one() == "closed"


def test_the_resident_can_change_their_mind(app, client, fake_line) -> None:
    chat = Chat(client, fake_line)
    prompt = chat.tap("action=consult")
    assert "相談をやめました" in text_of(chat.tap(quick(prompt)["やめる"]))
    assert "粗大ごみ" in text_of(chat.send("粗大ごみの出し方"))
    assert count(app, Consultation) == 0


def test_no_consultation_where_the_municipality_does_not_offer_it(multi_app, fake_line) -> None:
    chat = Chat(multi_app.test_client(), fake_line, secret="secret-shima")
    reply = chat.send("人と話したい")
    assert "電話" in text_of(reply) and "相談する（文章で）" not in quick(reply)
    chat.tap("action=consult")
    assert len([c for c in fake_line.calls_to("reply") if c["status"] == 200]) == 1  # nothing to say to it


def test_two_misses_in_a_row_offer_the_desk_instead_of_asking_again(app, client, fake_line) -> None:
    chat = Chat(client, fake_line)
    first = chat.send(UNANSWERABLE[0])
    assert "見つかりませんでした" in text_of(first) and "相談する（文章で）" not in quick(first)
    second = chat.send(UNANSWERABLE[1])
    assert "続けてお答えできませんでした" in text_of(second)
    assert "サンプル市役所 総合案内" in text_of(second) and "相談する（文章で）" in quick(second)
    other = Chat(client, fake_line, "U" + "e" * 32).send(UNANSWERABLE[0])  # another resident: a first miss
    assert "続けて" not in text_of(other)


def test_solved_is_asked_after_an_answer_but_not_after_every_answer(app, client, fake_line) -> None:
    chat = Chat(client, fake_line)
    first = chat.send("粗大ごみの出し方")
    assert first[-1]["text"] == "解決しましたか？" and set(quick(first)) == {"👍 はい", "👎 いいえ"}
    second = chat.send("児童手当の申請方法を教えて")
    assert "高校生年代" in text_of(second) and "解決しましたか？" not in text_of(second)
    with app.extensions["machimado"].sessions() as session:  # half an hour later: asked again
        follower = session.scalars(select(Follower).where(Follower.line_user_id == USER)).one()
        follower.feedback_asked_at = utcnow() - timedelta(minutes=31)
        session.commit()
    assert chat.send( "児童手当の申請方法を教えて")[-1]["text"] == "解決しましたか？"


def test_not_solved_offers_the_desk_and_reaches_the_inbox_under_its_answer(app, client, fake_line) -> None:
    from tests.admin.test_console import login, make_staff

    chat = Chat(client, fake_line)
    answer = chat.send("粗大ごみの出し方")
    sorry = chat.tap(quick(answer)["👎 いいえ"])
    assert "お役に立てず申し訳ありません" in text_of(sorry) and "0000-00-0000" in text_of(sorry)
    assert "相談する（文章で）" in quick(sorry)
    assert count(app, Feedback) == 1
    staff = app.test_client()
    login(staff, make_staff(app)["editor"])
    page = staff.get("/admin/inbox").text
    section = page[page.index("解決しなかった回答"):]
    assert "👎 1件" in section and "粗大ごみの出し方" in section


def test_a_thumbs_down_counts_for_the_inbox_only_from_the_resident_who_asked(app, client, fake_line) -> None:
    """Someone else's crafted 👎 postback for a question id is counted for the entry, not tied to the question."""
    chat = Chat(client, fake_line)
    answer = chat.send("粗大ごみの出し方")
    thumbs_down = quick(answer)["👎 いいえ"]
    Chat(client, fake_line, "U" + "9" * 32).tap(thumbs_down)  # another resident replays it
    with app.extensions["machimado"].sessions() as session:
        stranger = session.scalars(select(Feedback)).one()
    assert stranger.question_log_id is None and stranger.entry_id is not None
    chat.tap(thumbs_down)
    with app.extensions["machimado"].sessions() as session:
        own = session.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
    assert own.question_log_id is not None
