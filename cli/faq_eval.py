"""`machimado faq eval`: answer quality on a benchmark or the paraphrase set, via the webhook's code path.

The knowledge base is loaded into a fresh temporary SQLite database through the normal import path
(`faq.packs.import_entries`), and every query goes through `faq.service.ask` like a LINE message.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.orm import Session

import migrations as migrate
from bot.conversation import intent_of
from bot.runtime import Runtime
from core.db import session_scope
from core.settings import load_settings
from core.tenancy import sync_municipalities
from faq import service
from faq.evaluate import (
    Case,
    ConversationCase,
    beir_cases,
    beir_entries,
    evaluate,
    evaluate_conversation,
    evaluate_leave_out,
    learned,
    load_conversation,
    load_paraphrases,
    load_tsv,
    shown_right,
)
from faq.evaluate import as_kana as kana_cases
from faq.kb import fill_second
from faq.packs import DEMO_PACK, import_entries, load_pack_file
from search.language import JAPANESE, detect
from search.matcher import Matcher, MatchResult

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PARAPHRASES = ROOT / "eval" / "demo_paraphrases.yaml"


@contextmanager
def evaluation_kb(entries: list[dict], second: bool = False) -> Iterator[tuple[Session, Matcher, int]]:
    """A fresh temporary knowledge base loaded through the normal import path (vectors included),
    and the matcher the webhook would use for it (``second``: with the second meaning model's vectors filled,
    as a deployment has them once its background encoding is done)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"MACHIMADO_ENV": "testing", "MACHIMADO_INSTANCE_PATH": tmp,
                                  "DATABASE_URL": f"sqlite:///{tmp}/eval.sqlite3"})
        runtime = Runtime.from_settings(settings)
        try:
            migrate.upgrade(runtime.engine)
            with session_scope(runtime.sessions) as session:
                municipality_id = sync_municipalities(session, settings.municipalities)[settings.default_slug]
                import_entries(session, municipality_id, entries, author="eval")
            with session_scope(runtime.sessions) as session:
                matcher = runtime.matchers.get(session, municipality_id, settings.default_municipality)
                matcher.warm_up()
                if second:
                    fill_second(session, matcher)
                    session.commit()
                yield session, matcher, municipality_id
        finally:
            runtime.close()


def run_evaluation(entries: list[dict], cases: list[Case], leave_out: bool = False) -> dict:
    other_languages = any(detect(c.query) != JAPANESE for c in cases)
    with evaluation_kb(entries, second=other_languages) as (session, matcher, municipality_id):
        def match(query: str, excluded: set[str]) -> MatchResult:
            if excluded:
                return matcher.match(query, exclude=frozenset(excluded))
            return service.ask(session, matcher, municipality_id, query, channel="eval", record=False)[0]

        metrics = evaluate_leave_out(cases, match) if leave_out else evaluate(cases, match)
        metrics["entries"] = len(entries)
        if not leave_out:
            metrics["shown_right"] = shown_right(metrics)
        languages = sorted({c.lang for c in cases if c.lang})
        if languages and not leave_out:  # a multilingual set: the same figures per language
            metrics["by_language"] = {}
            for lang in languages:
                part = evaluate([c for c in cases if c.lang == lang], match)
                metrics["by_language"][lang] = {"queries": part["queries"], "hit1_a": part["hit1_a"],
                                                "hit3_a": part["hit3_a"], "fallback_share": part["fallback_share"],
                                                "answered_precision": part["answered_precision"],
                                                "shown_right": shown_right(part),
                                                "answered_share": part["answered_share"],
                                                "out_of_scope_answered": part["out_of_scope_answered"]}
        return metrics


@click.command("eval")
@click.option("--corpus", type=click.Path(exists=True, path_type=Path), help="BEIR corpus.json")
@click.option("--queries", type=click.Path(exists=True, path_type=Path), help="BEIR queries.json")
@click.option("--qrels", type=click.Path(exists=True, path_type=Path), help="BEIR qrels.json")
@click.option("--pack", type=click.Path(exists=True, path_type=Path), default=None,
              help="Knowledge-base pack (default: the demo pack) for --paraphrases.")
@click.option("--paraphrases", type=click.Path(exists=True, path_type=Path), default=None,
              help="Paraphrase set YAML (default when no --corpus: eval/demo_paraphrases.yaml).")
@click.option("--leave-out", is_flag=True, help="Remove each query's relevant docs first.")
@click.option("--as-kana", is_flag=True, help="Render every query in hiragana first (kana-only residents).")
@click.option("--learn-from", type=click.Path(exists=True, path_type=Path), default=None,
              help="BEIR queries attached to their grade-2 entries as phrasings first (as staff would).")
@click.option("--learn-qrels", type=click.Path(exists=True, path_type=Path), default=None,
              help="Relevance grades of the --learn-from queries.")
@click.option("--tsv", "tsv", type=click.Path(exists=True, path_type=Path), default=None,
              help="Rows 'style-or-language<TAB>question<TAB>expected ids (regex)' (resident-questions-dev), with --pack.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def faq_eval(corpus: Path | None, queries: Path | None, qrels: Path | None, pack: Path | None,
             paraphrases: Path | None, leave_out: bool, as_kana: bool, learn_from: Path | None,
             learn_qrels: Path | None, tsv: Path | None, as_json: bool) -> None:
    """Measure answer quality (Hit@1, MRR@10, outcome mix, latency)."""
    conversation: list[ConversationCase] = []
    if corpus:
        if not (queries and qrels):
            raise click.UsageError("--corpus needs --queries and --qrels")
        entries, cases = beir_entries(corpus), beir_cases(queries, qrels)
    elif tsv:
        entries = load_pack_file(pack or DEMO_PACK)
        try:
            cases = load_tsv(tsv, [str(e["id"]) for e in entries])
        except (ValueError, re.error) as exc:
            raise click.UsageError(str(exc)) from exc
    else:
        entries = load_pack_file(pack or DEMO_PACK)
        cases = load_paraphrases(paraphrases or DEFAULT_PARAPHRASES)
        conversation = load_conversation(paraphrases or DEFAULT_PARAPHRASES)
    if learn_from:
        if not learn_qrels:
            raise click.UsageError("--learn-from needs --learn-qrels")
        taught = beir_cases(learn_from, learn_qrels)
        if {c.query for c in taught} & {c.query for c in cases}:
            raise click.UsageError("the --learn-from queries overlap the queries scored: learn from other ones")
        entries = learned(entries, taught)
    if as_kana:
        cases = kana_cases(cases)
    metrics = run_evaluation(entries, cases, leave_out)
    if not corpus and conversation:
        metrics.update(evaluate_conversation(conversation, intent_of))
    if as_json:
        click.echo(json.dumps(metrics, ensure_ascii=False))
    else:
        for key, value in metrics.items():
            click.echo(f"{key:>22}: {value}")
