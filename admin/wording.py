"""Staff-facing words for what the system stores in code form: FAQ fields, audit-log actions and objects.

Kept as catalogs (not scattered through templates) so every page says the same thing in the same Japanese.
"""

from __future__ import annotations

from typing import Any

# Residents' languages (core.i18n codes, and the writing of a question matched by meaning) in staff's words.
LANGUAGE_NAMES = {"ja": "日本語", "ja-easy": "やさしい日本語", "en": "英語", "zh-Hans": "中国語（簡体字）",
                  "zh-Hant": "中国語（繁体字）", "ko": "韓国語", "vi": "ベトナム語", "pt": "ポルトガル語",
                  "tl": "タガログ語", "ne": "ネパール語", "id": "インドネシア語", "ja-easy+en": "やさしい日本語と英語",
                  "zh": "中国語", "latin": "外国語（ラテン文字）", "other": "外国語"}


def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "ja", code or "日本語")


FIELDS = {"question": "質問", "alt_questions": "言い換え", "answer": "回答", "category": "分野", "keywords": "キーワード",
          "links": "関連リンク", "department": "担当課", "contact": "問い合わせ先", "active": "公開",
          "translations": "翻訳"}

ROLES = {"viewer": "閲覧", "editor": "編集", "broadcaster": "配信", "admin": "管理者", "superuser": "全自治体の管理者"}

ACTIONS = {
    "login": "ログイン", "password_change": "パスワードの変更", "staff_disabled": "職員アカウントの無効化",
    "staff_enabled": "職員アカウントの有効化", "staff_created": "職員アカウントの作成",
    "staff_role_changed": "職員の役割の変更", "staff_password_reset": "職員のパスワードの再設定",
    "faq_created": "FAQの作成", "faq_updated": "FAQの更新", "faq_unchanged": "FAQの保存（変更なし）",
    "faq_revert": "FAQを以前の版に戻す", "faq_import": "FAQの取り込み", "faq_phrasings_added": "言い換えの追加",
    "faq_phrasings_confirmed": "住民が選んだ質問を言い換えに追加", "faq_phrasing_learned": "住民の選択から言い換えを追加（自動）",
    "questions_handled": "未回答の質問を対応済みに", "synonyms_saved": "同義語辞書の保存",
    "notice_draft": "お知らせの下書き", "notice_draft_edited": "お知らせの下書きの修正", "notice_send": "お知らせの送信",
    "notice_cancel": "お知らせの取り消し", "disaster_mode": "災害モードの切り替え", "shelter_status": "避難所の状態の変更",
    "directory_import": "施設・避難所などの取り込み", "consultation_replied": "相談への返信",
    "consultation_resent": "相談の返信の再送", "consultation_closed": "相談の終了",
    "privacy_export": "個人情報の書き出し", "privacy_erase": "個人情報の削除",
}

OBJECTS = {"faq_entry": "FAQ", "faq_pack": "取り込みファイル", "question_logs": "質問", "notice": "お知らせ",
           "municipality": "自治体", "place": "施設", "places": "施設", "staff_user": "職員", "consultation": "相談",
           "resident": "住民", "synonyms": "同義語辞書"}

# Keys that appear in audit details, in Japanese (anything else is shown as it is).
DETAILS = {"title": "件名", "status": "状態", "severity": "重要度", "scheduled_at": "配信日時", "disaster_mode": "災害モード",
           "type": "災害の種類", "shelters_closed": "閉鎖した避難所", "emergencies_ended": "掲載を終えた緊急情報",
           "created": "新規", "updated": "更新", "unchanged": "変更なし", "residents": "住民", "questions": "質問",
           "consultations": "相談", "feedback": "評価", "recipient_lists": "配信リスト", "message_id": "返信番号",
           "username": "ユーザー名", "role": "役割",
           **FIELDS}


def action(code: str) -> str:
    return ACTIONS.get(code, code)


def object_label(kind: str, object_id: str) -> str:
    name = OBJECTS.get(kind, kind)
    return f"{name} {object_id}".strip() if object_id else name


def value(field: str, value: Any) -> str:
    """A stored value as a person reads it."""
    if value is None or value == "" or value == []:
        return "（なし）"
    if field == "role" and isinstance(value, str):
        return ROLES.get(value, value)
    if isinstance(value, bool):
        return ("公開" if value else "非公開") if field == "active" else ("オン" if value else "オフ")
    if field == "translations" and isinstance(value, dict):
        return "\n".join(f"{language_name(lang)}：{t.get('question') or ''} {t.get('answer', '')}".strip()
                         for lang, t in value.items() if isinstance(t, dict))
    if field == "links" and isinstance(value, list):
        return "\n".join(f"{link.get('label', '')}（{link.get('url', '')}）" for link in value if isinstance(link, dict))
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def change(field: str, before: Any, after: Any) -> tuple[str, str, str]:
    """(項目, 変更前, 変更後) of one field. For lists (言い換え, キーワード, リンク) only what was removed and added."""
    label = FIELDS.get(field, field)
    if isinstance(before, list) and isinstance(after, list):
        removed = [v for v in before if v not in after]
        added = [v for v in after if v not in before]
        if not removed and not added:
            return label, "並べ替え", "並べ替え"
        return label, value(field, removed) if removed else "", value(field, added) if added else ""
    return label, value(field, before), value(field, after)


def details(data: dict[str, Any] | None) -> str:
    """Audit details (before/after) as 「項目：値」 lines."""
    if not data:
        return ""
    return "／".join(f"{DETAILS.get(k, k)}：{value(k, v)}".replace("\n", "、") for k, v in data.items())
