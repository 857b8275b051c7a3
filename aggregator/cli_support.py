"""What the command families share: settings, the listen address, databases opened for
reading, and the digest's start-up checks."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import socket
from pathlib import Path

from .config import Settings, bounce_password, load_settings, smtp_password, unread_variables
from .errors import ConfigError, StorageError
from .publish_settings import PublishSettings
from .store import Reader, Store, check_existing

log = logging.getLogger("aggregator")


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings file named by `--config` (if any), then `AGGREGATOR_*` variables (one
    that names no section is warned of: a misspelling would be ignored)."""
    settings = load_settings(args.config, os.environ)
    for name in unread_variables(settings, os.environ):
        sections = ", ".join(f.name for f in dataclasses.fields(settings))
        log.warning(
            "%s is no setting (AGGREGATOR_<SECTION>_<KEY>, the sections: %s); ignored",
            name,
            sections,
        )
    return settings


def listen_on(args: argparse.Namespace, settings: Settings) -> tuple[str, int, Settings]:
    """Where to listen (also put in the settings' `[server]`); without a configured public
    base URL, links point at that address."""
    host = args.host or settings.server.host
    port = args.port if args.port is not None else settings.server.port
    if port == 0:
        port = _free_port(host)
    # (the address it listens at, as the settings say it: the site's own, never a source)
    server = dataclasses.replace(settings.server, host=host, port=port)
    settings = dataclasses.replace(settings, server=server)
    if settings.publish.base_url == PublishSettings().base_url:
        every_interface = host in ("", "0.0.0.0", "::")
        shown = "127.0.0.1" if every_interface else host
        shown = f"[{shown}]" if ":" in shown else shown
        publish = dataclasses.replace(
            settings.publish, base_url=f"http://{shown}:{port}/", listen_base_url=True
        )
        settings = dataclasses.replace(settings, publish=publish)
        if every_interface:  # other machines reach it by a name of its own
            log.warning(
                "listening on every interface, but publish.base_url is not set: published links "
                "point at %s, which opens only on this machine; set publish.base_url (or "
                "AGGREGATOR_PUBLISH_BASE_URL) to the address readers use",
                publish.base_url,
            )
    return host, port, settings


def _schema(path: Path) -> tuple[int, int] | None:
    """How many of this version's migrations the database at `path` lacks, and how many it
    has that this version does not know (read only; None when it cannot be read so, and the
    writing open says why)."""
    import sqlite3

    from .migrations import migrations
    from .store_db import open_connection

    try:
        conn = open_connection(path, readonly=True)
    except StorageError:
        return None
    try:
        pending, unknown = migrations.state(conn)
    except sqlite3.Error:  # (damaged: the writing open says so, exit 3)
        return None
    finally:
        conn.close()
    return len(pending), len(unknown)


def _free_port(host: str) -> int:
    """A port free on `host` now, for port 0 ("any free port"). The number is fixed before the
    server binds, because the links it publishes are made from it: the server had listened on
    a port of the kernel's choosing while logging and linking ":0"."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            return int(probe.getsockname()[1])
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:0: {exc.strerror or exc}") from exc


def no_server_there(host: str, port: int) -> None:
    """ConfigError when another server listens on `host`:`port` already, said before `run`
    opens its database: it had made a new database and synced the sources into it (a feed of
    the site's own address dropped) before its server met the port taken. A host given by name
    is left to the server's own bind; so is any other problem (its message says it)."""
    import errno
    import ipaddress

    try:
        address = ipaddress.ip_address(host or "0.0.0.0")
    except ValueError:
        return
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        probe = socket.socket(family, socket.SOCK_STREAM)
    except OSError:  # (no IPv6 here: the server's bind says so)
        return
    with probe:
        try:
            # (as the server binds: a port a closed connection left in TIME_WAIT is free)
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # "::" as written is every IPv6 and IPv4 address (`web.dual_stack_socket`);
                # any other IPv6 host, "::0" too, is bound by asyncio for IPv6 alone
                only = 0 if host == "::" else 1
                with contextlib.suppress(OSError):
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, only)
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return
            where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            raise ConfigError(
                f"cannot listen on {where}: {os.strerror(exc.errno)}: another server listens "
                "there; stop it, or choose another --port"
            ) from exc


def digest_ready(settings: Settings) -> str | None:
    """Before sending digests: their links need a public base URL, their login a password,
    and a bounce mailbox its own password (`bounce_password`: checked here, read by `run`)."""
    digest = settings.digest
    if (any(digest.recipients.values()) or digest.self_service) and not (
        settings.publish.public_base_url
    ):
        why = "has recipients" if any(digest.recipients.values()) else "takes sign-ups"
        raise ConfigError(
            f"[digest] {why}, so set [publish] base_url to the site's public URL: "
            "digest emails link to story pages there"
        )
    bounce_password(settings.digest, os.environ)
    return smtp_password(settings.digest, os.environ)


def open_for_reading(path: Path, *, upgrade: bool = True) -> tuple[Store | None, Reader]:
    """An existing database, its schema brought up to date when it can be written; a
    read-only one is still read. Never creates a database from a typo'd path. One whose
    schema is this version's is read without opening it for writing: `status` or `story`
    beside a service in the middle of a write had waited 30 s for it, then failed "locked".

    Without `upgrade` (a command that only looks: `status`, `story`, `subscribers`) an
    earlier version's database is not brought up to date: StorageError says so. A newly
    installed version's `status` had migrated the database of the service still running
    the old one, which then refused it at its next start (exit 3, not restarted)."""
    check_existing(path)
    schema = _schema(path)
    if schema == (0, 0):
        return None, Reader(str(path))
    if not upgrade and schema is not None and schema[0] and not schema[1]:
        raise StorageError(
            f"{path}: written by an earlier version of aggregator ({schema[0]} schema "
            "changes to make): this command only reads; `aggregator run` or `poll --once` "
            "of this version brings it up to date"
        )
    try:
        store = Store(path)
    except StorageError as exc:
        if "read-only" not in str(exc):
            raise
        log.warning("%s; reading it as it is", exc)
        return None, Reader(str(path))
    return store, store.reader()
