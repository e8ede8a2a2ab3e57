"""Notice templates with placeholders (避難所開設, 避難指示, 断水, 警報, …)."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
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

    @property
    def params(self) -> list[str]:
        names: list[str] = []
        for text in (self.title, self.body):
            names += [f for _, f, _, _ in string.Formatter().parse(text) if f and f not in names]
        return names

    def fill(self, values: dict[str, str]) -> tuple[str, str]:
        missing = [p for p in self.params if not values.get(p, "").strip()]
        if missing:
            raise ValueError(f"template {self.id!r} needs: {', '.join(missing)}")
        return self.title.format(**values), re.sub(r"\n{3,}", "\n\n", self.body.format(**values)).strip()


def load_templates(path: Path = TEMPLATES_PATH) -> dict[str, Template]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {key: Template(id=key, **{k: str(v) for k, v in raw.items()}) for key, raw in data["templates"].items()}
