"""A small IMAP4rev1 server on loopback, for the bounce mailbox's tests: one folder of
messages, the commands `imaplib` sends to read it (LOGIN, EXAMINE, UID SEARCH, UID FETCH,
LOGOUT), and a record of the commands it was sent. Made here; no network but loopback."""

from __future__ import annotations

import email
import email.parser
import email.policy
import re
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class Mailbox:
    """The folder's messages (uid, arrival time, bytes), its UIDVALIDITY, the one login it
    takes, and the commands it was sent (tag dropped)."""

    user: str = "bounces@news.example"
    password: str = "mailbox-secret"
    validity: int = 7
    messages: list[tuple[int, datetime, bytes]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def add(self, when: datetime, raw: bytes) -> int:
        uid = (self.messages[-1][0] if self.messages else 0) + 1
        self.messages.append((uid, when, raw))
        return uid


def _uids(box: Mailbox, criteria: str) -> list[int]:
    found = re.fullmatch(r"UID (\d+):\*", criteria)
    if found:  # (as servers do, "n:*" names the last message even when its UID is below n)
        low = int(found.group(1))
        uids = [uid for uid, _, _ in box.messages if uid >= low]
        return uids or [box.messages[-1][0]] if box.messages else []
    found = re.fullmatch(r"SINCE (\d{1,2}-\w{3}-\d{4})", criteria)
    if found:
        since = datetime.strptime(found.group(1), "%d-%b-%Y").date()
        return [uid for uid, when, _ in box.messages if when.date() >= since]
    raise ValueError(criteria)


def _header_fields(raw: bytes, names: list[str]) -> bytes:
    message = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    lines = [f"{name}: {message[name]}" for name in names if message[name] is not None]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class _Handler(socketserver.StreamRequestHandler):
    box: Mailbox

    def send(self, text: str | bytes) -> None:
        self.wfile.write(text if isinstance(text, bytes) else text.encode())

    def handle(self) -> None:
        self.send("* OK test IMAP ready\r\n")
        while line := self.rfile.readline():
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            self.box.commands.append(rest)
            verb = command.upper()
            if verb == "CAPABILITY":
                self.send(f"* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n")
            elif verb == "LOGIN":
                user, password = (a.strip('"') for a in args.split(" ", 1))
                ok = (user, password) == (self.box.user, self.box.password)
                self.send(f"{tag} OK logged in\r\n" if ok else f"{tag} NO login refused\r\n")
            elif verb in ("EXAMINE", "SELECT"):
                self.send(
                    f"* {len(self.box.messages)} EXISTS\r\n"
                    f"* OK [UIDVALIDITY {self.box.validity}] valid\r\n"
                    f"* OK [UIDNEXT {self._next()}] next\r\n"
                    f"{tag} OK [READ-ONLY] done\r\n"
                )
            elif verb == "UID":
                self.uid(tag, args)
            elif verb == "LOGOUT":
                self.send(f"* BYE\r\n{tag} OK bye\r\n")
                return
            else:
                self.send(f"{tag} BAD unknown\r\n")

    def _next(self) -> int:
        return (self.box.messages[-1][0] if self.box.messages else 0) + 1

    def uid(self, tag: str, args: str) -> None:
        sub, _, rest = args.partition(" ")
        if sub.upper() == "SEARCH":
            found = " ".join(map(str, _uids(self.box, rest)))
            self.send(f"* SEARCH {found}\r\n{tag} OK done\r\n".replace("SEARCH \r", "SEARCH\r"))
            return
        numbers, _, items = rest.partition(" ")
        wanted = {int(n) for n in numbers.split(",")}
        for seq, (uid, when, raw) in enumerate(self.box.messages, 1):
            if uid not in wanted:
                continue
            if "HEADER.FIELDS" in items:
                names = re.search(r"HEADER\.FIELDS \(([^)]*)\)", items).group(1).split()  # type: ignore[union-attr]
                body = _header_fields(raw, names)
                stamp = when.strftime("%d-%b-%Y %H:%M:%S +0000")
                head = (
                    f'* {seq} FETCH (UID {uid} RFC822.SIZE {len(raw)} INTERNALDATE "{stamp}" '
                    f"BODY[HEADER.FIELDS ({' '.join(names)})] {{{len(body)}}}\r\n"
                )
            else:
                body = raw
                head = f"* {seq} FETCH (UID {uid} BODY[] {{{len(body)}}}\r\n"
            self.send(head.encode() + body + b")\r\n")
        self.send(f"{tag} OK done\r\n")


class _TLSServer(socketserver.ThreadingTCPServer):
    """Implicit TLS (IMAPS): each connection is wrapped as it is accepted."""

    tls: ssl.SSLContext

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        return self.tls.wrap_socket(sock, server_side=True), address


@contextmanager
def imap_server(box: Mailbox, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """Serve `box` on a free loopback port (yielded) until the block ends; over implicit
    TLS with the server context `tls`."""
    handler = type("Handler", (_Handler,), {"box": box})
    kind = socketserver.ThreadingTCPServer if tls is None else _TLSServer
    server = kind(("127.0.0.1", 0), handler)
    if tls is not None:
        server.tls = tls  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def today_at(hour: int, day: date | None = None) -> datetime:
    """A message's arrival time on `day` (default today), at `hour` UTC."""
    from datetime import UTC

    day = day or datetime.now(UTC).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
