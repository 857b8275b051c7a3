"""The process's limit of open files, raised at start to what the system lets it have.

systemd starts a service with a soft limit of 1,024 open files (its hard limit is far higher),
and a shell often does too. Every connection the web server holds is one, as is every fetch,
the database and its write-ahead log: a client that held ~1,000 idle connections left the
server answering no one, the poller failing every feed ("Too many open files"), and asyncio
logging the failed accept thousands of times a second. The soft limit is raised to the hard
one, at most `MOST`: enough that a client's connections, which a keep-alive of `web.KEEPALIVE`
seconds ends, cannot exhaust it. asyncio waits with epoll, which has no ceiling of its own.
"""

from __future__ import annotations

__all__ = ["MOST", "raise_open_files_limit"]

MOST = 65536  # open files a process asks for at most


def raise_open_files_limit(most: int = MOST) -> int:
    """Raise the soft limit of open files to the hard one (at most `most`); the limit now.
    A system without `resource` (or that refuses) keeps its limit."""
    try:
        import resource
    except ImportError:  # (not on every platform)
        return -1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = most if hard == resource.RLIM_INFINITY else min(hard, most)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            return soft
        return wanted
    return soft
