"""Synonym dictionary editor: one group per line, words separated by commas; the first is canonical."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from admin.auth import audit, current_municipality_id, db, requires
from admin.blueprint import blueprint
from faq.kb import DEFAULT_SYNONYMS_PATH
from faq.models import SynonymSet
from search.normalize import load_synonym_groups

MAX_GROUPS = 2000


def parse_groups(text: str) -> tuple[list[list[str]], list[str]]:
    groups, errors = [], []
    for number, line in enumerate(text.replace("\r", "").split("\n"), 1):
        words = [w.strip() for w in line.replace("、", ",").replace("，", ",").split(",") if w.strip()]
        if not words:
            continue
        if len(words) < 2:
            errors.append(f"{number}行目：同じ意味の言葉を2つ以上、カンマで区切って書いてください。")
        elif any(len(w) > 40 for w in words):
            errors.append(f"{number}行目：言葉は40文字以内にしてください。")
        else:
            groups.append(words)
    if len(groups) > MAX_GROUPS:
        errors.append(f"{MAX_GROUPS}行までです。")
    return groups, errors


@blueprint.route("/synonyms", methods=["GET", "POST"])
@requires("view")
def synonyms() -> ResponseReturnValue:
    from admin.auth import allowed, current_user

    row = db().get(SynonymSet, current_municipality_id())
    text = "\n".join(", ".join(g) for g in (row.groups if row else []))
    errors: list[str] = []
    if request.method == "POST":
        if not allowed(current_user(), "faq"):
            from flask import abort

            abort(403)
        text = request.form.get("groups", "")
        groups, errors = parse_groups(text)
        if not errors:
            before = {"groups": row.groups} if row else None
            if row is None:
                row = SynonymSet(municipality_id=current_municipality_id(), groups=groups)
                db().add(row)
            else:
                row.groups = groups
            audit("synonyms_saved", "synonym_set", current_municipality_id(), before, {"groups": groups})
            db().commit()
            flash("同義語辞書を保存しました。ボットはすぐに使い始めます。", "ok")
            return redirect(url_for("admin.synonyms"))
    shipped = load_synonym_groups(DEFAULT_SYNONYMS_PATH)
    return render_template("admin/synonyms.html", text=text, errors=errors, shipped=shipped)
