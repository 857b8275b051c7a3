"""The pages in a real browser: headless Chromium, driven over its DevTools protocol, at phone
width in light and dark mode. No page scrolls sideways, each says its language and has one
`h1`; in dark mode the search box is drawn dark; the story page's picture is not one Chromium
reports as lazily loaded in the first screen. Without Chromium (apt-get install chromium) this
is skipped."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from published import Instance, published_instance

CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)

LOOK = """JSON.stringify((() => {
  const root = document.documentElement, box = document.querySelector('input[type=search]');
  return {
    lang: root.lang, sideways: root.scrollWidth - root.clientWidth,
    h1: document.querySelectorAll('h1').length,
    box: box && getComputedStyle(box).backgroundColor,
    images: [...document.images].map(i => Math.round(i.getBoundingClientRect().top)),
  };
})())"""


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with published_instance(tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def devtools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A headless Chromium of its own profile; its DevTools address (http://127.0.0.1:PORT)."""
    assert CHROMIUM is not None
    profile = tmp_path_factory.mktemp("chromium")
    browser = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        for _ in range(300):
            if port_file.is_file() and port_file.read_text().strip():
                break
            if browser.poll() is not None:
                pytest.fail(f"Chromium exited ({browser.returncode}) before it listened")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        yield f"http://127.0.0.1:{port}"
    finally:
        browser.terminate()
        try:
            browser.wait(10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait(10)


class Tab:
    """One page of the browser, spoken to over its WebSocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.sent = 0
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.sent += 1
        await self.socket.send_json({"id": self.sent, "method": method, "params": params})
        while True:
            message = await self.socket.receive_json(timeout=30)
            if message.get("id") == self.sent:
                assert "error" not in message, message
                return dict(message.get("result", {}))
            self.events.append(message)

    async def look(self, url: str, dark: bool) -> dict[str, Any]:
        """`url` at phone width (360 px) in the colour scheme asked: what LOOK reads, and the
        codes of the issues Chromium reported while loading it."""
        scheme = "dark" if dark else "light"
        await self.call("Emulation.setEmulatedMedia", features=[
            {"name": "prefers-color-scheme", "value": scheme}
        ])  # fmt: skip
        self.events.clear()
        await self.call("Page.navigate", url=url)
        for _ in range(200):
            state = await self.call("Runtime.evaluate", expression="document.readyState")
            if state["result"]["value"] == "complete":
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # (the issues of a page's pictures come once they are placed)
        answer = await self.call("Runtime.evaluate", expression=LOOK)
        found = json.loads(answer["result"]["value"])
        found["issues"] = [
            event["params"]["issue"]["code"]
            for event in self.events
            if event.get("method") == "Audits.issueAdded"
        ]
        return dict(found)


async def _look_at(devtools: str, urls: list[str]) -> dict[tuple[str, bool], dict[str, Any]]:
    request = urllib.request.Request(f"{devtools}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(request, timeout=10) as response:
        target = json.loads(response.read())
    looks = {}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as socket,
    ):
        tab = Tab(socket)
        for domain in ("Page", "Runtime", "Audits"):
            await tab.call(f"{domain}.enable")
        await tab.call(
            "Emulation.setDeviceMetricsOverride",
            width=360, height=800, deviceScaleFactor=1, mobile=True,
        )  # fmt: skip
        for url in urls:
            for dark in (False, True):
                looks[url, dark] = await tab.look(url, dark)
    return looks


def _luminance(css_colour: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css_colour)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b  # (rough; enough to tell white from dark)


def test_pages_at_phone_width_light_and_dark(instance: Instance, devtools: str) -> None:
    with urllib.request.urlopen(instance.root + "/", timeout=10) as response:
        front = response.read().decode()
    story = re.search(r'href="(http://127\.0\.0\.1:\d+/stories/[^"]+)"', front)
    assert story is not None
    urls = [
        instance.root + "/",
        instance.root + "/world-news/",
        story.group(1),
        instance.root + "/sources/",
        instance.root + "/search?q=earthquake",
        instance.root + "/no-such-page/",
    ]
    looks = asyncio.run(_look_at(devtools, urls))
    for (url, dark), found in looks.items():
        where = f"{url} ({'dark' if dark else 'light'})"
        assert found["lang"] == "en", where
        assert found["sideways"] <= 0, where
        assert found["h1"] == 1, where
        if found["box"]:
            assert (_luminance(found["box"]) < 0.3) == dark, (where, found["box"])
        assert "LazyLoadImageIssue" not in found["issues"], where
    pictured = looks[story.group(1), False]["images"]
    assert pictured and pictured[0] < 800  # the story's picture, in the first screen
