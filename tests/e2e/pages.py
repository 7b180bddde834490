"""Home Assistant's pages in Chromium, as a user sees and uses them.

Cards and dialogs live in shadow roots; the inspections below walk them. Playwright's
own locators pierce open shadow roots, so a field or a button is found by what a
user reads: its label, its text.
"""

from collections.abc import AsyncIterator, Sequence
import contextlib
import os
from pathlib import Path
import subprocess
from typing import Any

from playwright.async_api import Browser, Page, async_playwright
import pytest

from scripts.harness import CHROMIUM_ARGS, ROOT

# What the page inspections share: every element under a root, shadow roots
# included, and whether a box clips its text (narrower or lower than the text).
PAGE_HELPERS = """
  const deep = (root, found = []) => {
    for (const el of root.querySelectorAll("*")) {
      found.push(el);
      if (el.shadowRoot) deep(el.shadowRoot, found);
    }
    return found;
  };
  // Cut across (an ellipsis) or clamped to fewer lines than it needs.
  const isCut = (el) => {
    const style = getComputedStyle(el);
    const clips = style.textOverflow === "ellipsis" || style.overflow !== "visible";
    const clamped = style.webkitLineClamp !== "none" && style.webkitLineClamp !== "";
    return (clips && el.scrollWidth > el.clientWidth + 1)
      || (clamped && el.scrollHeight > el.clientHeight + 1);
  };
"""

# Every visible card's texts, whether each is cut off (its box narrower than its
# text) or outside its card, and where each card ends.
INSPECT_CARDS = (
    "() => {"
    + PAGE_HELPERS
    + """
  const textOf = (el) => deep(el, [el]).flatMap((node) =>
    [...node.childNodes, ...(node.shadowRoot ? node.shadowRoot.childNodes : [])]
      .filter((child) => child.nodeType === Node.TEXT_NODE)
      .map((child) => child.textContent.trim()).filter(Boolean)).join(" ");
  const cards = deep(document).filter(
    (el) => el.tagName === "HA-CARD" && el.checkVisibility());
  return cards.map((card) => {
    const box = card.getBoundingClientRect();
    const elements = deep(card, [card]).filter((el) => el.checkVisibility());
    const texts = elements.filter((el) => [...el.childNodes].some(
      (child) => child.nodeType === Node.TEXT_NODE && child.textContent.trim()));
    return {
      text: textOf(card),
      bottom: box.bottom,
      right: box.right,
      area: box.width * box.height,
      cut: elements.filter((el) => textOf(el) && isCut(el)).map(textOf),
      logbook: elements.some((el) => el.tagName.startsWith("HA-LOGBOOK")),
      outside: texts.filter((el) => {
        const r = el.getBoundingClientRect();
        return r.top < box.top - 1 || r.bottom > box.bottom + 1
          || r.left < box.left - 1 || r.right > box.right + 1;
      }).map(textOf),
    };
  });
}
"""
)

# Every label of an open flow dialog, cut (its box narrower than its text) or not.
INSPECT_DIALOG = (
    "() => {"
    + PAGE_HELPERS
    + """
  const flow = deep(document).find((el) => el.tagName === "DIALOG-DATA-ENTRY-FLOW");
  if (!flow) return null;
  const own = (el) => [
    ...el.childNodes, ...(el.shadowRoot ? el.shadowRoot.childNodes : []),
  ].filter((child) => child.nodeType === Node.TEXT_NODE)
    .map((child) => child.textContent.trim()).filter(Boolean).join(" ");
  // The dialog's own boxes: an element there with a size is shown.
  const shown = deep(flow.shadowRoot || flow, [flow]).filter((el) => {
    const box = el.getBoundingClientRect();
    const visible = getComputedStyle(el).visibility !== "hidden";
    return box.width > 0 && box.height > 0 && visible;
  });
  // Its shown text in reading order, an emphasised word in its place.
  const read = (node, found = []) => {
    for (const child of [
      ...(node.shadowRoot ? node.shadowRoot.childNodes : []), ...node.childNodes,
    ]) {
      if (child.nodeType === Node.TEXT_NODE) {
        if (shown.includes(child.parentElement)) found.push(child.textContent.trim());
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        read(child, found);
      }
    }
    return found;
  };
  return {
    text: read(flow).filter(Boolean).join(" | "),
    cut: shown.filter((el) => own(el) && isCut(el)).map(own),
  };
}
"""
)


def find_chromium() -> str:
    """The distribution's Chromium; without it, the command that installs it."""
    found = subprocess.run(  # noqa: S603
        [ROOT / "scripts" / "find-chromium"],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode:
        pytest.fail(found.stderr.strip(), pytrace=False)
    return found.stdout.strip()


@contextlib.asynccontextmanager
async def headless_chromium(
    args: Sequence[str] = CHROMIUM_ARGS,
) -> AsyncIterator[Browser]:
    """The distribution's Chromium, headless, closed when the block ends."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=find_chromium(), args=list(args)
        )
        try:
            yield browser
        finally:
            await browser.close()


async def logged_in_page(
    browser: Browser,
    url: str,
    login: tuple[str, str],
    size: tuple[int, int] = (1280, 900),
    locale: str = "en-US",
) -> Page:
    """A new page at ``url``, through Home Assistant's login form."""
    page = await browser.new_page(
        viewport={"width": size[0], "height": size[1]}, locale=locale
    )
    await page.goto(url)
    await page.locator("input[name=username]").fill(login[0])
    await page.locator("input[type=password]").fill(login[1])
    await page.locator("input[type=password]").press("Enter")
    await page.wait_for_timeout(5_000)
    return page


async def flow_dialog(page: Page, *, containing: str) -> dict[str, Any]:
    """The open flow dialog once it shows ``containing``: its text and cut labels."""
    found = None
    for _ in range(60):
        found = await page.evaluate(INSPECT_DIALOG)
        if found and containing in found["text"]:
            await page.wait_for_timeout(500)  # the rest of it draws
            shown: dict[str, Any] = await page.evaluate(INSPECT_DIALOG)
            return shown
        await page.wait_for_timeout(500)
    pytest.fail(f"no flow dialog showing {containing!r} on {page.url}: {found}")


def screenshot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: $DASHBOARD_SCREENSHOTS, else the test's tmp."""
    return Path(os.environ.get("DASHBOARD_SCREENSHOTS", tmp_path_factory.getbasetemp()))
