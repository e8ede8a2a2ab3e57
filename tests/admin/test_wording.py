"""#17.11: FAQ history and the audit log in words staff read, not field names, codes, JSON and UTC."""

from __future__ import annotations

import re

from tests.admin.test_console import csrf, login, make_staff, save_faq


def test_faq_history_is_a_readable_diff(app, client) -> None:
    login(client, make_staff(app)["admin"])
    location = save_faq(client, "犬の散歩のマナー", "リードをつけましょう。").headers["Location"]
    token = csrf(client, location)
    client.post(location, data={"csrf_token": token, "question": "犬の散歩のマナー", "answer": "リードをつけ、ふんは持ち帰りましょう。",
                                "category": "テスト", "alt_questions": "犬のふんの始末\n散歩のルール", "active": "1"})
    page = client.get(location + "/history").text
    table = page[page.index("<table"):page.index("</table>")]
    assert "<td>言い換え</td>" in table and "<td>回答</td>" in table
    assert "犬のふんの始末\n散歩のルール" in table
    assert "alt_questions" not in table and "[&#39;" not in table and "['" not in table


def test_the_audit_log_says_what_happened_in_japanese_and_japan_time(app, client) -> None:
    login(client, make_staff(app)["admin"])
    save_faq(client, "犬の散歩のマナー", "リードをつけましょう。")
    page = client.get("/admin/audit").text
    rows = page[page.index("<tbody>"):]
    assert "FAQの作成" in rows and "ログイン" in rows and "質問：犬の散歩のマナー" in rows
    assert "faq_created" not in rows and "faq_entry" not in rows and '{"' not in rows
    assert "日本時間" in page and re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td>", rows)


def test_editing_the_answer_from_an_inbox_item_closes_the_item(app, client, fake_line) -> None:
    """#17.12: an FAQ edited from the inbox left the item open."""
    import html

    from tests.bot.test_consultation import Chat, quick

    chat = Chat(app.test_client(), fake_line)
    chat.tap(quick(chat.send("粗大ごみの出し方"))["👎 いいえ"])
    login(client, make_staff(app)["editor"])
    inbox = client.get("/admin/inbox").text
    link = html.unescape(re.search(r'href="(/admin/faq/\d+\?from_inbox=[^"]+)">この回答を直す', inbox).group(1))
    form = client.get(link).text
    assert "保存すると、その質問は対応済みになります" in form
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" type="text"[^>]*value="([^"]*)"', form))
    answer = re.search(r'<textarea id="answer" name="answer"[^>]*>([^<]*)</textarea>', form).group(1)
    ids = re.search(r'name="from_inbox" value="([^"]+)"', form).group(1)
    saved = client.post(link.split("?")[0], data={"csrf_token": csrf(client, link), "question": fields["question"],
                                                  "category": fields["category"], "answer": html.unescape(answer) + "（予約制）",
                                                  "active": "1", "from_inbox": ids}, follow_redirects=True).text
    assert "未回答の質問 1件を対応済みにしました" in saved
    assert "解決しなかった回答" not in client.get("/admin/inbox").text
