"""Notice templates with placeholders (避難所開設, 避難指示, 断水, 警報, …)."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

TEMPLATES_PATH = Path(__file__).with_name("data") / "templates.yaml"


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    category: str
    severity: str
    title: str
    body: str
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # placeholder -> {label, example}
    # language -> {title, body}: the same notice for residents who chose that language, filled with the same
    # values staff type in Japanese (place names stay as written).
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    def label(self, param: str) -> str:
        return self.labels.get(param, {}).get("label", param)

    def example(self, param: str) -> str:
        return self.labels.get(param, {}).get("example", "")

    @property
    def params(self) -> list[str]:
        names: list[str] = []
        for text in (self.title, self.body):
            names += [f for _, f, _, _ in string.Formatter().parse(text) if f and f not in names]
        return names

    def fill(self, values: dict[str, str]) -> tuple[str, str]:
        missing = [p for p in self.params if not values.get(p, "").strip()]
        if missing:
            raise ValueError(f"「{self.name}」には次の項目が必要です：{'、'.join(self.label(p) for p in missing)}"
                             f"（{', '.join(missing)}）")
        return self.title.format(**values), re.sub(r"\n{3,}", "\n\n", self.body.format(**values)).strip()


    def fill_translations(self, values: dict[str, str]) -> dict[str, dict[str, str]]:
        """The translated versions filled with the same values (call after :meth:`fill` has checked them)."""
        return {lang: {"title": t["title"].format(**values).strip(),
                       "body": re.sub(r"\n{3,}", "\n\n", t["body"].format(**values)).strip()}
                for lang, t in self.translations.items()}


def load_templates(path: Path = TEMPLATES_PATH) -> dict[str, Template]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    labels = {str(k): {str(a): str(b) for a, b in (v or {}).items()} for k, v in (data.get("params") or {}).items()}
    return {key: Template(id=key, **{k: str(v) for k, v in raw.items() if k != "translations"}, labels=labels,
                          translations={str(lang): {"title": str(t["title"]), "body": str(t["body"])}
                                        for lang, t in (raw.get("translations") or {}).items()})
            for key, raw in data["templates"].items()}


@cache
def heads() -> dict[str, dict[str, str]]:
    """How a notice starts in each language (``emergency`` / ``notice``) and its link buttons' title."""
    data = yaml.safe_load(TEMPLATES_PATH.read_text(encoding="utf-8"))
    return {str(lang): {str(k): str(v) for k, v in row.items()} for lang, row in (data.get("heads") or {}).items()}
