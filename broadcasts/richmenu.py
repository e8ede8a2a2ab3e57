"""Rich menus from YAML (with their images), deployed through the Messaging API, and disaster mode.

Deploying creates every menu, uploads its image, (re)creates an alias per menu and sets the default
(the disaster menu while disaster mode is on). The LINE ids are stored per municipality so switching
modes later needs no redeploy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from linebot.v3.messaging import ApiException, CreateRichMenuAliasRequest, RichMenuRequest
from sqlalchemy.orm import Session

from broadcasts.models import MunicipalityState
from line.client import LineClient

DEFAULT_SPEC = Path(__file__).with_name("data") / "richmenus.yaml"
REQUIRED_MENUS = ("normal", "disaster")


class RichMenuError(RuntimeError):
    pass


def load_spec(path: Path = DEFAULT_SPEC) -> dict[str, dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RichMenuError(f"{path}: cannot read rich menu spec: {exc}") from exc
    menus = data.get("menus") if isinstance(data, dict) else None
    if not isinstance(menus, dict) or not set(REQUIRED_MENUS) <= set(menus):
        raise RichMenuError(f"{path}: needs 'menus:' with {', '.join(REQUIRED_MENUS)}")
    for name, menu in menus.items():
        image = path.parent / str(menu.get("image", ""))
        if not image.is_file() or image.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise RichMenuError(f"{path}: menu {name!r}: image {image} is missing or not PNG/JPEG")
        if image.stat().st_size > 1024 * 1024:
            raise RichMenuError(f"{path}: menu {name!r}: image is over 1 MB (LINE's limit)")
        menu["_image_path"] = image
    return menus


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


def deploy(session: Session, municipality_id: int, client: LineClient, spec_path: Path = DEFAULT_SPEC
           ) -> dict[str, str]:
    menus = load_spec(spec_path)
    state = state_of(session, municipality_id)
    ids: dict[str, str] = {}
    try:
        for name, menu in menus.items():
            request = RichMenuRequest.from_dict({k: v for k, v in menu.items() if not k.startswith("_")
                                                 and k != "image"} | {"selected": False})
            menu_id = client.api.create_rich_menu(request).rich_menu_id
            image: Path = menu["_image_path"]
            content_type = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"
            client.blob.set_rich_menu_image(menu_id, image.read_bytes(), _headers={"Content-Type": content_type})
            ids[name] = menu_id
            try:
                client.api.delete_rich_menu_alias(name)
            except ApiException:
                pass
            client.api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id=name,
                                                                         rich_menu_id=menu_id))
        old = dict(state.rich_menus or {})
        state.rich_menus = ids
        apply_default(client, state)
        for menu_id in old.values():
            if menu_id not in ids.values():
                try:
                    client.api.delete_rich_menu(menu_id)
                except ApiException:
                    pass
    except ApiException as exc:
        raise RichMenuError(f"LINE rejected the rich menu: HTTP {exc.status} {exc.body!r}") from exc
    return ids


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
        return apply_default(client, state)
    except ApiException as exc:
        raise RichMenuError(f"mode saved, but LINE refused the menu switch: HTTP {exc.status}") from exc
