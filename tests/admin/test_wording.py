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
