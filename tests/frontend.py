"""A flow form as Home Assistant's frontend handles it, over the HTTP API.

The frontend does not post what a test posts: it fills a form from the serialised
schema (``computeInitialHaFormData``), lets the user type over it, refuses to send
a form with a required field left empty ("Not all required fields are filled
in."), and drops empty fields from what it sends (``step-flow-form``'s
``_submitStep``, home-assistant/frontend). These helpers do the same, so a test
submits exactly what pressing Submit would.
"""

from typing import Any

from aiohttp.test_utils import TestClient

FLOW_URL = "/api/config/config_entries/flow"
OPTIONS_FLOW_URL = "/api/config/config_entries/options/flow"


def initial_data(schema: list[dict[str, Any]]) -> dict[str, Any]:
    """What the form holds before anything is typed.

    A field's suggested value, else its default; a section without a default of
    its own is filled from its fields. A required text field starts empty.
    """
    data: dict[str, Any] = {}
    for field in schema:
        suggested = (field.get("description") or {}).get("suggested_value")
        if suggested is not None:
            data[field["name"]] = suggested
        elif "default" in field:
            data[field["name"]] = field["default"]
        elif field.get("type") == "expandable":
            inner = initial_data(field["schema"])
            if field.get("required") or inner:
                data[field["name"]] = inner
        elif field.get("required") and "text" in field.get("selector", {}):
            data[field["name"]] = ""
    return data


def all_required_filled(schema: list[dict[str, Any]], data: dict[str, Any]) -> bool:
    """Whether the frontend lets the form go: no required field empty."""
    for field in schema:
        value = data.get(field["name"])
        if field.get("required") and value in ("", None):
            return False
        if (
            field.get("type") == "expandable"
            and value is not None
            and not all_required_filled(field["schema"], value)
        ):
            return False
    return True


class FormNotSentError(AssertionError):
    """The frontend would not send the form: a required field is empty."""


async def press_submit(
    client: TestClient, form: dict[str, Any], typed: dict[str, Any], *, url: str
) -> dict[str, Any]:
    """Type ``typed`` over the form's initial data and press Submit.

    ``typed`` may hold a section's fields under the section's name; they replace
    the section's fields one by one, as typing into them does.
    """
    schema = form["data_schema"]
    data = initial_data(schema)
    for name, value in typed.items():
        if isinstance(value, dict):
            data[name] = {**data.get(name, {}), **value}
        else:
            data[name] = value
    if not all_required_filled(schema, data):
        raise FormNotSentError(f"Not all required fields are filled in: {data}")
    sent = {name: value for name, value in data.items() if value not in ("", None)}
    response = await client.post(f"{url}/{form['flow_id']}", json=sent)
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def open_form(client: TestClient, url: str, **body: str) -> dict[str, Any]:
    """Open a flow as its dialog does: "Add integration", reconfigure, options.

    A flow Home Assistant started itself (re-authentication) is opened with
    ``url`` naming it and no ``body``.
    """
    response = await (client.post(url, json=body) if body else client.get(url))
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result
