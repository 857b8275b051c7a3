"""The `aggregator` command line: its parser, and `main`, which runs a command and turns
errors into exit statuses. The commands live by family in `cli_service` (run, poll, serve),
`cli_status`, `cli_outputs` (publish, digest), `cli_sources` (add, remove, import, export)
and `cli_tools` (backup, recover, restore, cluster, summarize)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__, collector
from .early_signals import SERVICES, StoppedStarting, held_while_starting, interrupt_as_usual
from .errors import AggregatorError, ConfigError, DatabaseUnusable
from .logs import FORMATS, LEVELS, setup_logging

# --db's help for the commands that edit the sources: the database only says whether a
# service runs on it (and so reads the edit), never written.
_SERVICE_DB = "the service's database, to tell whether it runs (default ./aggregator.db)"


def _common(
    parser: argparse.ArgumentParser,
    *,
    opml: bool = True,
    db: bool | str = True,
    config: bool = True,
) -> None:
    """The options a command uses (a command never accepts one it would ignore); `db` may be
    --db's own help."""
    if opml:
        parser.add_argument(
            "--opml",
            type=_given_path,
            default=Path("feeds.opml"),
            help="sources (default ./feeds.opml)",
        )
    if db:
        parser.add_argument(
            "--db",
            type=_given_path,
            default=Path("aggregator.db"),
            help=db if isinstance(db, str) else "database (default ./aggregator.db)",
        )
    if config:
        parser.add_argument(
            "--config", type=_given_path, default=None, help="optional TOML settings file"
        )
    _log_args(parser)


def _log_args(parser: argparse.ArgumentParser, *, quiet: bool = False, dest: str = "log") -> None:
    """--log-level and --log-format; `quiet` commands (whose output is their stdout) log
    warnings and errors only unless --log-level says otherwise. The program's own parser
    takes them too (`dest` "global_log"), so they may also come before the command."""
    parser.add_argument(
        "--log-level",
        dest=f"{dest}_level",
        default=None,
        type=str.upper,
        choices=LEVELS,
        help="DEBUG, INFO, WARNING (default) or ERROR"
        if quiet
        else "DEBUG, INFO (default), WARNING or ERROR; or set AGGREGATOR_LOG_LEVEL",
    )
    parser.add_argument(
        "--log-format",
        dest=f"{dest}_format",
        default=None,
        choices=FORMATS,
        help="text (default) or json (one object per line); or set AGGREGATOR_LOG_FORMAT",
    )
    if quiet:
        parser.set_defaults(quiet_log_level="WARNING")


def _ranged(value: str, kind: Callable[[str], float], section: str, key: str, what: str) -> float:
    """`value` read as `kind` within the range the settings' `[section] key` takes."""
    # Imported here: this module loads before `run` pauses the collector (see `run`).
    from .config import check_range

    try:
        number = kind(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {what}: {value!r}") from None
    try:
        check_range(section, key, number)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return number


def _port(value: str) -> int:
    return int(_ranged(value, int, "server", "port", "a port number"))


def _server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=None, help="listen port (default 8080)")


def _run(run: argparse.ArgumentParser) -> None:
    _common(run)
    _server_args(run)


def _poll(poll: argparse.ArgumentParser) -> None:
    _common(poll)
    poll.add_argument("--once", action="store_true", help="one pass over due feeds, then exit")
    poll.add_argument(
        "--all",
        action="store_true",
        help="with --once: poll every feed, ignoring the schedule (not a paused one, nor a "
        "site's that asked us to wait after a 429 or 503)",
    )


def _serve(serve: argparse.ArgumentParser) -> None:
    _common(serve, opml=False)
    _server_args(serve)


def _status(status: argparse.ArgumentParser) -> None:
    _common(status, opml=False)
    status.add_argument("--json", action="store_true", help="print JSON for scripts")
    status.add_argument(
        "--attention", action="store_true",
        help="only the feeds that need it: failing, gone, quiet for a week, publishing "
        "nothing, or paused",
    )  # fmt: skip


def _story(story: argparse.ArgumentParser) -> None:
    _common(story, opml=False, config=False)
    story.add_argument("ref", help="its id, its page's address, or the link of an item in it")
    story.add_argument("--json", action="store_true", help="print JSON for scripts")


def _subscribers(subscribers: argparse.ArgumentParser) -> None:
    _common(subscribers, opml=False)
    subscribers.add_argument("--category", default=None, help="only this category's")
    subscribers.add_argument(
        "--remove", metavar="ADDRESS", default=None, help="take this reader off (service stopped)"
    )
    subscribers.add_argument("--json", action="store_true", help="print JSON for scripts")
    subscribers.add_argument(
        "--read-bounces",
        action="store_true",
        help="read the digest's bounce mailbox now, as run does every hour (service stopped)",
    )


def _digest(digest: argparse.ArgumentParser) -> None:
    _common(digest)
    digest.add_argument("--category", required=True, help="category name, as in the OPML")
    mode = digest.add_mutually_exclusive_group()
    mode.add_argument("--send-now", action="store_true", help="send it now (records it as sent)")
    mode.add_argument("--dry-run", action="store_true", help="print the message; send nothing")


def _publish(publish: argparse.ArgumentParser) -> None:
    _common(publish, opml=False)
    publish.add_argument(
        "--output", type=_given_path, required=True, help="directory to write into"
    )


def _add(add: argparse.ArgumentParser) -> None:
    add.add_argument("url", help="a feed URL, or a web page whose feed is discovered")
    add.add_argument("--category", default=None, help="category outline (default Uncategorized)")
    add.add_argument("--title", default=None, help="name shown for the feed (default its title)")
    add.add_argument(
        "--exclude", default=None, metavar="REGEX",
        help="store none of its entries whose title, link, author or categories this matches",
    )  # fmt: skip
    add.add_argument(
        "--include", default=None, metavar="REGEX",
        help="store only its entries whose title, link, author or categories this matches",
    )  # fmt: skip
    add.add_argument(
        "--interval", default=None, metavar="DURATION",
        help='its own poll interval ("5m", "2h"; default [schedule] interval)',
    )  # fmt: skip
    add.add_argument(
        "--user-agent", default=None, metavar="UA",
        help="the User-Agent its requests send, for a site that turns ours away",
    )  # fmt: skip
    add.add_argument(
        "--cookie", default=None, metavar="NAME=VALUE",
        help='a Cookie its requests to its own site send ("a=1; b=2")',
    )  # fmt: skip
    add.add_argument(
        "--selector", default=None, metavar="CSS",
        help='the CSS selector of its article pages\' text ("article .story-body")',
    )  # fmt: skip
    add.add_argument(
        "--remove", default=None, metavar="CSS",
        help='the CSS selector of what its article pages\' text leaves out (".related, .ad")',
    )  # fmt: skip
    add.add_argument(
        "--timeout", type=_seconds, default=None, metavar="SECONDS",
        help="the most it waits for the site in all (default [fetch] total_timeout)",
    )  # fmt: skip
    _common(add, db=_SERVICE_DB)


def _seconds(value: str) -> float:
    """A number of seconds to wait, in the range `[fetch] total_timeout` takes."""
    return _ranged(value, float, "fetch", "total_timeout", "a number of seconds")


def _article(article: argparse.ArgumentParser) -> None:
    article.add_argument("url", help="an article page")
    article.add_argument(
        "--selector", default=None, metavar="CSS",
        help="read its text by this CSS selector, as a feed's OPML selector= would",
    )  # fmt: skip
    article.add_argument(
        "--remove", default=None, metavar="CSS",
        help="leave out what this CSS selector picks, as a feed's OPML remove= would",
    )  # fmt: skip
    article.add_argument(
        "--user-agent", default=None, metavar="UA",
        help="ask for it with this User-Agent, as a feed's OPML userAgent= would",
    )  # fmt: skip
    article.add_argument(
        "--config", type=_given_path, default=None, help="optional TOML settings file"
    )
    _log_args(article, quiet=True)


def _remove(remove: argparse.ArgumentParser) -> None:
    remove.add_argument("url", help="the feed URL, as listed (see `aggregator export`)")
    _common(remove, db=_SERVICE_DB, config=False)


def _check(check: argparse.ArgumentParser) -> None:
    _common(check, db=False)
    check.add_argument(
        "--db",
        type=_given_path,
        default=None,
        help="also check the withheld list's story ids and the digests' renamed categories "
        "against this database (read only)",
    )


def _import(merge: argparse.ArgumentParser) -> None:
    merge.add_argument(
        "file", type=_given_path, metavar="FILE.opml",
        help="another reader's OPML export; its feeds are merged in, categories kept",
    )  # fmt: skip
    # (settings: the site's own address, whose feeds are left out)
    _common(merge, db=_SERVICE_DB)


def _export(export: argparse.ArgumentParser) -> None:
    export.add_argument(
        "--output", type=_given_path, default=None, help="file to write (default stdout)"
    )
    _common(export, db=False, config=False)


def _backup(backup: argparse.ArgumentParser) -> None:
    backup.add_argument(
        "path",
        help="file to create, or a directory for a dated file (a new one when PATH ends in /)",
    )
    _common(backup, opml=False, config=False)


def _recover(recover: argparse.ArgumentParser) -> None:
    recover.add_argument("path", type=_given_path, help="the new database file to write")
    _common(recover, opml=False, config=False)


def _restore(restore: argparse.ArgumentParser) -> None:
    restore.add_argument(
        "path", type=_given_path, help="the backup (or recovered copy) to put in place"
    )
    _common(restore, opml=False, config=False)


def _compact(compact: argparse.ArgumentParser) -> None:
    _common(compact, opml=False, config=False)


def _cluster(cluster: argparse.ArgumentParser) -> None:
    cluster.add_argument(
        "input", type=_given_path, metavar="INPUT.jsonl", help="one item per line; - for stdin"
    )
    cluster.add_argument("--db", type=_given_path, default=None, help="keep the database here")
    cluster.add_argument(
        "--config", type=_given_path, default=None, help="optional TOML settings file"
    )
    _log_args(cluster, quiet=True)


def _summarize(batch: argparse.ArgumentParser) -> None:
    batch.add_argument(
        "input", type=_given_path, help="JSON lines: {id, items: [...]}; - for stdin"
    )
    batch.add_argument("--max-words", type=int, default=None, help="cap on a summary's words")
    batch.add_argument(
        "--config", type=_given_path, default=None, help="optional TOML settings file"
    )
    _log_args(batch, quiet=True)


# Every command, in the order `--help` lists them: its help line and its options.
PARSERS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "run": ("poll on schedule, publish and serve until stopped", _run),
    "poll": ("poll feeds (on schedule, or one pass with --once)", _poll),
    "serve": ("serve what is in the database", _serve),
    "status": ("one row per feed: state, errors, next poll", _status),
    "digest": (
        "a category's daily email: the stories it would send now and when it goes, the "
        "whole message (--dry-run), or send it now (--send-now)",
        _digest,
    ),
    "publish": ("write every feed and page as static files (only changed ones)", _publish),
    "add": ("add a feed (or the feed a web page points to) to the OPML", _add),
    "remove": ("remove a feed from the OPML (its items stay)", _remove),
    "check": ("check the OPML and the settings as the service would read them", _check),
    "article": ("what the article fetcher reads from a page (try a selector)", _article),
    "import": ("merge another reader's OPML export into the sources, categories kept", _import),
    "export": ("write the sources as OPML (stdout or --output)", _export),
    "backup": ("an online copy of the database (safe while the service runs)", _backup),
    "recover": ("copy what a damaged database still holds into a new file", _recover),
    "restore": ("put a backup in the place of the database (the service stopped)", _restore),
    "compact": ("give the database's free pages back to the disk (the service stopped)", _compact),
    "story": ("one story as stored: published or not, and every item in it", _story),
    "subscribers": (
        "readers who signed up for a daily email on the site; --remove one",
        _subscribers,
    ),
    "cluster": ("group a JSON-lines file of items into stories (no network)", _cluster),
    "summarize": ("summarise stories from a JSON-lines file (one story per line)", _summarize),
}


def _given_path(value: str) -> Path:
    """A path given on the command line (an empty one, a variable that was not set, had been
    read as the current directory: "./: cannot read OPML: Is a directory")."""
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty path (an unset variable?)")
    return Path(value)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, but an argument that starts as a negative number does (`-5m`,
    `-1e3`) is a value, not an option: `add URL --interval -5m` had said "expected one
    argument" where `--interval=-5m` says what is wrong with the duration. argparse takes
    only `-5` and `-0.5` so; no option here starts with a digit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str) -> NoReturn:
        """argparse's error, but a mistyped command is answered with the one it is closest
        to ("did you mean 'status'?"), not only with the list of all twenty."""
        super().error(_command_typo(message) or message)


def _command_typo(message: str) -> str | None:
    """For argparse's "invalid choice" of the command, the words naming the command meant;
    None when there is no close one (or the message is another)."""
    import difflib

    found = re.match(r"argument COMMAND: invalid choice: '([^']*)'", message)
    if found is None:
        return None
    close = difflib.get_close_matches(found[1], PARSERS, n=1)
    if not close:
        return None
    return f"no command {found[1]!r}: did you mean {close[0]!r}? (`aggregator --help` lists them)"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with `only` (a command's name), one that knows that command
    alone. Reading a command's arguments needs no other command's parser, and building all
    of them (fourteen then) was ~1% of the CPU of a `poll --once` whose feeds answer 304."""
    parser = _Parser(
        prog="aggregator",
        description="Poll news feeds, group them into stories, summarise and republish them.",
    )
    parser.add_argument("--version", action="version", version=f"aggregator {__version__}")
    _log_args(parser, dest="global_log")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, add_arguments) in PARSERS.items():
        if only is None or name == only:
            add_arguments(commands.add_parser(name, help=help_text, description=help_text))
    return parser


def _command_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """The parser of the command `name` (built by `build_parser`)."""
    for action in parser._actions:  # (argparse keeps its subparsers only here)
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[name]
            return found
    return parser


# The exit status of a database file no retry can use (see `failure_status`).
UNUSABLE_DATABASE = 3

# Each command's module is imported when that command runs: a cron `poll --once` loads
# neither the web server nor the grouping, summarising or publishing code it does not use.
COMMANDS = {
    "summarize": "cli_tools:cmd_summarize",
    "run": "cli_service:cmd_run",
    "poll": "cli_service:cmd_poll",
    "serve": "cli_service:cmd_serve",
    "status": "cli_status:cmd_status",
    "digest": "cli_outputs:cmd_digest",
    "publish": "cli_outputs:cmd_publish",
    "cluster": "cli_tools:cmd_cluster",
    "add": "cli_sources:cmd_add",
    "remove": "cli_sources:cmd_remove",
    "check": "cli_sources:cmd_check",
    "article": "cli_article:cmd_article",
    "import": "cli_sources:cmd_import",
    "export": "cli_sources:cmd_export",
    "backup": "cli_tools:cmd_backup",
    "recover": "cli_tools:cmd_recover",
    "restore": "cli_tools:cmd_restore",
    "compact": "cli_tools:cmd_compact",
    "story": "cli_story:cmd_story",
    "subscribers": "cli_subscribers:cmd_subscribers",
}


def command(name: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs command `name` (its module imported now)."""
    module, function = COMMANDS[name].split(":")
    run: Callable[[argparse.Namespace], int]
    run = getattr(importlib.import_module(f".{module}", __package__), function)
    return run


def _log_option(value: str | None, env_name: str, default: str, allowed: Sequence[str]) -> str:
    if value is not None:
        return value
    found = os.environ.get(env_name, "").strip()
    if not found:
        return default
    for option in allowed:
        if found.lower() == option.lower():
            return option
    raise ConfigError(f"{env_name}={found!r}: expected one of {', '.join(allowed)}")


# Set by `run`: the cyclic collector is off while the program starts (see `run`).
_collector_paused = False


def _resume_collector() -> None:
    """Start-up is over (the command's modules are loaded): what it built lives as long as the
    process, so it is frozen (never searched for cycles again) and the collector runs again.
    The cycles start-up left as garbage are frozen with it and never freed: ~2,300 objects,
    ~0.7 MB once `run`'s modules are in, a fixed cost (what is built later is collected)."""
    global _collector_paused
    if _collector_paused:
        _collector_paused = False
        gc.freeze()
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    # Led by a command's name, the arguments are that command's: only its parser is built.
    parser = build_parser(given[0] if given and given[0] in PARSERS else None)
    args = parser.parse_args(given)
    if args.command == "poll" and args.all and not args.once:  # (poll's usage, not all's)
        _command_parser(parser, "poll").error(
            "--all only applies to one pass: use `poll --once --all`"
        )
    try:
        interrupt_as_usual()  # (a Ctrl-C from here on is the KeyboardInterrupt caught below)
        # The command's own option, then one given before the command, then its default.
        level = args.log_level or args.global_log_level or getattr(args, "quiet_log_level", None)
        setup_logging(
            _log_option(level, "AGGREGATOR_LOG_LEVEL", "INFO", LEVELS),
            _log_option(
                args.log_format or args.global_log_format, "AGGREGATOR_LOG_FORMAT", "text", FORMATS
            ),
        )
        with held_while_starting() if args.command in SERVICES else contextlib.nullcontext():
            handler = command(args.command)
            _resume_collector()
            return handler(args)
    except StoppedStarting as exc:  # (a SIGTERM while it waited to start: a clean stop)
        import logging

        logging.getLogger("aggregator").info("%s", exc)
        return 0
    except ConfigError as exc:
        print(f"aggregator: configuration error: {exc}", file=sys.stderr)
        return 2
    except AggregatorError as exc:
        print(f"aggregator: error: {database_error(exc, str(exc), args)}", file=sys.stderr)
        return failure_status(exc)
    except sqlite3.DatabaseError as exc:  # a read that met a fault of the storage
        from .store_db import storage_fault

        if (fault := storage_fault(exc)) is None:
            raise
        print(f"aggregator: error: {database_error(exc, fault, args)}", file=sys.stderr)
        return failure_status(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `aggregator status | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a file, or the output, it could not read or write: one line
        import logging

        logging.getLogger("aggregator").debug("the error's traceback", exc_info=exc)
        where = f"{exc.filename}: " if exc.filename else "cannot write its output: "
        print(f"aggregator: error: {where}{exc.strerror or exc}", file=sys.stderr)
        with contextlib.suppress(OSError):  # (nothing more is written there at exit)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def failure_status(exc: BaseException) -> int:
    """3 when the database file cannot be used as it is (damaged, or a newer version's), which
    no retry changes (the unit's RestartPreventExitStatus names it); 1 for any other error."""
    from .damage import is_damaged

    found: BaseException | None = exc
    for _ in range(8):  # (the errors that wrap one another: a handful)
        if found is None:
            break
        if isinstance(found, DatabaseUnusable):
            return UNUSABLE_DATABASE
        found = found.__cause__
    return UNUSABLE_DATABASE if is_damaged(exc) else 1


def database_error(exc: BaseException, message: str, args: argparse.Namespace) -> str:
    """`message`; when `exc` is a fault of the database's storage (a full disk, a damaged
    file), which database, and when the file is damaged, what to do."""
    from .damage import ADVICE, is_damaged
    from .store_db import storage_fault_in

    damaged = is_damaged(exc)
    if not damaged and storage_fault_in(exc) is None:
        return message
    where = str(getattr(args, "db", "") or "")
    named = message if not where or message.startswith(where) else f"{where}: {message}"
    return f"{named}; {ADVICE}" if damaged else named


def run(argv: Sequence[str] | None = None) -> None:
    """The `aggregator` program (and `python -m aggregator`): `main`, then exit with its status.

    What is still alive at exit is freed with the process, so it is frozen first: the
    interpreter's final searches for reference cycles then skip it (about 40 ms of every run,
    a tenth of a `poll --once` that finds nothing new). Objects freed by reference counting,
    atexit handlers and the flushing of stdout and stderr are as before; only the finalizers
    of objects left in reference cycles at exit are not run, which Python never promised.

    Start-up runs with the collector off: loading the modules a command needs creates tens
    of thousands of objects that all live as long as the process, and the collector's passes
    over them while they load were ~12 ms of a `poll --once` whose feeds answer 304. It is
    back on (those objects frozen) before the command does any work (`_resume_collector`).
    """
    global _collector_paused
    collector.program = True
    collecting = gc.isenabled()
    gc.disable()
    _collector_paused = collecting
    try:
        code = main(argv)
    finally:  # (an argument error exits before any command is loaded)
        _collector_paused = False
        if collecting:
            gc.enable()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
