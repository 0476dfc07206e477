"""The portal on uvicorn in a background thread of this process: for `spr demo` and the real-browser tests,
which drive it from the same process (and the same clock)."""

import threading
import time

import uvicorn
from fastapi import FastAPI

from notifications.dev_mail_server import free_port


class PortalThread:
    """Serves `app` on loopback (a free port unless given) while the `with` block runs."""

    def __init__(self, app: FastAPI, port: int | None = None, host: str = "127.0.0.1"):
        self.port = port or free_port(host)
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="spr-portal", daemon=True)

    def __enter__(self) -> "PortalThread":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the portal did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
