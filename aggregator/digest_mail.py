"""Composing a category's daily digest as a multipart email (the standard `email` package). Pure.

The plain-text and HTML parts carry the same stories, links and sources. The HTML uses inline
styles only (mail clients drop <style> blocks and block remote content), no images or
scripts, and one narrow column that reads on a phone. Every link is absolute: story pages,
the category page, the subscribe page and the sources' own http(s) URLs.
"""

from __future__ import annotations

import hashlib
import html
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, parseaddr
from urllib.parse import quote

from .digest import DigestSettings, Pick
from .mail_tags import signed_id
from .models import Story
from .publish import (
    ENGLISH,
    PublishSettings,
    based_on,
    category_url,
    headline,
    listed_sources,
    ours_in,
    outlet_count,
    page_language,
    source_label,
    story_language,
    story_url,
    subscribe_url,
    text_direction,
)
from .publish import clean as _clean
from .publish import safe_url as _safe_url
from .site_words import Words
from .slugs import slugify
from .text_wrap import wrap

WIDTH = 76  # text part line width, in columns (a Chinese character is two: `text_wrap`)


def human_day(day: date, words: Words = ENGLISH) -> str:
    """ "February 12, 2025", in the site's words."""
    return words.date(datetime(day.year, day.month, day.day))


def _one_line(text: str) -> str:
    return " ".join(_clean(text).split())


def subject(category: str, picks: Sequence[Pick], day: date, words: Words = ENGLISH) -> str:
    """ "<Category>: <top headline> and N more — <date>"."""
    top = _one_line(headline(picks[0].story, words)) if picks else words("digest_empty")
    fields = {"name": _one_line(category), "headline": top, "date": human_day(day, words)}
    if len(picks) > 1:
        return words("digest_subject_more", n=len(picks) - 1, **fields)
    return words("digest_subject", **fields)


def _domain(settings: DigestSettings) -> str:
    address = parseaddr(settings.from_address)[1]
    return address.rpartition("@")[2].lower() or "localhost"


def message_id(
    category: str,
    day: date,
    picks: Sequence[Pick],
    settings: DigestSettings,
    address: str = "",
    key: bytes = b"",
) -> str:
    """Stable for the same stories: a retry of one digest repeats its Message-ID, so a
    mailbox that already got it can drop the copy. A subscriber's own copy (`address`) has
    its own. Signed with the site's `key` (`mail_tags`: a bounce counts against the address
    only when it quotes it), when given."""
    content = "\n".join(f"{p.story.id}:{p.story.version}" for p in picks)
    mine = f"\n{address}" if address else ""  # (the list's own as it always was)
    digest = hashlib.sha256(f"{category}\n{content}{mine}".encode()).hexdigest()[:12]
    local = f"{day:%Y%m%d}.{slugify(category)}.{digest}"
    if key:
        return signed_id(key, local, _domain(settings), address)
    return f"<{local}@{_domain(settings)}>"


@dataclass(frozen=True, slots=True)
class Personal:
    """A reader who subscribed on the site (`signup`): their copy is addressed to them and
    carries their own link to unsubscribe at once (`leave_url`)."""

    address: str
    leave_url: str


def _when(story: Story, settings: DigestSettings, words: Words) -> str:
    local = story.updated.astimezone(settings.zone)
    return f"{words.day_month(local)}, {local:%H:%M} {local.tzname()}"


def _sources(story: Story, words: Words = ENGLISH) -> tuple[list[tuple[int, str, str | None]], str]:
    """The sources listed as on the story's page: (number, label, safe URL or None) for the
    first ten and every one a bullet cites ("CNN (Live) — Storm hits coast"), and the line
    for the rest ("… and 3 more sources.")."""
    if story.summary is None:
        return [], ""
    shown, rest = listed_sources(story.summary, words=words)
    every = story.summary.sources
    rows = [(n + 1, _one_line(source_label(s, every, words)), _safe_url(s.url)) for n, s in shown]
    return rows, rest


def _count(story: Story, words: Words) -> str:
    """The meta line's "3 sources" (distinct outlets, as on pages)."""
    return words.count("sources", outlet_count(story))


# --- plain text -----------------------------------------------------------------------------


def _text_story(number: int, pick: Pick, settings: DigestSettings, publish: PublishSettings) -> str:
    story, words = pick.story, publish.words
    title = _one_line(headline(story, words))
    if pick.updated:
        title = f"{words('digest_updated')}{words('colon')} {title}"
    # (everything under the headline starts where its text does: "10. " is wider than "9. ")
    pad = " " * len(f"{number}. ")
    lines = wrap(f"{number}. {title}", WIDTH, subsequent_indent=pad)
    lines.append(f"{pad}{_when(story, settings, words)} · {_count(story, words)}")
    bullets = story.summary.bullets if story.summary else ()
    lines += [""] if bullets else []
    for bullet in bullets:
        refs = "".join(f"[{i + 1}]" for i in dict.fromkeys(bullet.sources))
        text = f"{_one_line(bullet.text)} {refs}".rstrip()
        lines += wrap(text, WIDTH, initial_indent=f"{pad}- ", subsequent_indent=f"{pad}  ")
    if story.summary is not None:  # "Summary based on 4 sources (5 reports)", as on pages
        lines += ["", f"{pad}{based_on(story.summary, words)}{words('colon')}"]
    sources, rest = _sources(story, words)
    for n, label, url in sources:
        lines += wrap(f"[{n}] {label}", WIDTH, initial_indent=pad, subsequent_indent=f"{pad}    ")
        if url:
            lines.append(f"{pad}    {url}")
    if rest:
        lines.append(f"{pad}{rest}")
    lines.append("")
    lines.append(f"{pad}{words('digest_read')}{words('colon')} {story_url(story, publish)}")
    return "\n".join(lines)


def _footer_lines(
    category: str,
    settings: DigestSettings,
    publish: PublishSettings,
    personal: Personal | None = None,
) -> list[str]:
    slug = slugify(category)
    words = publish.words
    site, name = _one_line(publish.site_title), _one_line(category)
    if personal is not None:
        return [
            words("digest_why_self", site=site, name=name),
            words("digest_leave_self", url=personal.leave_url),
        ]
    return [
        words("digest_why", site=site, name=name),
        words("digest_leave", address=settings.contact_email, url=subscribe_url(slug, publish)),
    ]


def text_part(
    category: str,
    picks: Sequence[Pick],
    day: date,
    settings: DigestSettings,
    publish: PublishSettings,
    personal: Personal | None = None,
) -> str:
    name = _one_line(category)
    parts = [
        publish.words("digest_heading", name=name, date=human_day(day, publish.words)),
        category_url(slugify(category), publish),
    ]
    parts += [_text_story(n, pick, settings, publish) for n, pick in enumerate(picks, 1)]
    lines = _footer_lines(category, settings, publish, personal)
    # (a link is never cut: it goes on a line of its own when it is longer than one)
    footer = [textwrap.fill(line, WIDTH, break_long_words=False, break_on_hyphens=False)
              for line in lines]  # fmt: skip
    parts.append("-- \n" + "\n".join(footer))
    return "\n\n".join(parts) + "\n"


# --- HTML -------------------------------------------------------------------------------------

_FONT = "font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif"
_LINK = "color:#0645ad;text-decoration:underline"
_MUTED = "color:#555555;font-size:14px"


def _esc(text: str) -> str:
    return html.escape(_one_line(text), quote=True)


def _a(url: str | None, text: str, style: str = _LINK) -> str:
    """A link around already-escaped text, only for an absolute http(s) URL."""
    safe = _safe_url(url)
    if safe is None:
        return text
    return f'<a href="{html.escape(safe, quote=True)}" style="{style}">{text}</a>'


def _html_story(pick: Pick, settings: DigestSettings, publish: PublishSettings) -> str:
    story, words = pick.story, publish.words
    url = story_url(story, publish)
    badge = (
        '<span style="background:#fff3cd;color:#6b4e00;font-size:12px;padding:1px 6px;'
        f'border-radius:3px;font-weight:normal">{words("digest_updated")}</span> '
        if pick.updated
        else ""
    )
    title = _a(url, _esc(headline(story, words)), "color:#111111;text-decoration:none")
    # The story in its own language and direction, our words in theirs (as on its page): an
    # Arabic story had been drawn left to right, its "[1]" and full stop at the wrong end.
    language = story_language(story, publish)
    ours = ours_in(language, publish)
    out = [
        f'<div lang="{html.escape(language, quote=True)}" dir="{text_direction(language)}" '
        'style="border-top:1px solid #dddddd;padding:16px 0">',
        f'<h2 style="font-size:19px;line-height:1.3;margin:0 0 4px 0">{badge}{title}</h2>',
        f'<p{ours} style="{_MUTED};margin:0 0 8px 0">{_esc(_when(story, settings, words))} · '
        f"{_count(story, words)}</p>",
    ]
    cited = story.summary.sources if story.summary else ()
    bullets = story.summary.bullets if story.summary else ()
    if bullets:
        out.append('<ul style="margin:0 0 8px 0;padding-left:20px;padding-right:20px">')
        for bullet in bullets:
            refs = "".join(
                _a(cited[i].url, f"[{i + 1}]")
                for i in dict.fromkeys(bullet.sources)
                if 0 <= i < len(cited)
            )
            out.append(f'<li dir="auto" style="margin:4px 0">{_esc(bullet.text)} {refs}</li>')
        out.append("</ul>")
    if story.summary is not None:
        note = html.escape(based_on(story.summary, words))
        out.append(f'<p{ours} style="{_MUTED};margin:8px 0 4px 0">{note}{words("colon")}</p>')
    sources, rest = _sources(story, words)
    if sources:
        items, previous = [], 0
        for number, label, link in sources:
            value = f' value="{number}"' if number != previous + 1 else ""  # "[23]" finds it
            items.append(
                f'<li{value} style="margin:2px 0">{_a(link, html.escape(label, quote=True))}</li>'
            )
            previous = number
        out.append(f'<ol style="{_MUTED};margin:0 0 8px 0;padding-left:24px">{"".join(items)}</ol>')
    if rest:
        out.append(f'<p{ours} style="{_MUTED};margin:0 0 8px 0">{html.escape(rest)}</p>')
    out.append(f'<p{ours} style="margin:8px 0 0 0">{_a(url, words("digest_read"))}</p>')
    out.append("</div>")
    return "\n".join(out)


def html_part(
    category: str,
    picks: Sequence[Pick],
    day: date,
    settings: DigestSettings,
    publish: PublishSettings,
    personal: Personal | None = None,
) -> str:
    slug = slugify(category)
    words = publish.words
    name = _esc(category)
    why, _ = _footer_lines(category, settings, publish, personal)
    if personal is not None:
        leave = _a(personal.leave_url, html.escape(words("digest_leave_link")))
    else:
        contact = html.escape(settings.contact_email)
        how = _a(subscribe_url(slug, publish), words("digest_how"))
        leave = words("digest_leave_html", address=contact, link=how)
    footer = f"{html.escape(why)}<br>{leave}"
    body = "\n".join(_html_story(pick, settings, publish) for pick in picks)
    return "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{html.escape(page_language(publish), quote=True)}">',
            '<head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{name}</title></head>",
            f'<body style="margin:0;padding:0;background:#ffffff;color:#222222;{_FONT}">',
            '<div style="max-width:640px;margin:0 auto;padding:16px;font-size:16px;'
            'line-height:1.5;overflow-wrap:break-word;word-wrap:break-word">',
            f'<h1 style="font-size:22px;margin:0 0 4px 0">'
            f"{_a(category_url(slug, publish), name, 'color:#111111;text-decoration:none')}</h1>",
            f'<p style="{_MUTED};margin:0 0 16px 0">'
            f"{html.escape(words('digest_lead', date=human_day(day, words)))}</p>",
            body,
            f'<p style="{_MUTED};border-top:1px solid #dddddd;padding-top:16px">{footer}</p>',
            "</div>",
            "</body>",
            "</html>",
            "",
        ]
    )


# --- the message ------------------------------------------------------------------------------


def compose(
    category: str,
    picks: Sequence[Pick],
    day: date,
    now: datetime,
    settings: DigestSettings,
    publish: PublishSettings,
    personal: Personal | None = None,
    *,
    key: bytes = b"",
) -> EmailMessage:
    """The digest message: headers, then the text part and its HTML alternative (its
    Message-ID signed with `key`, when given: `message_id`).

    Recipients are not in the headers (they go in the SMTP envelope only): `To` is the
    sender, as for a mailing list, so subscribers never see each other's addresses. A
    `personal` copy is addressed to its reader, with their link to unsubscribe in one click
    (RFC 8058's `List-Unsubscribe-Post`, which mail clients offer as a button).
    """
    slug = slugify(category)
    name = _one_line(category)
    domain = _domain(settings)
    msg = EmailMessage(policy=_PARTS_POLICY)
    words = publish.words
    msg["Subject"] = _Encoded.of("Subject", subject(category, picks, day, words))
    msg["From"] = settings.from_address
    msg["To"] = personal.address if personal else settings.from_address
    if settings.contact:
        msg["Reply-To"] = settings.contact
    msg["Date"] = format_datetime(now.astimezone(settings.zone))
    address = personal.address if personal else ""
    msg["Message-ID"] = message_id(category, day, picks, settings, address, key)
    listed = words("digest_list", name=name.replace(chr(34), ""))
    msg["List-Id"] = _Encoded.of("List-Id", listed, quoted=True, then=f" <{slug}.digest.{domain}>")
    if personal is not None:
        msg["List-Unsubscribe"] = f"<{personal.leave_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    else:
        asked = words("unsubscribe_subject", name=name)
        mailto = f"mailto:{settings.contact_email}?subject={quote(asked)}"
        msg["List-Unsubscribe"] = f"<{mailto}>, <{subscribe_url(slug, publish)}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Precedence"] = "bulk"
    # Quoted-printable keeps both parts mostly readable as sent, and lines short for SMTP.
    text = text_part(category, picks, day, settings, publish, personal)
    msg.set_content(text, cte="quoted-printable")
    page = html_part(category, picks, day, settings, publish, personal)
    msg.add_alternative(page, subtype="html", cte="quoted-printable")
    return _unfolded(msg)


def confirmation(
    category: str,
    address: str,
    url: str,
    now: datetime,
    settings: DigestSettings,
    publish: PublishSettings,
) -> EmailMessage:
    """The email that asks a reader who signed up on the site to confirm: plain text, with
    the link (`url`) that subscribes them, and what to do when it was not them."""
    words = publish.words
    name, site = _one_line(category), _one_line(publish.site_title)
    msg = EmailMessage(policy=_PARTS_POLICY)
    msg["Subject"] = _Encoded.of("Subject", words("confirm_subject", name=name, site=site))
    msg["From"] = settings.from_address
    msg["To"] = address
    if settings.contact:
        msg["Reply-To"] = settings.contact
    msg["Date"] = format_datetime(now.astimezone(settings.zone))
    token = hashlib.sha256(f"{category}\n{address}\n{now.isoformat()}".encode()).hexdigest()
    msg["Message-ID"] = f"<confirm.{token[:20]}@{_domain(settings)}>"
    msg["Auto-Submitted"] = "auto-generated"
    paragraphs = [
        words("confirm_asked", name=name, site=site, address=address),
        words("confirm_open"),
        url,
        words("confirm_not_you"),
    ]
    text = "\n\n".join(
        p if p == url else textwrap.fill(p, WIDTH, break_on_hyphens=False) for p in paragraphs
    )
    msg.set_content(text + "\n", cte="quoted-printable")
    return _unfolded(msg)


# The parts encoded in lines of at most 76 characters (RFC 2045's quoted-printable limit; the
# default policy's 78 had been used); `_unfolded` then lets the headers run long.
_PARTS_POLICY = policy.default.clone(max_line_length=76)


class _Encoded(str):
    """A header's text (what `msg[name]` reads) sent as we encoded it: non-ASCII text in
    RFC 2047 encoded words of at most 75 characters, one to a line. The standard library,
    its lines let run long (`_unfolded`), had sent the whole Subject as one longer word, and
    written an encoded word inside List-Id's quoted string, both against RFC 2047 (mail
    clients may show them raw)."""

    name: str
    encoded: str

    @classmethod
    def of(cls, name: str, text: str, *, quoted: bool = False, then: str = "") -> _Encoded:
        """Header `name` of `text` (a phrase in double quotes when ASCII and `quoted`), with
        `then` (ASCII) after it."""
        if text.isascii():
            words = f'"{text}"' if quoted else text
        else:
            words = Header(text, "utf-8", header_name=name, maxlinelen=74).encode(linesep="\n")
        header = cls(f'"{text}"{then}' if quoted else f"{text}{then}")
        header.name, header.encoded = name, words + then
        return header

    def fold(self, *, policy: Policy) -> str:
        """The header as sent (lines ended as `policy` ends them)."""
        return f"{self.name}: {self.encoded}".replace("\n", policy.linesep) + policy.linesep


def _unfolded(msg: EmailMessage) -> EmailMessage:
    """`msg` sent with its headers on one line each (up to RFC 5322's 998 characters), its
    parts already encoded in lines of 76. The standard library folds a long header before
    an encoded word with the space left on the line above, so the subject "… and 9 more —
    December 6" read "more  —" (two spaces) in mail clients."""
    msg.policy = msg.policy.clone(max_line_length=998)
    return msg


def readable(msg: EmailMessage) -> str:
    """The message as a person reads it: headers, then each part decoded (for --dry-run)."""
    lines = [f"{name}: {value}" for name, value in msg.items()]
    for part in msg.iter_parts():
        lines += ["", f"----- {part.get_content_type()} -----", part.get_content().rstrip()]
    return "\n".join(lines) + "\n"
