"""`machimado faq`: the knowledge base from the command line — import, export, vectors, ask, eval."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import click

from cli.faq_eval import faq_eval
from cli.support import municipality_option, tenant_runtime
from core.db import session_scope
from faq import service
from faq.kb import all_texts, knowledge_rows
from faq.lint import lint, unfilled_placeholders
from faq.packs import PackError, export_pack, import_entries, load_pack_file
from search.vectors import store_entry_vectors


@click.group()
def faq() -> None:
    """Knowledge base: import, export, ask."""


@faq.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@municipality_option
def faq_import(file: Path, slug: str | None) -> None:
    """Import a YAML pack (all or nothing; updates entries by their stable id)."""
    with tenant_runtime(slug) as (runtime, tenant):
        try:
            entries = load_pack_file(file)
        except PackError as exc:
            raise click.ClickException(f"nothing imported:\n{exc}") from exc
        with session_scope(runtime.sessions) as session:
            report = import_entries(session, tenant.id, entries, author="cli", progress=encoding_bar)
        click.echo(f"{tenant.config.slug}: {report.created} created, {report.updated} updated, "
                   f"{report.unchanged} unchanged")


def encoding_bar(total: int) -> AbstractContextManager[Any]:
    return click.progressbar(length=total, label="encoding sentence vectors", file=sys.stderr)


@faq.command("vectors")
@municipality_option
def faq_vectors(slug: str | None) -> None:
    """Store the sentence vectors the knowledge base is missing (after an upgrade; otherwise the
    first question after a restart would encode them)."""
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            texts = all_texts(*knowledge_rows(session, tenant.id))
            encoded = store_entry_vectors(session, texts, progress=encoding_bar)
        click.echo(f"{tenant.config.slug}: {encoded} texts encoded, {len(texts)} entries")


@faq.command("export")
@municipality_option
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="File (default: stdout).")
def faq_export(slug: str | None, output: Path | None) -> None:
    """Export the knowledge base as a YAML pack that `faq import` reads back."""
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            text = export_pack(session, tenant.id, f"{tenant.config.slug}-export")
        if output:
            output.write_text(text, encoding="utf-8")
            click.echo(f"written {output}", err=True)
        else:
            click.echo(text, nl=False)


@faq.command("ask")
@click.argument("question")
@municipality_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--limit", default=5, show_default=True)
def faq_ask(question: str, slug: str | None, as_json: bool, limit: int) -> None:
    """Show how the bot ranks QUESTION and what it would reply (not recorded)."""
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            matcher = runtime.matchers.get(session, tenant.id, tenant.config)
            result, _ = service.ask(session, matcher, tenant.id, question, channel="cli", record=False)
            entry = service.get_entry(session, tenant.id, result.top.entry_id) if result.top else None
            answer = tenant.config.fill(entry.answer) if entry and result.outcome == "answer" else None
        candidates = [c.as_dict() for c in result.candidates[:limit]]
        if as_json:
            click.echo(json.dumps({"outcome": result.outcome, "confidence": round(result.confidence, 4),
                                   "candidates": candidates, "answer": answer}, ensure_ascii=False))
            return
        click.echo(f"outcome: {result.outcome} (confidence {result.confidence:.3f})")
        for i, c in enumerate(candidates, 1):
            click.echo(f"{i:>2}. {c['score']:.3f}  [{c['id']}] {c['question']}")
        if answer:
            click.echo(f"\n{answer}")


faq.add_command(faq_eval)


@faq.command("lint")
@municipality_option
def faq_lint(slug: str | None) -> None:
    """List near-duplicate questions (same words, or a few characters apart) among FAQ entries, procedures
    and facilities: a question equal to one of them cannot be answered outright. Exits 1 when there are any.
    Also warns about {placeholders} the entries use that the municipality's configuration does not define."""
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            pairs = lint(session, tenant.id, tenant.config)
            unfilled = unfilled_placeholders(session, tenant.id, tenant.config)
        for pair in pairs:
            click.echo(pair.describe())
        for name, keys in unfilled.items():
            click.echo(f"warning: {{{name}}} has no value in {tenant.config.slug}'s placeholders (residents see the "
                       f"main desk instead): {', '.join(keys[:10])}" + (" …" if len(keys) > 10 else ""), err=True)
        click.echo(f"{tenant.config.slug}: {len(pairs)} near-duplicate pair(s)", err=True)
        if pairs:
            sys.exit(1)
