"""Rich menus from YAML (with their images), deployed through the Messaging API, and disaster mode.

Deploying creates every menu, uploads its image, (re)creates an alias per menu and sets the default
(the disaster menu while disaster mode is on). The LINE ids are stored per municipality so switching
modes later needs no redeploy.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml
from linebot.v3.messaging import (
    ApiException,
    CreateRichMenuAliasRequest,
    RichMenuBulkLinkRequest,
    RichMenuBulkUnlinkRequest,
    RichMenuRequest,
)
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from broadcasts.models import MunicipalityState
from core import i18n
from core.models import Follower
from line.client import LineClient

DEFAULT_SPEC = Path(__file__).with_name("data") / "richmenus.yaml"
REQUIRED_MENUS = ("normal", "disaster")
ALIAS_OK = re.compile(r"[^a-z0-9_-]")
log = logging.getLogger(__name__)


class RichMenuError(RuntimeError):
    pass


def menu_key(name: str, language: str = i18n.JA) -> str:
    """How a menu is known in the stored ids: ``normal``, ``disaster``, ``large`` (Japanese), ``normal@en``…"""
    return name if language == i18n.JA else f"{name}@{language}"


def alias_of(key: str) -> str:
    """LINE's rich menu aliases allow [a-z0-9_-]: ``normal@zh-Hant`` -> ``normal-zh-hant``."""
    return ALIAS_OK.sub("-", key.lower())[:32]


def _request(name: str, layout: dict[str, Any], menu: dict[str, Any], where: str) -> dict[str, Any]:
    """A LINE rich menu (request body) from a menu's compact areas: [picture, label, action, sub-line], laid out
    in ``layout``'s grid; an action ``tel:…`` becomes a URI button, anything else a message it sends."""
    columns, rows = int(layout["columns"]), int(layout["rows"])
    width, height = int(layout["width"]), int(layout["height"])
    areas = menu.get("areas")
    if not isinstance(areas, list) or len(areas) != columns * rows or not all(
            isinstance(a, list) and len(a) == 4 and all(isinstance(x, str) for x in a) for a in areas):
        raise RichMenuError(f"{where}: needs {columns * rows} areas of [picture, label, action, sub-line]")
    cell_w, cell_h = width // columns, height // rows
    out = []
    for i, (_, label, action, _) in enumerate(areas):
        x, y = (i % columns) * cell_w, (i // columns) * cell_h
        bounds = {"x": x, "y": y, "width": width - x if i % columns == columns - 1 else cell_w,
                  "height": height - y if i // columns == rows - 1 else cell_h}
        act = {"type": "uri", "label": label[:20], "uri": action} if action.startswith("tel:") else \
            {"type": "message", "label": label[:20], "text": action}
        out.append({"bounds": bounds, "action": act})
    return {"size": {"width": width, "height": height}, "selected": False, "name": f"machimado {name}"[:300],
            "chatBarText": str(menu.get("chatBarText") or "メニュー")[:14], "areas": out}


def load_spec(path: Path = DEFAULT_SPEC) -> dict[str, dict[str, Any]]:
    """Every menu in every language: key (``menu_key``) -> LINE request body plus ``_image_path``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RichMenuError(f"{path}: cannot read rich menu spec: {exc}") from exc
    languages = data.get("menus") if isinstance(data, dict) else None
    layouts = data.get("layouts") if isinstance(data, dict) else None
    if not isinstance(languages, dict) or not isinstance(layouts, dict) or \
            not set(REQUIRED_MENUS) <= set(languages.get(i18n.JA) or {}):
        raise RichMenuError(f"{path}: needs 'layouts:' and 'menus:' with ja: {', '.join(REQUIRED_MENUS)}")
    out: dict[str, dict[str, Any]] = {}
    for language, menus in languages.items():
        if language not in i18n.LANGUAGES:
            raise RichMenuError(f"{path}: unknown language {language!r}")
        for name, menu in (menus or {}).items():
            if name not in layouts:
                raise RichMenuError(f"{path}: menu {name!r} has no layout")
            key = menu_key(name, language)
            body = _request(key, layouts[name], menu, f"{path}: {key}")
            image = path.parent / f"richmenu-{name}{'' if language == i18n.JA else '-' + language}.png"
            if not image.is_file():
                raise RichMenuError(f"{path}: menu {key!r}: image {image.name} is missing "
                                    "(scripts/make_richmenu_images.py draws it)")
            if image.stat().st_size > 1024 * 1024:
                raise RichMenuError(f"{path}: menu {key!r}: image is over 1 MB (LINE's limit)")
            out[key] = {**body, "_image_path": image}
    return out


def current_disaster(session: Session, municipality_id: int) -> str | None:
    """While disaster mode is on, the kind of disaster ('' when staff did not name one); None when it is off.
    The one reader of the switch for the conversation (fallbacks lead with emergencies, shelters by kind)."""
    state = session.get(MunicipalityState, municipality_id)
    return (state.disaster_type or "") if state and state.disaster_mode else None


def state_of(session: Session, municipality_id: int) -> MunicipalityState:
    state = session.get(MunicipalityState, municipality_id)
    if state is None:
        state = MunicipalityState(municipality_id=municipality_id, rich_menus={})
        session.add(state)
        session.flush()
    return state


def deploy(session: Session, municipality_id: int, client: LineClient, spec_path: Path = DEFAULT_SPEC,
           phone: str = "", disaster_phone: str = "") -> dict[str, str]:
    """Create every menu (each language), upload its picture, (re)create its alias, set the default and link the
    residents who read another language or asked for large buttons. ``phone``: the main desk's number, which
    the large menu's 電話で聞く button calls (required when the spec has such a button); ``disaster_phone``: the
    災害対策本部's, which the large disaster menu calls (the main desk's when the municipality has none)."""
    menus = load_spec(spec_path)
    state = state_of(session, municipality_id)
    ids: dict[str, str] = {}
    digits = "".join(c for c in phone if c.isdigit() or c == "+")
    disaster_digits = "".join(c for c in disaster_phone if c.isdigit() or c == "+") or digits
    try:
        for key, menu in menus.items():
            body = {k: v for k, v in menu.items() if not k.startswith("_")}
            for area in body["areas"]:
                if area["action"]["type"] == "uri":
                    if not digits:
                        raise RichMenuError(f"menu {key!r} calls the main desk: the municipality has no phone number")
                    area["action"]["uri"] = area["action"]["uri"].replace("{phone}", digits) \
                        .replace("{disaster_phone}", disaster_digits)
            menu_id = client.api.create_rich_menu(RichMenuRequest.from_dict(body)).rich_menu_id
            image: Path = menu["_image_path"]
            client.blob.set_rich_menu_image(menu_id, image.read_bytes(), _headers={"Content-Type": "image/png"})
            ids[key] = menu_id
            alias = alias_of(key)
            try:
                client.api.delete_rich_menu_alias(alias)
            except ApiException:
                pass
            client.api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id=alias,
                                                                         rich_menu_id=menu_id))
        old = dict(state.rich_menus or {})
        state.rich_menus = ids
        apply_default(client, state)
        relink_residents(session, municipality_id, client, state)
        for menu_id in old.values():
            if menu_id not in ids.values():
                try:
                    client.api.delete_rich_menu(menu_id)
                except ApiException:
                    pass
    except ApiException as exc:
        raise RichMenuError(f"LINE rejected the rich menu: HTTP {exc.status} {exc.body!r}") from exc
    return ids


def menu_for(state: MunicipalityState, language: str | None, large: bool = False) -> str | None:
    """The menu a resident should see: disaster while disaster mode is on, else large or normal, in their
    language (a mixed one reads やさしい日本語); None when menus were never deployed."""
    ids = state.rich_menus or {}
    name = ("large_disaster" if large and "large_disaster" in ids else "disaster") if state.disaster_mode \
        else ("large" if large else "normal")
    code = i18n.best(language, (c for c in i18n.LANGUAGES if menu_key(name, c) in ids))
    return ids[menu_key(name, code)] if code else ids.get(name)


def is_default(state: MunicipalityState, menu_id: str | None) -> bool:
    return menu_id == (state.rich_menus or {}).get("disaster" if state.disaster_mode else "normal")


def link_resident(session: Session, municipality_id: int, client: LineClient, user_id: str,
                  language: str | None, large: bool = False) -> str | None:
    """Show this resident the menu in their language (or the large one); the default menu is not linked, so
    switching modes moves them with everyone else. A LINE refusal is logged: the chat still works."""
    state = session.get(MunicipalityState, municipality_id)
    if state is None or not state.rich_menus:
        return None
    menu_id = menu_for(state, language, large)
    try:
        if menu_id is None or is_default(state, menu_id):
            client.api.unlink_rich_menu_id_from_user(user_id)
        else:
            client.api.link_rich_menu_id_to_user(user_id, menu_id)
    except Exception as exc:  # noqa: BLE001 - the menu is a convenience; never fail the resident's message
        log.warning("rich menu link failed: %s", type(exc).__name__)
    return menu_id


def relink_residents(session: Session, municipality_id: int, client: LineClient,
                     state: MunicipalityState | None = None) -> int:
    """After a deploy or a mode switch: every resident with a menu of their own (another language, large buttons)
    is linked again, 500 per request (LINE's bulk link). Returns how many were linked."""
    state = state or session.get(MunicipalityState, municipality_id)
    if state is None or not state.rich_menus:
        return 0
    rows = session.execute(select(Follower.line_user_id, Follower.language, Follower.menu).where(
        Follower.municipality_id == municipality_id, Follower.status == "following",
        or_(and_(Follower.language.is_not(None), Follower.language != i18n.JA), Follower.menu == "large"))).all()
    groups: dict[str, list[str]] = {}
    to_default: list[str] = []
    for user_id, language, menu in rows:
        menu_id = menu_for(state, language, menu == "large")
        if menu_id and not is_default(state, menu_id):
            groups.setdefault(menu_id, []).append(user_id)
        else:  # their own menu's link would hide the default (a large-button resident kept the normal large menu
            to_default.append(user_id)  # through a disaster, #26): unlinked, they see the default
    done = 0
    for menu_id, users in groups.items():
        for start in range(0, len(users), 500):
            client.api.link_rich_menu_id_to_users(RichMenuBulkLinkRequest(rich_menu_id=menu_id,
                                                                          user_ids=users[start:start + 500]))
            done += len(users[start:start + 500])
    for start in range(0, len(to_default), 500):
        client.api.unlink_rich_menu_id_from_users(RichMenuBulkUnlinkRequest(user_ids=to_default[start:start + 500]))
        done += len(to_default[start:start + 500])
    return done


def apply_default(client: LineClient, state: MunicipalityState) -> str | None:
    menu_id = (state.rich_menus or {}).get("disaster" if state.disaster_mode else "normal")
    if menu_id:
        client.api.set_default_rich_menu(menu_id)
    return menu_id


def set_disaster_mode(session: Session, municipality_id: int, client: LineClient, on: bool,
                      disaster_type: str = "") -> str | None:
    """Switch disaster mode; returns the rich menu now shown (None when menus were never deployed)."""
    state = state_of(session, municipality_id)
    state.disaster_mode = on
    state.disaster_type = disaster_type if on else ""
    try:
        shown = apply_default(client, state)
        relink_residents(session, municipality_id, client, state)
        return shown
    except ApiException as exc:
        raise RichMenuError(f"mode saved, but LINE refused the menu switch: HTTP {exc.status}") from exc
