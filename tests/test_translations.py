"""Every text the code can show exists in every shipped language."""

import ast
from datetime import UTC, datetime
from decimal import Decimal
import itertools
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers.translation import async_get_translations
import pytest
import yaml

from custom_components.deepseek_balance import config_flow
from custom_components.deepseek_balance.account import ApiStatus, DeepSeekData
from custom_components.deepseek_balance.activity import Activity, ActivityKind
from custom_components.deepseek_balance.api import Balance
from custom_components.deepseek_balance.binary_sensor import BINARY_SENSORS
from custom_components.deepseek_balance.const import DOMAIN
from custom_components.deepseek_balance.event import BALANCE_ACTIVITY
from custom_components.deepseek_balance.history import SpendFigures
from custom_components.deepseek_balance.sensor import (
    API_STATUS_SENSOR,
    CURRENCY_SENSORS,
    RATE_LIMIT_SENSORS,
)

COMPONENT = Path(config_flow.__file__).parent
LANGUAGES = sorted(path.stem for path in (COMPONENT / "translations").glob("*.json"))
SHIPPED = [
    "de", "en", "es", "fr", "it", "ja", "nl", "pl", "pt-BR", "ru", "zh-Hans", "zh-Hant",
]  # fmt: skip
FLOW_SCHEMAS = {
    ("config", "user"): config_flow.credentials_schema(
        key_required=True, base_url="", show_base_url=False
    ),
    ("config", "environment_key"): config_flow.credentials_schema(
        key_required=False, base_url="", show_base_url=False
    ),
    ("config", "reauth_confirm"): config_flow.credentials_schema(
        key_required=True, base_url="", show_base_url=False
    ),
    ("config", "reconfigure"): config_flow.credentials_schema(
        key_required=False, base_url="", show_base_url=False
    ),
    ("options", "init"): config_flow.options_schema("CNY", ["CNY", "USD"]),
}
# hassfest's own pattern (script/hassfest/translations.py, RE_URL).
HASSFEST_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
# Reasons Home Assistant's flow helpers abort with on the integration's behalf.
IMPLIED_ABORTS = {"already_configured", "reauth_successful", "reconfigure_successful"}

type Key = tuple[str, ...]


def leaves(tree: dict[str, Any], prefix: Key = ()) -> dict[Key, str]:
    found: dict[Key, str] = {}
    for name, value in tree.items():
        if isinstance(value, dict):
            found |= leaves(value, (*prefix, name))
        else:
            found[(*prefix, name)] = value
    return found


def translations(language: str) -> dict[Key, str]:
    path = COMPONENT / "translations" / f"{language}.json"
    return leaves(json.loads(path.read_text(encoding="utf-8")))


def source(name: str) -> str:
    return (COMPONENT / name).read_text(encoding="utf-8")


def entity_keys() -> set[Key]:
    keys = {
        ("entity", "sensor", str(d.translation_key), "name")
        for d in (*CURRENCY_SENSORS, *RATE_LIMIT_SENSORS, API_STATUS_SENSOR)
    }
    keys |= {
        ("entity", "sensor", d.translation_key_one_currency, "name")
        for d in CURRENCY_SENSORS
        if d.translation_key_one_currency
    }
    keys |= {("entity", "sensor", "api_status", "state", s.value) for s in ApiStatus}
    # Counts without a unit of their own take it from the translations.
    keys |= {
        ("entity", "sensor", str(d.translation_key), "unit_of_measurement")
        for d in RATE_LIMIT_SENSORS
        if d.native_unit_of_measurement is None
    }
    keys |= {
        ("entity", "binary_sensor", str(d.translation_key), "name")
        for d in BINARY_SENSORS
    }
    keys |= {  # the attributes a sensor carries have names, by either name
        ("entity", platform, key, "state_attributes", name, "name")
        for platform, d, attributes in attribute_names()
        for key in (d.translation_key, getattr(d, "translation_key_one_currency", None))
        if key
        for name in attributes
    }
    # Without a device class, "On" and "Off" would say nothing; a problem's
    # "Problem" and "OK" would not say which: words of their own.
    keys |= {
        ("entity", "binary_sensor", str(d.translation_key), "state", state)
        for d in BINARY_SENSORS
        if d.device_class is None or d.key == "over_budget"
        for state in ("on", "off")
    }
    activity: Key = ("entity", "event", str(BALANCE_ACTIVITY.translation_key))
    keys.add((*activity, "name"))
    keys |= {
        (*activity, "state_attributes", "event_type", "state", kind.value)
        for kind in ActivityKind
    }
    keys |= {  # every attribute an event carries has a name
        (*activity, "state_attributes", attribute, "name")
        for kind in ActivityKind
        for attribute in Activity(kind).attributes
    }
    return keys


def attribute_names() -> list[tuple[str, Any, list[str]]]:
    """Each sensor's own attributes, read from a poll of a month's figures."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    figures = SpendFigures(
        Decimal(1), now, None, None, Decimal(1), now, now, None, first_estimate_at=now
    )
    data = DeepSeekData(
        balance=Balance(is_available=True, balances=()),
        rate_limits=None,
        spend={"CNY": figures},
        low_balance=False,
        funded_currency="CNY",
    )
    found = [
        ("sensor", d, list(attributes))
        for d in CURRENCY_SENSORS
        if (attributes := d.attributes_fn(data, "CNY"))
    ]
    found += [
        ("binary_sensor", d, list(attributes))
        for d in BINARY_SENSORS
        if (attributes := d.attributes_fn(data))
    ]
    return found


def exception_keys() -> set[Key]:
    """Literal keys, plus every failure's: a failure is keyed by its API status."""
    literal = re.compile(r'translation_domain=DOMAIN,\s*translation_key="(\w+)"')
    keys = {
        key
        for path in COMPONENT.glob("*.py")
        for key in literal.findall(path.read_text(encoding="utf-8"))
    }
    # A failed poll's status is its error's key; a successful poll has no error.
    keys |= set(ApiStatus) - {
        ApiStatus.OK,
        ApiStatus.ACCOUNT_UNAVAILABLE,
        ApiStatus.UNREADABLE_BALANCE,
    }
    return {("exceptions", str(key), "message") for key in keys}


def issue_keys() -> set[Key]:
    """Keys of every ``async_create_issue`` call, title and description."""
    found = set()
    for path in COMPONENT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "async_create_issue"
            ):
                found |= {
                    keyword.value.value
                    for keyword in node.keywords
                    if keyword.arg == "translation_key"
                    and isinstance(keyword.value, ast.Constant)
                }
    return {("issues", key, part) for key in found for part in ("title", "description")}


def service_keys() -> set[Key]:
    """Each action's name and description, and each of its fields'."""
    actions = yaml.safe_load(source("services.yaml"))
    keys: set[Key] = set()
    for action, spec in actions.items():
        keys |= {("services", action, "name"), ("services", action, "description")}
        keys |= {
            ("services", action, "fields", field, part)
            for field in spec["fields"]
            for part in ("name", "description")
        }
    return keys


def system_health_keys() -> set[Key]:
    """The labels system health shows: the string keys of its info."""
    tree = ast.parse(source("system_health.py"))
    labels = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[a-z_]+", node.value)
    }
    return {("system_health", "info", label) for label in labels}


def flow_field_keys() -> set[Key]:
    keys: set[Key] = set()
    for (flow, step), schema in FLOW_SCHEMAS.items():
        keys.add((flow, "step", step, "title"))
        for marker, value in schema.schema.items():
            if isinstance(value, section):
                base: Key = (flow, "step", step, "sections", str(marker))
                keys.add((*base, "name"))
                fields = [(base, str(inner)) for inner in value.schema.schema]
            else:
                fields = [((flow, "step", step), str(marker))]
            for where, field in fields:
                keys |= {(*where, "data", field), (*where, "data_description", field)}
    return keys


def flow_error_keys() -> set[Key]:
    """Error keys are the strings the flow's check returns second in a tuple."""
    tree = ast.parse(source("config_flow.py"))
    return {
        ("config", "error", node.value.elts[1].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Return)
        and isinstance(node.value, ast.Tuple)
        and len(node.value.elts) == 2
        and isinstance(node.value.elts[1], ast.Constant)
        and isinstance(node.value.elts[1].value, str)
    }


def options_error_keys() -> set[Key]:
    """The options flow's errors: one for each kind of range."""
    return {
        ("options", "error", bounds.error)
        for bounds in config_flow.OPTION_RANGES.values()
    }


def flow_abort_keys() -> set[Key]:
    reasons = set(re.findall(r'reason="(\w+)"', source("config_flow.py")))
    return {("config", "abort", reason) for reason in reasons | IMPLIED_ABORTS}


def test_every_step_of_the_flows_is_checked() -> None:
    """Every step that shows a form; reauth only leads to reauth_confirm."""
    steps = set(re.findall(r"async def async_step_(\w+)", source("config_flow.py")))

    assert steps - {"reauth"} == {step for _, step in FLOW_SCHEMAS}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_translation_carries_a_url(language: str) -> None:
    """The rule of hassfest: URLs go into placeholders that the code fills."""
    with_url = {
        ".".join(key): text
        for key, text in translations(language).items()
        if HASSFEST_URL.search(text)
    }

    assert with_url == {}


def test_the_checks_find_what_the_code_uses() -> None:
    """Guard the collectors themselves, so an empty set cannot pass silently."""
    assert {key[2] for key in flow_error_keys()} == {
        "invalid_auth",
        "cannot_connect",
        "invalid_url",
        "unknown",
    }
    assert {key[1] for key in exception_keys()} == {
        "auth_failed",
        "rate_limited",
        "connection_error",
        "api_error",
        "invalid_url",
        "no_api_key",
        "end_before_start",
        "start_too_old",
    }
    assert {key[2] for key in system_health_keys()} == {
        "can_reach_server",
        "loaded_accounts",
    }
    assert {key[1] for key in issue_keys()} == {
        "account_unavailable",
        "duplicate_entry",
    }


def descriptions() -> set[Key]:
    """Texts a form may show without the code naming them: step and section blurbs."""
    keys: set[Key] = set()
    for (flow, step), schema in FLOW_SCHEMAS.items():
        keys.add((flow, "step", step, "description"))
        keys |= {
            (flow, "step", step, "sections", str(marker), "description")
            for marker, value in schema.schema.items()
            if isinstance(value, section)
        }
    return keys


def test_no_translation_is_left_unused() -> None:
    """Every text in the language file is one the code can show."""
    used = (
        entity_keys()
        | exception_keys()
        | flow_field_keys()
        | flow_error_keys()
        | options_error_keys()
        | flow_abort_keys()
        | issue_keys()
        | service_keys()
        | system_health_keys()
        | descriptions()
    )

    unused = sorted(".".join(key) for key in translations("en").keys() - used)

    assert unused == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_used_key_is_translated(language: str) -> None:
    texts = translations(language)
    used = (
        entity_keys()
        | exception_keys()
        | flow_field_keys()
        | flow_error_keys()
        | options_error_keys()
        | flow_abort_keys()
        | issue_keys()
        | service_keys()
        | system_health_keys()
    )

    missing = sorted(".".join(key) for key in used - texts.keys())

    assert missing == []
    assert all(texts[key].strip() for key in used)


def test_the_languages_of_home_assistants_largest_communities_are_shipped() -> None:
    assert LANGUAGES == SHIPPED


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_a_language_has_englishs_keys_and_placeholders(language: str) -> None:
    english, other = translations("en"), translations(language)

    assert list(other) == list(english)  # the same keys, in the same order
    for key, text in english.items():
        placeholders = sorted(re.findall(r"{(\w+)}", text))
        assert placeholders == sorted(re.findall(r"{(\w+)}", other[key])), key


# Strings a language may leave as in English: names, codes and units, and words
# the language shares with English.
SAME_AS_ENGLISH = {
    "DeepSeek Balance",
    "OK",
    "Budget",  # German, Dutch, French, Italian
    "tokens",  # Dutch, Spanish, Brazilian Portuguese: HA's own word for them
}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_no_string_is_left_in_english(language: str) -> None:
    english, other = translations("en"), translations(language)

    left = {
        ".".join(key): text
        for key, text in other.items()
        if text == english[key] and text not in SAME_AS_ENGLISH
    }

    assert left == {}


def test_no_key_references_in_a_custom_integration() -> None:
    """Custom integrations get no strings.json resolution: texts must be whole."""
    for language in LANGUAGES:
        assert not any("[%key:" in text for text in translations(language).values())


def test_every_entity_and_action_has_an_icon() -> None:
    icons = json.loads(source("icons.json"))
    for _, platform, key, *_ in entity_keys():
        assert "default" in icons["entity"][platform][key], f"{platform}.{key}"
    for action in yaml.safe_load(source("services.yaml")):
        # Home Assistant reads the shorthand as {"service": icon}.
        assert icons["services"][action].startswith("mdi:"), action


# What fills each placeholder at run time, in its most common form.
SAMPLES = {
    "title": "DeepSeek ••••1a2b",
    "name": "DeepSeek ••••1a2b",
    "other_title": "DeepSeek ••••9c8d",
    "url": "https://platform.deepseek.com/top_up",
    "api_keys_url": "https://platform.deepseek.com/api_keys",
    "default_base_url": "https://api.deepseek.com",
    "key_end": "7f3a",
    "error": "Unexpected answer (HTTP 500)",
    "currency": "CNY",
    "seconds": "120",
    "min_interval": "30",
    "max_interval": "3600",
    "max_amount": "1\u202f000\u202f000\u202f000",
    "max_days": "365",
    "start_date": "2026-11-20",
    "end_date": "2026-11-19",
    "oldest": "2026-09-19",
}
WORD = re.compile(r"\w{3,}")  # letters, digits and _, or a run of CJK characters


def words(text: str) -> list[str]:
    """The words of a text, without the URLs in it."""
    return WORD.findall(re.sub(r"\w+://\S*", " ", text).lower())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_reads_right_with_its_placeholders_filled(language: str) -> None:
    """No word doubled by what fills a placeholder, nothing glued to one.

    "DeepSeek account {title}" reads "DeepSeek account DeepSeek ••••1a2b"; a URL
    followed by a full-width stop takes the stop into the link.
    """
    doubled, glued = [], []
    for key, text in translations(language).items():
        name = ".".join(key)
        rendered = text.format(**SAMPLES)
        found = words(rendered)
        doubled += [  # digits repeat in a number: "1 000 000"
            (name, word)
            for word, after in itertools.pairwise(found)
            if word == after and not word.isdigit()
        ]
        for match in re.finditer(r"{(\w+)}", text):
            value = words(SAMPLES[match[1]])
            # The template's own words beside it, other placeholders left out.
            before = words(re.sub(r"{\w+}", " ", text[: match.start()]))[-2:]
            after = words(re.sub(r"{\w+}", " ", text[match.end() :]))[:2]
            if value and (value[0] in before or value[-1] in after):
                doubled.append((name, match[0]))
            following = text[match.end() : match.end() + 1]
            url = match[1].endswith("url")
            if following and (
                re.match(r"\w", following)
                or (url and not re.match(r"[\s.,;:!?)]", following))
            ):
                glued.append((name, match[0] + following))

    assert doubled == []
    assert glued == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_reauth_and_reconfigure_end_with_the_integrations_own_words(
    hass: HomeAssistant, language: str
) -> None:
    """The frontend shows ``component.<domain>.config.abort.<reason>``, if any."""
    loaded = await async_get_translations(hass, language, "config", {DOMAIN})
    own = translations(language)

    for reason in ("reauth_successful", "reconfigure_successful"):
        shown = loaded[f"component.{DOMAIN}.config.abort.{reason}"]
        assert shown == own[("config", "abort", reason)]
