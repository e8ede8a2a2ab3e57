"""Answer-quality measurement through the same code path the webhook uses (``faq.service.ask``).

Two data sets feed it: the project's own paraphrase set for the demo pack (eval/demo_paraphrases.yaml)
and BEIR-style benchmarks such as localgovFAQ (corpus/queries/qrels JSON). Both become a list of
:class:`Case` and are scored by :func:`evaluate`.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from search.matcher import MatchResult
from search.normalize import hiragana_rendering


@dataclass(frozen=True)
class Case:
    query: str
    grades: dict[str, int] = field(default_factory=dict)  # entry key -> 2 (A) / 1 (B); empty = out of scope
    lang: str = ""  # the question's language, in multilingual sets (eval/demo_multilingual.yaml)

    @property
    def has_a(self) -> bool:
        return any(g >= 2 for g in self.grades.values())


def load_paraphrases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Case(str(item["q"]), {str(item["expect"]): 2} if item.get("expect") else {}, str(item.get("lang") or ""))
            for item in data["queries"]]


def load_tsv(path: Path, keys: list[str]) -> list[Case]:
    """Rows ``style-or-language <TAB> question <TAB> expected`` (../shared/eval/resident-questions-dev): the expected
    entry ids are a regex alternation, fullmatched against the pack's ids (``-`` = out of scope); the first column
    becomes the case's group (``lang``), so the figures come per style / language too."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{path}:{number}: expected 3 tab-separated columns, found {len(parts)}")
        group, question, expected = (p.strip() for p in parts)
        if expected == "-":
            grades: dict[str, int] = {}
        else:
            pattern = re.compile(expected)
            grades = {key: 2 for key in keys if pattern.fullmatch(key)}
            if not grades:
                raise ValueError(f"{path}:{number}: {expected!r} names no entry of the pack")
        cases.append(Case(question, grades, group))
    return cases


def shown_right(metrics: dict[str, Any]) -> float:
    """The share of in-scope questions whose right entry was among what the resident was shown: the answer when
    answered, the もしかして choices when suggested, nothing on a fallback."""
    return round(metrics["answered_share"] * metrics["answered_precision"]
                 + metrics["suggested_share"] * metrics["suggested_hit"], 4)


@dataclass(frozen=True)
class ConversationCase:
    """A message that is conversation, not a question (``intent`` greeting / thanks / person), or a question that
    only looks like one (``intent`` none)."""

    query: str
    intent: str


def load_conversation(path: Path) -> list[ConversationCase]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [ConversationCase(str(item["q"]), str(item["intent"])) for item in data.get("conversation") or []]


def evaluate_conversation(cases: list[ConversationCase], intent_of: Callable[[str], str | None]) -> dict[str, Any]:
    """How many conversation cases the bot's own recogniser (``intent_of``) gets right, and which it misses."""
    misses = [c.query for c in cases if (intent_of(c.query) or "none") != c.intent]
    return {"conversation_cases": len(cases),
            "conversation_accuracy": round(1 - len(misses) / len(cases), 3) if cases else None,
            "conversation_misses": misses}


def as_kana(cases: list[Case]) -> list[Case]:
    """The same cases with every query rendered in hiragana (how many elderly residents type)."""
    return [Case(hiragana_rendering(c.query), c.grades) for c in cases]


def learned(entries: list[dict[str, Any]], cases: list[Case]) -> list[dict[str, Any]]:
    """The entries after staff attached each learn-from query to its right (grade-2) entries as a phrasing, as
    the inbox's "attach" does: what the knowledge base looks like once it has learned from these residents."""
    extra: dict[str, list[str]] = {}
    for case in cases:
        for key, grade in case.grades.items():
            if grade >= 2:
                extra.setdefault(key, []).append(case.query[:200])
    out = []
    for entry in entries:
        added = [q for q in dict.fromkeys(extra.get(str(entry["id"]), []))
                 if q != entry["question"] and q not in (entry.get("alt_questions") or [])]
        out.append({**entry, "alt_questions": [*(entry.get("alt_questions") or []), *added]} if added else entry)
    return out


def beir_entries(corpus_path: Path) -> list[dict[str, Any]]:
    """localgovFAQ/BEIR corpus → pack entries ("Question: …\\nAnswer: …", ＜改＞ = line break,
    the trailing related-FAQ list dropped)."""
    corpus = json.loads(corpus_path.read_text(encoding="utf-8"))
    entries = []
    for doc_id, text in corpus.items():
        body = text if isinstance(text, str) else f"Question: {text.get('title', '')}\nAnswer: {text.get('text', '')}"
        question, _, answer = body.partition("\nAnswer:")
        question = question.removeprefix("Question:").strip()
        # "【関連するＦＡＱ】" lists other entries' questions: links, not this entry's answer.
        lines = answer.split("【関連するＦＡＱ】")[0].replace("＜改＞", "\n").split("\n")
        answer = "\n".join(line.strip() for line in lines if line.strip() not in ("", "。")) or question
        entries.append({"id": f"doc-{doc_id}", "question": question, "answer": answer[:4500], "category": "",
                        "alt_questions": [], "keywords": [], "links": [], "department": "", "contact": "",
                        "active": True})
    return entries


def beir_cases(queries_path: Path, qrels_path: Path) -> list[Case]:
    queries = json.loads(queries_path.read_text(encoding="utf-8"))
    qrels = json.loads(qrels_path.read_text(encoding="utf-8"))
    return [Case(text, {f"doc-{d}": int(g) for d, g in qrels.get(qid, {}).items()}) for qid, text in queries.items()]


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def evaluate(cases: list[Case], match: Callable[[str, set[str]], MatchResult]) -> dict[str, Any]:
    """Score ``match(query, excluded_keys)`` on ``cases``; returns the metrics of issue #7's eval."""
    hit1 = hit3 = answered = answered_ok = suggested = suggested_hit = fallback = 0
    rr_sum = 0.0
    in_scope = [c for c in cases if c.grades]
    out_scope_answered = 0
    with_a = 0
    latencies: list[float] = []
    for case in cases:
        started = time.perf_counter()
        result = match(case.query, set())
        latencies.append((time.perf_counter() - started) * 1000)
        keys = [c.key for c in result.candidates]
        if not case.grades:
            out_scope_answered += result.outcome == "answer"
            continue
        grade_a = {k for k, g in case.grades.items() if g >= 2}
        if grade_a:
            with_a += 1
            hit1 += bool(keys[:1]) and keys[0] in grade_a
            hit3 += any(k in grade_a for k in keys[:3])
        rr_sum += next((1 / (i + 1) for i, k in enumerate(keys[:10]) if k in case.grades), 0.0)
        if result.outcome == "answer":
            answered += 1
            answered_ok += bool(keys) and keys[0] in grade_a
        elif result.outcome == "suggest":
            suggested += 1
            suggested_hit += any(k in grade_a for k in keys[:3])
        else:
            fallback += 1
    n = max(len(in_scope), 1)
    return {
        "queries": len(cases),
        "in_scope": len(in_scope),
        "hit1_a": round(hit1 / max(with_a, 1), 4),
        "hit3_a": round(hit3 / max(with_a, 1), 4),
        "mrr10": round(rr_sum / n, 4),
        "answered_share": round(answered / n, 4),
        "answered_precision": round(answered_ok / max(answered, 1), 4),
        "suggested_share": round(suggested / n, 4),
        "suggested_hit": round(suggested_hit / max(suggested, 1), 4),
        "fallback_share": round(fallback / n, 4),
        "out_of_scope_answered": out_scope_answered,
        "p50_ms": round(statistics.median(latencies), 3) if latencies else 0.0,
        "p99_ms": round(_percentile(latencies, 99), 3),
    }


def evaluate_leave_out(cases: list[Case], match: Callable[[str, set[str]], MatchResult]) -> dict[str, Any]:
    """For each query remove its relevant docs first: answering outright is then always wrong."""
    scored = [c for c in cases if c.grades]
    outcomes = [match(c.query, set(c.grades)).outcome for c in scored]
    n = max(len(scored), 1)
    return {"queries": len(scored), "answered_share": round(outcomes.count("answer") / n, 4),
            "suggested_share": round(outcomes.count("suggest") / n, 4),
            "fallback_share": round(outcomes.count("fallback") / n, 4)}
