"""Rich menus in every language and with large buttons (#15): deployed together, linked per resident, moved
with everyone when disaster mode switches; every button sends words the bot understands."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.conversation import intent_of
from bot.handlers import MENU_WORDS
from bot.texts import words
from broadcasts.richmenu import alias_of, load_spec, menu_key
from cli.main import main
from core import i18n
from core.models import Follower
from search.normalize import fold
from tests.helpers import body_of, event_of, post_webhook, text_event

USER = "U" + "7" * 32
COMMANDS = MENU_WORDS | words("notices") | words("settings") | words("emergency") | words("shelter") | \
    words("contact") | words("gomi_area") | words("report") | words("large") | {fold("Language / 言語").replace(" ", "")}


def test_every_menu_exists_in_every_language_and_every_button_is_a_command() -> None:
    spec = load_spec()
    for language in i18n.LANGUAGES:
        for name in ("normal", "disaster", "large", "large_disaster"):
            menu = spec[menu_key(name, language)]
            assert menu["_image_path"].stat().st_size < 1024 * 1024
            for area in menu["areas"]:
                action = area["action"]
                if action["type"] == "uri":
                    assert (action["uri"], name) in (("tel:{phone}", "large"), ("tel:{disaster_phone}", "large_disaster"))
                else:
                    assert fold(action["text"]).replace(" ", "") in COMMANDS, (language, name, action["text"])
                    assert intent_of(action["text"]) is None
    assert alias_of("normal@zh-Hant") == "normal-zh-hant"


@pytest.fixture
def deployed(app, fake_line):
    result = CliRunner().invoke(main, ["richmenu", "deploy"])
    assert result.exit_code == 0, result.output
    return fake_line.rich_menu_aliases


def test_a_resident_gets_the_menu_in_their_language_and_large_buttons_on_request(app, client, fake_line, deployed):
    fake_line.profiles[USER] = {"userId": USER, "displayName": "Ana", "language": "pt-BR"}
    post_webhook(client, body_of(event_of("follow", USER)))
    assert fake_line.user_rich_menus[USER] == deployed["normal-pt"]

    post_webhook(client, body_of(text_event("menu grande", USER)))
    assert "botões grandes" in fake_line.calls_to("reply")[-1]["body"]["messages"][0]["text"]
    assert fake_line.user_rich_menus[USER] == deployed["large-pt"]
    large = next(m for m in fake_line.rich_menus.values() if m.get("richMenuId") == deployed["large-pt"]
                 or m.get("name") == "machimado large@pt")
    assert {"type": "uri", "label": "Ligar", "uri": "tel:0000000000"} in [a["action"] for a in large["areas"]]

    post_webhook(client, body_of(event_of("postback", USER, postback={"data": "action=language&code=ja"})))
    assert fake_line.user_rich_menus[USER] == deployed["large"]  # Japanese, still large
    post_webhook(client, body_of(text_event("ふつうのメニュー", USER)))
    assert USER not in fake_line.user_rich_menus  # the default menu: moves with disaster mode like everyone's


def test_disaster_mode_moves_residents_with_their_own_menu_to_the_disaster_menu_in_their_language(
        app, client, fake_line, deployed):
    fake_line.profiles[USER] = {"userId": USER, "displayName": "Minh", "language": "vi"}
    post_webhook(client, body_of(event_of("follow", USER)))
    assert fake_line.user_rich_menus[USER] == deployed["normal-vi"]
    assert CliRunner().invoke(main, ["disaster", "on"]).exit_code == 0
    assert fake_line.default_rich_menu == deployed["disaster"]
    assert fake_line.user_rich_menus[USER] == deployed["disaster-vi"]
    assert CliRunner().invoke(main, ["disaster", "off"]).exit_code == 0
    assert fake_line.user_rich_menus[USER] == deployed["normal-vi"]
    with app.extensions["machimado"].sessions() as session:
        assert session.scalar(select(Follower.language).where(Follower.line_user_id == USER)) == "vi"


def test_large_button_residents_get_the_large_disaster_menu_that_calls_the_disaster_desk(
        app, client, fake_line, deployed):
    """#26 (3): a resident on the large-button menu kept it through a disaster, its 電話で聞く calling the main desk."""
    for user, language in ((USER, "ja"), ("U" + "8" * 32, "pt-BR")):
        fake_line.profiles[user] = {"userId": user, "displayName": "x", "language": language}
        post_webhook(client, body_of(event_of("follow", user)))
        post_webhook(client, body_of(text_event("大きな文字", user)))
    assert fake_line.user_rich_menus[USER] == deployed["large"]
    assert CliRunner().invoke(main, ["disaster", "on"]).exit_code == 0
    assert fake_line.user_rich_menus[USER] == deployed["large_disaster"]
    assert fake_line.user_rich_menus["U" + "8" * 32] == deployed["large_disaster-pt"]
    menu = next(m for m in fake_line.rich_menus.values() if m.get("richMenuId") == deployed["large_disaster"])
    assert {"type": "uri", "label": "災害対策本部", "uri": "tel:0000000119"} in [a["action"] for a in menu["areas"]]
    assert CliRunner().invoke(main, ["disaster", "off"]).exit_code == 0
    assert fake_line.user_rich_menus[USER] == deployed["large"]
