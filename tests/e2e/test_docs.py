"""What the README says of Home Assistant's own screens, in the release users run."""

import json
from pathlib import Path

import hass_frontend

from scripts.harness import ROOT


def test_the_button_for_a_second_account_is_named_as_home_assistant_names_it() -> None:
    translations = Path(hass_frontend.where()) / "static/translations/config"
    (english,) = [
        path for path in translations.glob("en-*.json") if not path.name[3:4].isupper()
    ]
    labels = json.loads(english.read_text(encoding="utf-8"))
    add_service = labels["ui.panel.config.integrations.integration_page.add_service"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert f"*{add_service}*" in readme
