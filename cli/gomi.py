"""`machimado gomi …`: import a 5374 data set, evaluate the calendar and the sorting dictionary, ask as a resident."""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import click

import migrations
from cli.support import municipality_option, tenant_runtime
from core.db import make_engine, make_session_factory, session_scope
from core.models import Municipality
from gomi.calendar import Calendar, load
from gomi.dictionary import Dictionary, load_dictionary
from gomi.evaluation import score_cases, score_items
from gomi.importer import PAUSE_MODES, import_dataset
from gomi.reader import DatasetError, Problem, read


@click.group("gomi")
def gomi() -> None:
    """ごみ: collection calendar (5374 data), sorting dictionary, reminders."""


def _print_problems(problems: list[Problem], limit: int = 50) -> None:
    for problem in problems[:limit]:
        click.echo(f"  {problem.file} {problem.row}行 [{problem.column}] {problem.text!r}: {problem.message}", err=True)
    if len(problems) > limit:
        click.echo(f"  … and {len(problems) - limit} more", err=True)


@gomi.command("import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--pause-mode", type=click.Choice(PAUSE_MODES), default=None,
              help="Year-end pauses: skip (no collection inside; default) or shift (the original Kanazawa app).")
@click.option("--dry-run", is_flag=True, help="List what would be imported and every problem; write nothing.")
@municipality_option
def import_cmd(source: Path, pause_mode: str | None, dry_run: bool, slug: str | None) -> None:
    """Import a 5374 folder or zip (area_days.csv, center.csv, description.csv, target.csv, remarks.csv):
    the municipality's calendar is replaced in one transaction."""
    try:
        data = read(source)
    except DatasetError as exc:
        raise click.ClickException(f"{source}: nothing imported: {exc}") from exc
    click.echo(f"{source}: {len(data.areas)} area(s), {len(data.types)} type(s), {len(data.items)} item(s), "
               f"{sum(len(v) for v in data.pauses.values())} pause(s), {len(data.problems)} problem cell(s)")
    _print_problems(data.problems)
    if dry_run:
        click.echo("dry run: nothing written")
        return
    with tenant_runtime(slug) as (runtime, tenant):
        with session_scope(runtime.sessions) as session:
            record = import_dataset(session, tenant.id, data, source=str(source.name), username="cli",
                                    pause_mode=pause_mode)
        click.echo(f"{tenant.config.slug}: calendar imported (import #{record.id})")


def _temporary_city(workdir: Path, city: str, folder: Path, pause_mode: str | None) -> tuple[Calendar | None,
                                                                                           Dictionary | None,
                                                                                           list[Problem]]:
    """Import one city folder into a database of its own through the product's importer, and read it back."""
    engine = make_engine(f"sqlite:///{workdir / (city + '.db')}")
    migrations.upgrade(engine)
    sessions = make_session_factory(engine)
    data = read(folder)
    with session_scope(sessions) as session:
        municipality = Municipality(slug=city[:40], name=city)
        session.add(municipality)
        session.flush()
        import_dataset(session, municipality.id, data, source=folder.name, pause_mode=pause_mode)
        municipality_id = municipality.id
    with session_scope(sessions) as session:
        calendar = load(session, municipality_id)
        dictionary = load_dictionary(session, municipality_id)
    engine.dispose()
    return calendar, dictionary, data.problems


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@gomi.command("eval")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="A folder of 5374 folders, one per city (DIR/<city>/area_days.csv …).")
@click.option("--cases", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--items", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--pause-mode", type=click.Choice(PAUSE_MODES), default="skip", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def eval_cmd(data_dir: Path, cases: Path | None, items: Path | None, pause_mode: str, as_json: bool) -> None:
    """Score next collection dates (and the types that day) and 「これは何ごみ？」 against independent cases."""
    case_rows = _jsonl(cases) if cases else []
    item_rows = _jsonl(items) if items else []
    wanted = {row["city"] for row in case_rows + item_rows}
    folders = {p.name: p for p in sorted(data_dir.iterdir())
               if (p / "area_days.csv").is_file() or (p / "area.csv").is_file()}
    calendars: dict[str, Calendar] = {}
    dictionaries: dict[str, Dictionary] = {}
    failed: list[dict[str, str]] = []
    problems: dict[str, list[dict[str, object]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        names = sorted(set(folders) | wanted)
        with click.progressbar(names, label="importing", file=sys.stderr) as bar:
            for city in bar:
                if city not in folders:
                    failed.append({"city": city, "error": "no folder"})
                    continue
                try:
                    calendar, dictionary, found = _temporary_city(Path(tmp), city, folders[city], pause_mode)
                except Exception as exc:  # a city that cannot be imported is reported, the others go on
                    failed.append({"city": city, "error": f"{type(exc).__name__}: {exc}"})
                    continue
                problems[city] = [p.as_dict() for p in found]
                if calendar is not None:
                    calendars[city] = calendar
                if dictionary is not None:
                    dictionaries[city] = dictionary
    misses: list[dict[str, Any]] = []
    per_city_cases = score_cases(calendars, case_rows, misses, pause_mode)
    per_city_items = score_items(dictionaries, item_rows, misses)
    total = sum(s["cases"] for s in per_city_cases.values())
    n_items = sum(s["items"] for s in per_city_items.values())
    per_city = {city: {**per_city_cases.get(city, {}), **per_city_items.get(city, {}),
                       "problems": len(problems.get(city, []))} for city in sorted(set(folders) | wanted)}
    result = {
        "date": date.today().isoformat(),
        "pause_mode": pause_mode,
        "cases": total,
        "next_date_accuracy": round(sum(s["next_date"] for s in per_city_cases.values()) / total, 4) if total else None,
        "types_accuracy": round(sum(s["types"] for s in per_city_cases.values()) / total, 4) if total else None,
        "items": n_items,
        "items_first": round(sum(s["first"] for s in per_city_items.values()) / n_items, 4) if n_items else None,
        "items_top3": round(sum(s["top3"] for s in per_city_items.values()) / n_items, 4) if n_items else None,
        "cities_failed": failed,
        "per_city": per_city,
        "problems": problems,
        "misses": misses[:500],
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    click.echo(f"next date {result['next_date_accuracy']}  types {result['types_accuracy']}  ({total} cases)")
    click.echo(f"items first {result['items_first']}  top3 {result['items_top3']}  ({n_items} items)")
    for city, stats in per_city.items():
        click.echo(f"  {city}: {stats}")
    if failed:
        click.echo(f"failed: {failed}")
