"""Municipalities sharing one deployment (共同利用).

Each municipality has its own LINE channel, greeting, contact desk, districts, answer thresholds
and knowledge base. The YAML file named by ``MACHIMADO_CONFIG`` lists them; secrets are never in
the file itself, only the names of the environment variables holding them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ConfigError
from core.models import Municipality

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
DEV_CHANNEL_SECRET = "dev-channel-secret"
DEV_ACCESS_TOKEN = "dev-channel-access-token"

DEFAULT_MAIN_CATEGORIES = (
    "ごみ・リサイクル",
    "住民票・戸籍・印鑑登録",
    "マイナンバーカード・コンビニ交付",
    "子育て・児童手当",
    "防災・避難",
    "税",
)


DEFAULT_TOPICS = ("子育て", "健康・福祉", "イベント", "ごみ", "税", "行政")
EMERGENCY_TOPIC = "防災"


@dataclass(frozen=True)
class Contact:
    desk: str
    phone: str
    hours: str
    url: str = ""


@dataclass(frozen=True)
class Thresholds:
    """Confidence cut-offs for the answer policy (see faq.policy)."""

    answer: float = 0.55
    suggest: float = 0.30
    margin: float = 0.08
    # Questions in other languages are matched by meaning alone (search.matcher.rank_by_meaning), on another
    # scale: measured on eval/demo_multilingual.yaml (docs/faq-measurements.md).
    meaning_answer: float = 0.52
    meaning_suggest: float = 0.30
    meaning_margin: float = 0.07


PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class MunicipalityConfig:
    slug: str
    name: str
    channel_secret: str
    channel_access_token: str
    greeting: str
    contact: Contact
    districts: tuple[str, ...] = ()
    main_categories: tuple[str, ...] = DEFAULT_MAIN_CATEGORIES
    placeholders: Mapping[str, str] = field(default_factory=dict)
    synonyms_path: Path | None = None
    faq_pack_path: Path | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    group_policy: str = "mention"  # "mention" | "silent" — see docs/municipalities.md
    topics: tuple[str, ...] = DEFAULT_TOPICS  # notice topics residents choose from (防災 is always on)
    # The desk residents are sent to while disaster mode is on (災害対策本部, around the clock); None: ``contact``.
    disaster_contact: Contact | None = None
    # A question this many different residents answered by tapping the same もしかして choice becomes a phrasing
    # of that entry by itself (faq/learning.py); 0: off, staff attach it from the inbox.
    auto_attach_after: int = 0
    # 相談: residents who want a person can leave a request that staff answer by push from the console.
    consultation: bool = False

    def fill(self, text: str) -> str:
        """Replace ``{placeholder}`` markers in pack text with this municipality's values. A marker this
        municipality has no value for never reaches a resident as ``{tax_phone}``: a phone becomes the main
        desk's number (代表), a URL its site (or nothing: link buttons without an http URL are left out), anything
        else the main desk's name. ``machimado faq lint`` lists such markers."""
        values = {"city": self.name, "phone": self.contact.phone, "desk": self.contact.desk,
                  "hours": self.contact.hours, **self.placeholders}

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if name.endswith("_phone"):
                return f"代表 {self.contact.phone}"
            if name.endswith("_url"):
                return self.contact.url
            return self.contact.desk

        return PLACEHOLDER.sub(value, text)

    def unfilled(self, text: str) -> set[str]:
        """The markers in ``text`` this municipality has no value for."""
        known = {"city", "phone", "desk", "hours", *self.placeholders}
        return {m for m in PLACEHOLDER.findall(text) if m not in known}


DEMO_PLACEHOLDERS = {
    "city_url": "https://www.city.sample.example.jp",
    "e_apply_url": "https://e-apply.city.sample.example.jp",
    "myna_portal_url": "https://myna.go.jp",
    "reservation_url": "https://yoyaku.city.sample.example.jp",
    "gomi_calendar_url": "https://www.city.sample.example.jp/gomi/calendar",
    "hazard_map_url": "https://www.city.sample.example.jp/bousai/hazardmap",
    "tax_phone": "0000-00-1102",
    "kokuho_phone": "0000-00-1103",
    "kosodate_phone": "0000-00-1104",
    "kaigo_phone": "0000-00-1105",
    "kankyo_phone": "0000-00-1106",
    "bousai_phone": "0000-00-1107",
    "kenko_phone": "0000-00-1108",
    "shimin_phone": "0000-00-1101",
    "digital_phone": "0000-00-1109",
}


@dataclass(frozen=True)
class Tenant:
    """A configured municipality with the id of its row: what handlers, the console and commands work on."""

    id: int
    config: MunicipalityConfig


def _secret(env: Mapping[str, str], name: str, dev_default: str, production: bool, what: str) -> str:
    value = env.get(name, "")
    if value:
        return value
    if production:
        raise ConfigError(f"{name} is not set: the {what} is required in production "
                          f"(LINE Developers console → your channel → Messaging API).")
    return dev_default


def default_municipality(env: Mapping[str, str], production: bool) -> MunicipalityConfig:
    """The demo city used when no MACHIMADO_CONFIG is given."""
    return MunicipalityConfig(
        slug="sample",
        name="サンプル市",
        channel_secret=_secret(env, "LINE_CHANNEL_SECRET", DEV_CHANNEL_SECRET, production, "channel secret"),
        channel_access_token=_secret(env, "LINE_CHANNEL_ACCESS_TOKEN", DEV_ACCESS_TOKEN, production,
                                     "channel access token"),
        greeting="サンプル市公式LINEです。友だち追加ありがとうございます。\n"
                 "ごみの出し方、各種証明書、子育て、防災など、市の手続きや暮らしのことを文章で質問してください。",
        contact=Contact(desk="サンプル市役所 総合案内", phone="0000-00-0000", hours="平日 8:30〜17:15",
                        url=DEMO_PLACEHOLDERS["city_url"]),
        districts=("中央地区", "北地区", "南地区", "東地区", "西地区", "島しょ地区"),
        placeholders=DEMO_PLACEHOLDERS,
        disaster_contact=Contact(desk="サンプル市災害対策本部", phone="0000-00-0119", hours="24時間"),
        auto_attach_after=3,  # the demo city learns from its residents (a real one switches it on in its YAML)
        consultation=True,
    )


def _parse_one(raw: Mapping[str, Any], base_dir: Path, env: Mapping[str, str], production: bool,
               where: str) -> MunicipalityConfig:
    slug = str(raw.get("slug", ""))
    if not SLUG_RE.match(slug):
        raise ConfigError(f"{where}: slug {slug!r} must be lowercase letters, digits or '-' (max 40).")
    for key in ("name", "channel_secret_env", "channel_access_token_env", "contact"):
        if key not in raw:
            raise ConfigError(f"{where} ({slug}): missing required key '{key}'.")
    contact = raw["contact"]
    if not isinstance(contact, Mapping) or not {"desk", "phone", "hours"} <= set(contact):
        raise ConfigError(f"{where} ({slug}): contact needs desk, phone and hours.")
    thresholds = Thresholds(**(raw.get("thresholds") or {}))
    disaster_contact = raw.get("disaster_contact")
    if disaster_contact is not None and (not isinstance(disaster_contact, Mapping) or
                                         not {"desk", "phone", "hours"} <= set(disaster_contact)):
        raise ConfigError(f"{where} ({slug}): disaster_contact needs desk, phone and hours.")

    def path_of(key: str) -> Path | None:
        value = raw.get(key)
        return (base_dir / value).resolve() if value else None

    return MunicipalityConfig(
        slug=slug,
        name=str(raw["name"]),
        channel_secret=_secret(env, str(raw["channel_secret_env"]), DEV_CHANNEL_SECRET + "-" + slug,
                               production, f"channel secret of {slug}"),
        channel_access_token=_secret(env, str(raw["channel_access_token_env"]), DEV_ACCESS_TOKEN + "-" + slug,
                                     production, f"channel access token of {slug}"),
        greeting=str(raw.get("greeting") or f"{raw['name']}公式LINEです。質問を文章で送ってください。"),
        contact=Contact(**{k: str(v) for k, v in contact.items()}),
        districts=tuple(str(d) for d in raw.get("districts") or ()),
        main_categories=tuple(str(c) for c in raw.get("main_categories") or DEFAULT_MAIN_CATEGORIES),
        placeholders={str(k): str(v) for k, v in (raw.get("placeholders") or {}).items()},
        synonyms_path=path_of("synonyms"),
        faq_pack_path=path_of("faq_pack"),
        thresholds=thresholds,
        group_policy=str(raw.get("group_policy", "mention")),
        topics=tuple(str(t) for t in raw.get("topics") or DEFAULT_TOPICS),
        disaster_contact=Contact(**{k: str(v) for k, v in disaster_contact.items()}) if disaster_contact else None,
        auto_attach_after=_auto_attach_after(raw.get("learning"), where, slug),
        consultation=_flag(raw, "consultation", where, slug),
    )


def _flag(raw: Mapping[str, Any], key: str, where: str, slug: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where} ({slug}): {key} must be true or false.")
    return value


def _auto_attach_after(learning: Any, where: str, slug: str) -> int:
    value = (learning or {}).get("auto_attach_after", 0) if isinstance(learning, Mapping) or learning is None else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where} ({slug}): learning.auto_attach_after must be a whole number of residents "
                          "(0 = off).")
    return value


def load_municipalities(path: Path, env: Mapping[str, str],
                        production: bool) -> tuple[dict[str, MunicipalityConfig], str]:
    """Parse the municipality YAML; return ``({slug: config}, default_slug)``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"MACHIMADO_CONFIG points to {path}, which does not exist.") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("municipalities"), list) \
            or not data["municipalities"]:
        raise ConfigError(f"{path}: expected a mapping with a non-empty 'municipalities' list.")
    result: dict[str, MunicipalityConfig] = {}
    for i, raw in enumerate(data["municipalities"]):
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{path}: municipalities[{i}] must be a mapping.")
        config = _parse_one(raw, path.parent, env, production, f"{path}: municipalities[{i}]")
        if config.slug in result:
            raise ConfigError(f"{path}: duplicate municipality slug {config.slug!r}.")
        result[config.slug] = config
    default_slug = str(data.get("default") or next(iter(result)))
    if default_slug not in result:
        raise ConfigError(f"{path}: default {default_slug!r} is not one of the municipalities.")
    return result, default_slug


def sync_municipalities(session: Session, configs: Mapping[str, MunicipalityConfig]) -> dict[str, int]:
    """Keep the municipalities table in step with the configuration: insert and rename the configured
    municipalities, return ``{slug: id}``. Never deletes data."""
    rows = {m.slug: m for m in session.scalars(select(Municipality))}
    for slug, config in configs.items():
        row = rows.get(slug)
        if row is None:
            row = Municipality(slug=slug, name=config.name)
            session.add(row)
            rows[slug] = row
        elif row.name != config.name:
            row.name = config.name
    session.flush()
    return {slug: rows[slug].id for slug in configs}
