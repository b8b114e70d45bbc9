"""A small Chrome DevTools Protocol client: one headless Chromium tab that cannot reach the network.

Chromium resolves no host name and sends every connection to a proxy that does not exist, so whatever a
page asks for outside its own files fails; the tab records every request the page makes, every console
error and every uncaught exception, so a test can say what a page tried to load and what went wrong.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import websocket

#: Debian's package: `make chromium` installs it.
EXECUTABLE = "chromium"
OFFLINE = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
START_TIMEOUT_S = 20
LOAD_TIMEOUT_S = 30


class BrowserError(RuntimeError):
    """Chromium did not start, a command failed or a page did not load in time."""


def find_chromium() -> str:
    """The Chromium executable, or a failure that says how to install it."""
    ruta = shutil.which(EXECUTABLE)
    if ruta is None:
        raise BrowserError(f"'{EXECUTABLE}' not found: the browser test needs Debian's chromium package "
                           "(`make chromium` installs it)")
    return ruta


class Tab:
    """One page of a headless Chromium started for it; use as a context manager."""

    def __init__(self, width: int = 1280, height: int = 900):
        self._dir = Path(tempfile.mkdtemp(prefix="chromium-"))
        self._process = _start(self._dir)
        self._ws = None
        self._next_id = 0
        self._session = None
        self._events: list[dict] = []
        try:
            self._open_tab(width, height)
        except BaseException:
            self.__exit__()
            raise

    def _open_tab(self, width: int, height: int) -> None:
        self._ws = websocket.create_connection(_devtools_url(self._dir, self._process), timeout=LOAD_TIMEOUT_S)
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Page.setLifecycleEventsEnabled", enabled=True)
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def __enter__(self) -> Tab:
        return self

    def __exit__(self, *exc) -> None:
        if self._ws:
            self._ws.close()
        self._process.terminate()
        self._process.wait(timeout=10)
        shutil.rmtree(self._dir, ignore_errors=True)

    # -- protocol ------------------------------------------------------------------------------------------
    def call(self, method: str, **params) -> dict:
        """Send one command (to the tab once attached) and return its result; events are kept meanwhile."""
        self._next_id += 1
        mensaje = {"id": self._next_id, "method": method, "params": params}
        if self._session:
            mensaje["sessionId"] = self._session
        self._ws.send(json.dumps(mensaje))
        while (respuesta := self._receive())["id"] != self._next_id:
            pass
        if "error" in respuesta:
            raise BrowserError(f"{method}: {respuesta['error']['message']}")
        return respuesta.get("result", {})

    def _receive(self) -> dict:
        """The next reply to a command; events received before it are kept in order."""
        while "id" not in (mensaje := json.loads(self._ws.recv())):
            self._events.append(mensaje)
        return mensaje

    def _wait_for_load(self, cargador: str, timeout: float) -> None:
        """Wait for the load event (frames included) of the navigation with this loader id."""
        fin = time.monotonic() + timeout
        while not any(e["method"] == "Page.lifecycleEvent" and e["params"]["name"] == "load"
                      and e["params"]["loaderId"] == cargador for e in self._events):
            if time.monotonic() > fin:
                raise BrowserError(f"the page did not load within {timeout:.0f} s")
            self._ws.settimeout(max(fin - time.monotonic(), 0.01))
            try:
                self._events.append(json.loads(self._ws.recv()))
            except websocket.WebSocketTimeoutException:
                pass
        self._ws.settimeout(LOAD_TIMEOUT_S)

    # -- pages ---------------------------------------------------------------------------------------------
    def open(self, url: str) -> None:
        """Load url and wait for its load event (frames included); earlier events are dropped."""
        self._events.clear()
        navegacion = self.call("Page.navigate", url=url)
        if "errorText" in navegacion:
            raise BrowserError(f"{url}: {navegacion['errorText']}")
        self._wait_for_load(navegacion["loaderId"], LOAD_TIMEOUT_S)

    def evaluate(self, expresion: str):
        """The value of a JavaScript expression in the page (awaited when it is a promise)."""
        resultado = self.call("Runtime.evaluate", expression=expresion, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in resultado:
            raise BrowserError(f"{expresion[:60]}...: {_exception_text(resultado['exceptionDetails'])}")
        return resultado["result"].get("value")

    def wait_until(self, expresion: str, timeout: float = LOAD_TIMEOUT_S) -> None:
        """Poll a JavaScript expression until it is truthy (what a page's scripts do after its load)."""
        fin = time.monotonic() + timeout
        while not self.evaluate(expresion):
            if time.monotonic() > fin:
                raise BrowserError(f"still false after {timeout:.0f} s: {expresion}")
            time.sleep(0.05)

    def requests(self) -> list[str]:
        """URLs the page requested since it was opened, in order."""
        return [e["params"]["request"]["url"] for e in self._events if e["method"] == "Network.requestWillBeSent"]

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors since the page was opened."""
        return [texto for e in self._events if (texto := _error_text(e))]

    def screenshot(self, destino: Path) -> Path:
        """A PNG of the whole page, not only the viewport."""
        tamano = self.call("Page.getLayoutMetrics")["cssContentSize"]
        recorte = {"x": 0, "y": 0, "width": tamano["width"], "height": tamano["height"], "scale": 1}
        datos = self.call("Page.captureScreenshot", format="png", clip=recorte, captureBeyondViewport=True)["data"]
        destino.parent.mkdir(parents=True, exist_ok=True)
        destino.write_bytes(base64.b64decode(datos))
        return destino


def _start(carpeta: Path) -> subprocess.Popen:
    argumentos = [find_chromium(), "--headless", "--remote-debugging-port=0", f"--user-data-dir={carpeta}",
                  "--no-first-run", "--disable-background-networking", "--hide-scrollbars", *OFFLINE]
    if os.geteuid() == 0:
        argumentos.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox (CI runs as root)
    with open(carpeta / "chromium.log", "w") as log:
        return subprocess.Popen([*argumentos, "about:blank"], stdout=log, stderr=log)


def _devtools_url(carpeta: Path, proceso: subprocess.Popen) -> str:
    """The browser's websocket, from the DevToolsActivePort file Chromium writes once it listens."""
    puerto = carpeta / "DevToolsActivePort"
    fin = time.monotonic() + START_TIMEOUT_S
    while not (puerto.is_file() and len(lineas := puerto.read_text().split()) == 2):
        if proceso.poll() is not None or time.monotonic() > fin:
            raise BrowserError(f"Chromium did not start: {(carpeta / 'chromium.log').read_text()[-2000:]}")
        time.sleep(0.05)
    return f"ws://127.0.0.1:{lineas[0]}{lineas[1]}"


def _error_text(evento: dict) -> str | None:
    metodo, p = evento["method"], evento.get("params", {})
    if metodo == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
        return "console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
    if metodo == "Runtime.exceptionThrown":
        return f"exception: {_exception_text(p['exceptionDetails'])}"
    if metodo == "Log.entryAdded" and p["entry"]["level"] == "error":
        return f"log: {p['entry']['text']} {p['entry'].get('url', '')}".strip()
    return None


def _exception_text(detalle: dict) -> str:
    return detalle.get("exception", {}).get("description", detalle["text"])
