"""The words pages, feeds and the daily email put around the stories, in the site's language
(`[publish] language`). Pure.

Only our own words are translated: "Summary based on 3 sources", "More stories", dates,
the search help, the daily email's lines. Headlines and bullets stay as their sources wrote
them; the log, the command line and `status` speak English. A language without a catalogue
here (checked by its primary subtag: "de-AT" reads "de") gets English words.

Each catalogue holds every key of the English one with the same `{fields}` (a test checks),
and no `<`, `>` or `&`: a template's own text is safe in HTML as it is, and the values put in
it are escaped (or already-safe HTML) where the caller says so.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["LANGUAGES", "Words", "has_words", "primary_subtag", "words_for"]

# A text, or (singular, plural) for a count `n`.
Template = str | tuple[str, str]

_EN: dict[str, Template] = {
    "stories": "Stories",
    # pages
    "footer": "Each story is summarised from the outlets that covered it; "
    "follow the numbered links to read them.",
    "all_feeds": "All feeds (OPML)",
    "search_stories": "Search stories",
    "search_button": "Search",
    "search_title": "Search",
    "search_title_for": "Search: {query}",
    "search_help": "Finds the stories with every word (or a longer word it begins); "
    '"words in quotes" as a phrase; -word leaves stories out; OR takes either of two.',
    "search_description": "{site}: search",
    "search_opensearch": "{site}: search the stories",
    "follow_search": "Follow this search:",
    "search_found": (
        "{n} story matches {query}, newest first",
        "{n} stories match {query}, newest first",
    ),
    "search_none": "No stories match {query}.",
    "quoted": "“{text}”",
    "newer": "← Newer",
    "older": "Older →",
    "more_important": "← More important",
    "less_important": "More →",
    "no_stories": "No stories yet.",
    "no_categories": "No categories yet.",
    "more_category": "More {name}",
    "feeds": "Feeds:",
    "top_stories_link": "top stories",
    "category_page": "{name}, page {page}",
    "moved": "This page moved to {link}.",
    "updated_at": "updated {time}",
    "follow_story": "Follow this story:",
    "story_updates": "Updates: {headline}",
    "image_credit": "Image: {outlet}",
    "sources": ("{n} source", "{n} sources"),
    "not_found": "Not found",
    "nothing_here": "There is nothing at this address.",
    "front_page": "Go to the front page",
    "unavailable": "Unavailable",
    "unavailable_text": "This page cannot be read from the news database right now. Please try "
    "again later.",
    # the daily email's page
    "digest_offer": "Get a daily email with more {name} stories",
    "digest_page_title": "{name} daily email",
    "digest_when": (
        "Every day at {schedule} the {name} digest brings the day's top story: its "
        "summary, the outlets it is based on and a link to the full story here. A story "
        "already sent comes back only when it changes.",
        "Every day at {schedule} the {name} digest brings the day's top {n} stories: each "
        "with its summary, the outlets it is based on and a link to the full story here. "
        "Stories already sent come back only when they change.",
    ),
    "subscribe": "Subscribe",
    "subscribe_how": "Subscriptions are kept by the people who run this site. To get the "
    "digest, write to {address} and ask to be added to the {name} digest. There is no "
    "sign-up form, so nobody can sign up an address that is not theirs.",
    "unsubscribe": "Unsubscribe",
    "unsubscribe_how": "Write to {address} and you will be removed. Mail clients that offer "
    "“unsubscribe” for the digest send that request for you.",
    "all_category_stories": "All {name} stories",
    "subscribe_subject": "subscribe {name}",
    "unsubscribe_subject": "unsubscribe {name}",
    # stories, in pages, feeds and the email
    "all_stories": "All stories",
    "top_stories": "Top stories",
    "category_top": "{name}, top stories",
    "untitled_story": "Untitled story",
    "untitled_source": "Untitled source",
    "names_and_more": "{names} and {n} more",
    "and": "and",
    "reported_by_names": "Reported by {names}.",
    "updated_details": "Updated: new details",
    "updated_sources": ("Updated: {n} new source", "Updated: {n} new sources"),
    "summary_based_on": ("Summary based on {n} source", "Summary based on {n} sources"),
    "reported_by_count": ("Reported by {n} source", "Reported by {n} sources"),
    "reports": ("({n} report)", "({n} reports)"),
    "same_text_as": "same text as [{n}]",
    "same_text": "same text",
    "more_sources": ("… and {n} more source.", "… and {n} more sources."),
    "more_reports": (
        "… and {n} more report from these sources.",
        "… and {n} more reports from these sources.",
    ),
    "no_summary": "Summary not available yet.",
    "more_stories": "More stories",
    "kind_opinion": "Opinion",
    "kind_review": "Review",
    "kind_live": "Live",
    "kind_roundup": "Round-up",
    "kind_prefix": "{kind}: {headline}",
    "colon": ":",
    # feeds
    "top_subtitle": (
        "{name}: stories at least {n} outlet covered",
        "{name}: stories at least {n} outlets covered",
    ),
    "search_subtitle": "Stories that match {query}, newest first",
    "story_subtitle": "Each update of this story: a new item whenever new sources or facts "
    "change it",
    "story_update": "{title} (update {n})",
    "every_feed": "{site}: every feed ({format})",
    "site_description": "News stories, each summarised from all the outlets that covered it",
    # the daily email
    "digest_subject": "{name}: {headline} — {date}",
    "digest_subject_more": "{name}: {headline} and {n} more — {date}",
    "digest_empty": "no new stories",
    "digest_heading": "{name}: the day's top stories, {date}",
    "digest_lead": "The day's top stories, {date}",
    "digest_updated": "Updated",
    "digest_read": "Read the story",
    "digest_why": "You get this email because the operator of {site} added you to the {name} "
    "daily digest.",
    "digest_leave": "To unsubscribe, write to {address}; details: {url}",
    "digest_leave_html": "To unsubscribe, write to {address} ({link}).",
    "digest_how": "how subscriptions work",
    "digest_list": "{name} daily digest",
    # readers' own subscriptions (`[digest] self_service`)
    "subscribe_self_how": "Enter your email address and we will send you a link to confirm. "
    "The digest starts once you follow it, so nobody can sign up an address that is not theirs.",
    "email_address": "Your email address",
    "unsubscribe_self_how": "Every digest ends with a link that unsubscribes you at once; mail "
    "clients that offer “unsubscribe” use it for you.",
    "unsubscribe_listed_how": "If the site’s operator added you to the list, write to {address} "
    "and you will be removed.",
    "signup_sent_title": "Check your inbox",
    "signup_sent": "If {address} can receive email, a link to confirm your subscription to the "
    "{name} daily email is on its way. It works for 48 hours.",
    "signup_invalid": "That is not an email address we can send to. Please check it and try again.",
    "signup_busy": "Too many sign-ups just now. Please try again in an hour.",
    "confirm_title": "Confirm your subscription",
    "confirm_ask": "Send the {name} daily email to {address}?",
    "confirm_button": "Confirm",
    "confirmed_title": "Subscribed",
    "confirmed": "{address} gets the {name} daily email from the next one on.",
    "leave_ask": "Stop sending the {name} daily email to {address}?",
    "left_title": "Unsubscribed",
    "left": "{address} gets no more {name} daily emails.",
    "link_invalid_title": "Link not valid",
    "link_invalid": "This link is not valid, or it has expired.",
    "confirm_subject": "Confirm your subscription to the {name} daily email",
    "confirm_asked": "Someone, probably you, asked for the {name} daily email of {site} to be "
    "sent to {address}.",
    "confirm_open": "To confirm, open this link within 48 hours:",
    "confirm_not_you": "If it was not you, ignore this email: nothing more will be sent, and "
    "the address will be forgotten.",
    "digest_why_self": "You get this email because you subscribed to the {name} daily digest "
    "of {site}.",
    "digest_leave_self": "To unsubscribe, open {url}",
    "digest_leave_link": "Unsubscribe from this email",
    # the sources page
    "sources_title": "Sources",
    "sources_lead": "Every story here is summarised from the reports of these outlets, as "
    "their feeds publish them.",
    "sources_reports": ("{n} report in the last 7 days", "{n} reports in the last 7 days"),
    "sources_none": "No sources yet.",
    "sources_description": "{site}: the outlets its stories are summarised from",
}

_DE: dict[str, Template] = {
    "stories": "Meldungen",
    "footer": "Jede Meldung ist aus den Medien zusammengefasst, die darüber berichtet haben; "
    "die nummerierten Links führen zu ihnen.",
    "all_feeds": "Alle Feeds (OPML)",
    "search_stories": "Meldungen suchen",
    "search_button": "Suchen",
    "search_title": "Suche",
    "search_title_for": "Suche: {query}",
    "search_help": "Findet die Meldungen mit jedem Wort (oder einem längeren, das so beginnt); "
    '"Wörter in Anführungszeichen" als Wortgruppe; -Wort schließt Meldungen aus; OR findet '
    "das eine oder das andere.",
    "search_description": "{site}: Suche",
    "search_opensearch": "{site}: die Meldungen durchsuchen",
    "follow_search": "Dieser Suche folgen:",
    "search_found": (
        "{n} Meldung passt zu {query}, die neuesten zuerst",
        "{n} Meldungen passen zu {query}, die neuesten zuerst",
    ),
    "search_none": "Keine Meldung passt zu {query}.",
    "quoted": "„{text}“",
    "newer": "← Neuere",
    "older": "Ältere →",
    "more_important": "← Wichtigere",
    "less_important": "Weitere →",
    "no_stories": "Noch keine Meldungen.",
    "no_categories": "Noch keine Kategorien.",
    "more_category": "Mehr: {name}",
    "feeds": "Feeds:",
    "top_stories_link": "Top-Meldungen",
    "category_page": "{name}, Seite {page}",
    "moved": "Diese Seite ist umgezogen: {link}.",
    "updated_at": "aktualisiert: {time}",
    "follow_story": "Dieser Meldung folgen:",
    "story_updates": "Aktualisierungen: {headline}",
    "image_credit": "Bild: {outlet}",
    "sources": ("{n} Quelle", "{n} Quellen"),
    "not_found": "Nicht gefunden",
    "nothing_here": "Unter dieser Adresse gibt es nichts.",
    "front_page": "Zur Startseite",
    "unavailable": "Nicht verfügbar",
    "unavailable_text": "Diese Seite kann gerade nicht aus der Nachrichtendatenbank gelesen "
    "werden. Bitte versuchen Sie es später noch einmal.",
    "digest_offer": "Täglich eine E-Mail mit weiteren Meldungen aus {name}",
    "digest_page_title": "{name}: tägliche E-Mail",
    "digest_when": (
        "Jeden Tag um {schedule} bringt die E-Mail zu {name} die wichtigste Meldung des "
        "Tages: ihre Zusammenfassung, die Medien, auf denen sie beruht, und einen Link zur "
        "ganzen Meldung hier. Eine schon verschickte Meldung kommt nur wieder, wenn sie sich "
        "ändert.",
        "Jeden Tag um {schedule} bringt die E-Mail zu {name} die {n} wichtigsten Meldungen "
        "des Tages: jede mit ihrer Zusammenfassung, den Medien, auf denen sie beruht, und "
        "einem Link zur ganzen Meldung hier. Schon verschickte Meldungen kommen nur wieder, "
        "wenn sie sich ändern.",
    ),
    "subscribe": "Abonnieren",
    "subscribe_how": "Die Abonnements verwalten die Betreiber dieser Seite. Wer die E-Mail "
    "bekommen möchte, schreibt an {address} und bittet, in die Liste für {name} aufgenommen "
    "zu werden. Es gibt kein Anmeldeformular, damit niemand eine fremde Adresse eintragen "
    "kann.",
    "unsubscribe": "Abbestellen",
    "unsubscribe_how": "Schreiben Sie an {address}, und Sie werden ausgetragen. "
    "E-Mail-Programme, die für die E-Mail „Abbestellen“ anbieten, schicken diese Bitte für "
    "Sie.",
    "all_category_stories": "Alle Meldungen aus {name}",
    "subscribe_subject": "abonnieren {name}",
    "unsubscribe_subject": "abbestellen {name}",
    "all_stories": "Alle Meldungen",
    "top_stories": "Top-Meldungen",
    "category_top": "{name}, Top-Meldungen",
    "untitled_story": "Meldung ohne Titel",
    "untitled_source": "Quelle ohne Titel",
    "names_and_more": "{names} und {n} weitere",
    "and": "und",
    "reported_by_names": "Berichtet von {names}.",
    "updated_details": "Aktualisiert: neue Einzelheiten",
    "updated_sources": ("Aktualisiert: {n} neue Quelle", "Aktualisiert: {n} neue Quellen"),
    "summary_based_on": (
        "Zusammenfassung aus {n} Quelle",
        "Zusammenfassung aus {n} Quellen",
    ),
    "reported_by_count": ("Berichtet von {n} Quelle", "Berichtet von {n} Quellen"),
    "reports": ("({n} Bericht)", "({n} Berichte)"),
    "same_text_as": "gleicher Text wie [{n}]",
    "same_text": "gleicher Text",
    "more_sources": ("… und {n} weitere Quelle.", "… und {n} weitere Quellen."),
    "more_reports": (
        "… und {n} weiterer Bericht dieser Quellen.",
        "… und {n} weitere Berichte dieser Quellen.",
    ),
    "no_summary": "Noch keine Zusammenfassung.",
    "more_stories": "Weitere Meldungen",
    "kind_opinion": "Meinung",
    "kind_review": "Kritik",
    "kind_live": "Live",
    "kind_roundup": "Überblick",
    "kind_prefix": "{kind}: {headline}",
    "colon": ":",
    "top_subtitle": (
        "{name}: Meldungen, über die mindestens {n} Medium berichtet hat",
        "{name}: Meldungen, über die mindestens {n} Medien berichtet haben",
    ),
    "search_subtitle": "Meldungen zu {query}, die neuesten zuerst",
    "story_subtitle": "Jede Aktualisierung dieser Meldung: ein neuer Eintrag, wann immer neue "
    "Quellen oder Fakten sie ändern",
    "story_update": "{title} (Aktualisierung {n})",
    "every_feed": "{site}: alle Feeds ({format})",
    "site_description": "Nachrichten, jede aus allen Medien zusammengefasst, die darüber "
    "berichtet haben",
    "digest_subject": "{name}: {headline} — {date}",
    "digest_subject_more": "{name}: {headline} und {n} weitere — {date}",
    "digest_empty": "keine neuen Meldungen",
    "digest_heading": "{name}: die wichtigsten Meldungen des Tages, {date}",
    "digest_lead": "Die wichtigsten Meldungen des Tages, {date}",
    "digest_updated": "Aktualisiert",
    "digest_read": "Zur Meldung",
    "digest_why": "Sie bekommen diese E-Mail, weil die Betreiber von {site} Sie in die "
    "tägliche Liste für {name} eingetragen haben.",
    "digest_leave": "Zum Abbestellen schreiben Sie an {address}; mehr dazu: {url}",
    "digest_leave_html": "Zum Abbestellen schreiben Sie an {address} ({link}).",
    "digest_how": "wie Abonnements funktionieren",
    "digest_list": "{name}: tägliche E-Mail",
    "subscribe_self_how": "Geben Sie Ihre E-Mail-Adresse ein, und wir schicken Ihnen einen "
    "Link zur Bestätigung. Die E-Mail kommt erst, wenn Sie ihm folgen, damit niemand eine "
    "fremde Adresse eintragen kann.",
    "email_address": "Ihre E-Mail-Adresse",
    "unsubscribe_self_how": "Jede E-Mail endet mit einem Link, der Sie sofort austrägt; "
    "Mailprogramme, die „Abbestellen“ anbieten, nutzen ihn für Sie.",
    "unsubscribe_listed_how": "Hat der Betreiber der Website Sie in die Liste aufgenommen, "
    "schreiben Sie an {address}, und Sie werden ausgetragen.",
    "signup_sent_title": "Sehen Sie in Ihr Postfach",
    "signup_sent": "Wenn {address} E-Mails empfangen kann, ist ein Link zur Bestätigung Ihres "
    "Abonnements der täglichen E-Mail {name} unterwegs. Er gilt 48 Stunden.",
    "signup_invalid": "An diese Adresse können wir nicht schreiben. Bitte prüfen Sie sie und "
    "versuchen Sie es noch einmal.",
    "signup_busy": "Gerade melden sich zu viele an. Bitte versuchen Sie es in einer Stunde "
    "noch einmal.",
    "confirm_title": "Abonnement bestätigen",
    "confirm_ask": "Die tägliche E-Mail {name} an {address} schicken?",
    "confirm_button": "Bestätigen",
    "confirmed_title": "Abonniert",
    "confirmed": "{address} bekommt die tägliche E-Mail {name} ab der nächsten.",
    "leave_ask": "Die tägliche E-Mail {name} nicht mehr an {address} schicken?",
    "left_title": "Abbestellt",
    "left": "{address} bekommt keine tägliche E-Mail {name} mehr.",
    "link_invalid_title": "Link ungültig",
    "link_invalid": "Dieser Link ist ungültig oder abgelaufen.",
    "confirm_subject": "Bestätigen Sie Ihr Abonnement der täglichen E-Mail {name}",
    "confirm_asked": "Jemand, wahrscheinlich Sie, hat darum gebeten, die tägliche E-Mail {name} "
    "von {site} an {address} zu schicken.",
    "confirm_open": "Zur Bestätigung öffnen Sie innerhalb von 48 Stunden diesen Link:",
    "confirm_not_you": "Wenn Sie es nicht waren, beachten Sie diese E-Mail nicht: Es kommt "
    "nichts mehr, und die Adresse wird vergessen.",
    "digest_why_self": "Sie bekommen diese E-Mail, weil Sie die tägliche E-Mail {name} von "
    "{site} abonniert haben.",
    "digest_leave_self": "Zum Abbestellen öffnen Sie {url}",
    "digest_leave_link": "Diese E-Mail abbestellen",
    "sources_title": "Quellen",
    "sources_lead": "Jede Meldung hier ist aus den Berichten dieser Medien zusammengefasst, "
    "wie ihre Feeds sie veröffentlichen.",
    "sources_reports": (
        "{n} Bericht in den letzten 7 Tagen",
        "{n} Berichte in den letzten 7 Tagen",
    ),
    "sources_none": "Noch keine Quellen.",
    "sources_description": "{site}: die Medien, aus denen die Meldungen zusammengefasst sind",
}

_FR: dict[str, Template] = {
    "stories": "Sujets",
    "footer": "Chaque sujet est résumé à partir des médias qui l’ont couvert\u00a0; suivez les "
    "liens numérotés pour les lire.",
    "all_feeds": "Tous les flux (OPML)",
    "search_stories": "Chercher des sujets",
    "search_button": "Chercher",
    "search_title": "Recherche",
    "search_title_for": "Recherche\u00a0: {query}",
    "search_help": "Trouve les sujets contenant chaque mot (ou un mot plus long qui commence "
    'ainsi)\u00a0; "des mots entre guillemets" comme expression\u00a0; -mot écarte des '
    "sujets\u00a0; OR prend l’un ou l’autre.",
    "search_description": "{site}\u00a0: recherche",
    "search_opensearch": "{site}\u00a0: chercher dans les sujets",
    "follow_search": "Suivre cette recherche\u00a0:",
    "search_found": (
        "{n} sujet correspond à {query}, du plus récent au plus ancien",
        "{n} sujets correspondent à {query}, du plus récent au plus ancien",
    ),
    "search_none": "Aucun sujet ne correspond à {query}.",
    "quoted": "«\u00a0{text}\u00a0»",
    "newer": "← Plus récents",
    "older": "Plus anciens →",
    "more_important": "← Plus importants",
    "less_important": "Suite →",
    "no_stories": "Aucun sujet pour l’instant.",
    "no_categories": "Aucune catégorie pour l’instant.",
    "more_category": "Plus\u00a0: {name}",
    "feeds": "Flux\u00a0:",
    "top_stories_link": "sujets principaux",
    "category_page": "{name}, page {page}",
    "moved": "Cette page a été déplacée\u00a0: {link}.",
    "updated_at": "mis à jour\u00a0: {time}",
    "follow_story": "Suivre ce sujet\u00a0:",
    "story_updates": "Mises à jour\u00a0: {headline}",
    "image_credit": "Image\u00a0: {outlet}",
    "sources": ("{n} source", "{n} sources"),
    "not_found": "Introuvable",
    "nothing_here": "Il n’y a rien à cette adresse.",
    "front_page": "Aller à la page d’accueil",
    "unavailable": "Indisponible",
    "unavailable_text": "Cette page ne peut pas être lue dans la base d’actualités pour le "
    "moment. Veuillez réessayer plus tard.",
    "digest_offer": "Recevoir chaque jour un e-mail avec plus de sujets {name}",
    "digest_page_title": "{name}\u00a0: e-mail quotidien",
    "digest_when": (
        "Chaque jour à {schedule}, l’e-mail {name} apporte le sujet principal du jour\u00a0: son "
        "résumé, les médias sur lesquels il repose et un lien vers le sujet complet ici. Un "
        "sujet déjà envoyé ne revient que s’il change.",
        "Chaque jour à {schedule}, l’e-mail {name} apporte les {n} sujets principaux du "
        "jour\u00a0: chacun avec son résumé, les médias sur lesquels il repose et un lien vers le "
        "sujet complet ici. Les sujets déjà envoyés ne reviennent que s’ils changent.",
    ),
    "subscribe": "S’abonner",
    "subscribe_how": "Les abonnements sont gérés par les personnes qui font fonctionner ce "
    "site. Pour recevoir l’e-mail, écrivez à {address} et demandez à être ajouté à la liste "
    "{name}. Il n’y a pas de formulaire d’inscription\u00a0: personne ne peut inscrire une adresse "
    "qui n’est pas la sienne.",
    "unsubscribe": "Se désabonner",
    "unsubscribe_how": "Écrivez à {address} et vous serez retiré de la liste. Les logiciels "
    "de messagerie qui proposent «\u00a0se désabonner\u00a0» pour cet e-mail envoient cette "
    "demande pour vous.",
    "all_category_stories": "Tous les sujets {name}",
    "subscribe_subject": "abonnement {name}",
    "unsubscribe_subject": "désabonnement {name}",
    "all_stories": "Tous les sujets",
    "top_stories": "Sujets principaux",
    "category_top": "{name}, sujets principaux",
    "untitled_story": "Sujet sans titre",
    "untitled_source": "Source sans titre",
    "names_and_more": "{names} et {n} autres",
    "and": "et",
    "reported_by_names": "Couvert par {names}.",
    "updated_details": "Mis à jour\u00a0: nouveaux détails",
    "updated_sources": (
        "Mis à jour\u00a0: {n} nouvelle source",
        "Mis à jour\u00a0: {n} nouvelles sources",
    ),
    "summary_based_on": ("Résumé fondé sur {n} source", "Résumé fondé sur {n} sources"),
    "reported_by_count": ("Couvert par {n} source", "Couvert par {n} sources"),
    "reports": ("({n} article)", "({n} articles)"),
    "same_text_as": "même texte que [{n}]",
    "same_text": "même texte",
    "more_sources": ("… et {n} autre source.", "… et {n} autres sources."),
    "more_reports": (
        "… et {n} autre article de ces sources.",
        "… et {n} autres articles de ces sources.",
    ),
    "no_summary": "Résumé pas encore disponible.",
    "more_stories": "Plus de sujets",
    "kind_opinion": "Opinion",
    "kind_review": "Critique",
    "kind_live": "En direct",
    "kind_roundup": "Tour d’horizon",
    "kind_prefix": "{kind}\u00a0: {headline}",
    "colon": "\u00a0:",  # (French sets a colon off by a space)
    "top_subtitle": (
        "{name}\u00a0: sujets couverts par au moins {n} média",
        "{name}\u00a0: sujets couverts par au moins {n} médias",
    ),
    "search_subtitle": "Sujets correspondant à {query}, du plus récent au plus ancien",
    "story_subtitle": "Chaque mise à jour de ce sujet\u00a0: un nouvel élément dès que de "
    "nouvelles sources ou de nouveaux faits le changent",
    "story_update": "{title} (mise à jour {n})",
    "every_feed": "{site}\u00a0: tous les flux ({format})",
    "site_description": "L’actualité, chaque sujet résumé à partir de tous les médias qui "
    "l’ont couvert",
    "digest_subject": "{name}\u00a0: {headline} — {date}",
    "digest_subject_more": "{name}\u00a0: {headline} et {n} autres — {date}",
    "digest_empty": "aucun nouveau sujet",
    "digest_heading": "{name}\u00a0: les sujets principaux du jour, {date}",
    "digest_lead": "Les sujets principaux du jour, {date}",
    "digest_updated": "Mis à jour",
    "digest_read": "Lire le sujet",
    "digest_why": "Vous recevez cet e-mail parce que les responsables de {site} vous ont "
    "ajouté à la liste quotidienne {name}.",
    "digest_leave": "Pour vous désabonner, écrivez à {address}\u00a0; détails\u00a0: {url}",
    "digest_leave_html": "Pour vous désabonner, écrivez à {address} ({link}).",
    "digest_how": "comment fonctionnent les abonnements",
    "digest_list": "{name}\u00a0: e-mail quotidien",
    "subscribe_self_how": "Indiquez votre adresse e-mail et nous vous enverrons un lien de "
    "confirmation. L’e-mail quotidien commence une fois ce lien suivi\u00a0: personne ne peut "
    "inscrire une adresse qui n’est pas la sienne.",
    "email_address": "Votre adresse e-mail",
    "unsubscribe_self_how": "Chaque e-mail se termine par un lien qui vous désabonne "
    "aussitôt\u00a0; les logiciels de messagerie qui proposent «\u00a0se désabonner\u00a0» "
    "l’utilisent pour vous.",
    "unsubscribe_listed_how": "Si l’exploitant du site vous a inscrit lui-même, écrivez à "
    "{address} et vous serez désinscrit.",
    "signup_sent_title": "Consultez votre boîte de réception",
    "signup_sent": "Si {address} peut recevoir des e-mails, un lien pour confirmer votre "
    "abonnement à l’e-mail quotidien {name} est en route. Il est valable 48\u00a0heures.",
    "signup_invalid": "Nous ne pouvons pas écrire à cette adresse. Vérifiez-la et réessayez.",
    "signup_busy": "Trop d’inscriptions en ce moment. Réessayez dans une heure.",
    "confirm_title": "Confirmez votre abonnement",
    "confirm_ask": "Envoyer l’e-mail quotidien {name} à {address}\u00a0?",
    "confirm_button": "Confirmer",
    "confirmed_title": "Abonnement confirmé",
    "confirmed": "{address} recevra l’e-mail quotidien {name} à partir du prochain.",
    "leave_ask": "Ne plus envoyer l’e-mail quotidien {name} à {address}\u00a0?",
    "left_title": "Désabonnement confirmé",
    "left": "{address} ne recevra plus l’e-mail quotidien {name}.",
    "link_invalid_title": "Lien non valable",
    "link_invalid": "Ce lien n’est pas valable ou a expiré.",
    "confirm_subject": "Confirmez votre abonnement à l’e-mail quotidien {name}",
    "confirm_asked": "Quelqu’un, sans doute vous, a demandé que l’e-mail quotidien {name} de "
    "{site} soit envoyé à {address}.",
    "confirm_open": "Pour confirmer, ouvrez ce lien dans les 48\u00a0heures\u00a0:",
    "confirm_not_you": "Si ce n’était pas vous, ignorez cet e-mail\u00a0: rien d’autre ne sera "
    "envoyé et l’adresse sera oubliée.",
    "digest_why_self": "Vous recevez cet e-mail parce que vous êtes abonné à l’e-mail quotidien "
    "{name} de {site}.",
    "digest_leave_self": "Pour vous désabonner, ouvrez {url}",
    "digest_leave_link": "Se désabonner de cet e-mail",
    "sources_title": "Sources",
    "sources_lead": "Chaque sujet est résumé à partir des articles de ces médias, tels que "
    "leurs flux les publient.",
    "sources_reports": (
        "{n} article ces 7 derniers jours",
        "{n} articles ces 7 derniers jours",
    ),
    "sources_none": "Pas encore de sources.",
    "sources_description": "{site}\u00a0: les médias dont les sujets sont résumés",
}

_ES: dict[str, Template] = {
    "stories": "Noticias",
    "footer": "Cada noticia se resume a partir de los medios que la cubrieron; siga los "
    "enlaces numerados para leerlos.",
    "all_feeds": "Todos los canales (OPML)",
    "search_stories": "Buscar noticias",
    "search_button": "Buscar",
    "search_title": "Búsqueda",
    "search_title_for": "Búsqueda: {query}",
    "search_help": "Encuentra las noticias con cada palabra (o una más larga que empiece "
    'así); "palabras entre comillas" como frase; -palabra excluye noticias; OR acepta '
    "cualquiera de las dos.",
    "search_description": "{site}: búsqueda",
    "search_opensearch": "{site}: buscar en las noticias",
    "follow_search": "Seguir esta búsqueda:",
    "search_found": (
        "{n} noticia coincide con {query}, las más recientes primero",
        "{n} noticias coinciden con {query}, las más recientes primero",
    ),
    "search_none": "Ninguna noticia coincide con {query}.",
    "quoted": "«{text}»",
    "newer": "← Más recientes",
    "older": "Más antiguas →",
    "more_important": "← Más importantes",
    "less_important": "Más →",
    "no_stories": "Todavía no hay noticias.",
    "no_categories": "Todavía no hay categorías.",
    "more_category": "Más: {name}",
    "feeds": "Canales:",
    "top_stories_link": "noticias destacadas",
    "category_page": "{name}, página {page}",
    "moved": "Esta página se ha trasladado: {link}.",
    "updated_at": "actualizada: {time}",
    "follow_story": "Seguir esta noticia:",
    "story_updates": "Actualizaciones: {headline}",
    "image_credit": "Imagen: {outlet}",
    "sources": ("{n} fuente", "{n} fuentes"),
    "not_found": "No encontrado",
    "nothing_here": "No hay nada en esta dirección.",
    "front_page": "Ir a la portada",
    "unavailable": "No disponible",
    "unavailable_text": "Ahora mismo no se puede leer esta página de la base de noticias. "
    "Inténtelo de nuevo más tarde.",
    "digest_offer": "Recibir cada día un correo con más noticias de {name}",
    "digest_page_title": "{name}: correo diario",
    "digest_when": (
        "Cada día a las {schedule}, el correo de {name} trae la noticia principal del día: "
        "su resumen, los medios en que se basa y un enlace a la noticia completa aquí. Una "
        "noticia ya enviada solo vuelve si cambia.",
        "Cada día a las {schedule}, el correo de {name} trae las {n} noticias principales "
        "del día: cada una con su resumen, los medios en que se basa y un enlace a la "
        "noticia completa aquí. Las noticias ya enviadas solo vuelven si cambian.",
    ),
    "subscribe": "Suscribirse",
    "subscribe_how": "Las suscripciones las gestionan quienes administran este sitio. Para "
    "recibir el correo, escriba a {address} y pida que le añadan a la lista de {name}. No "
    "hay formulario de alta, así nadie puede apuntar una dirección que no sea suya.",
    "unsubscribe": "Darse de baja",
    "unsubscribe_how": "Escriba a {address} y le daremos de baja. Los programas de correo "
    "que ofrecen «darse de baja» para este correo envían esa petición por usted.",
    "all_category_stories": "Todas las noticias de {name}",
    "subscribe_subject": "alta {name}",
    "unsubscribe_subject": "baja {name}",
    "all_stories": "Todas las noticias",
    "top_stories": "Noticias destacadas",
    "category_top": "{name}, noticias destacadas",
    "untitled_story": "Noticia sin título",
    "untitled_source": "Fuente sin título",
    "names_and_more": "{names} y {n} más",
    "and": "y",
    "reported_by_names": "Cubierta por {names}.",
    "updated_details": "Actualizada: nuevos detalles",
    "updated_sources": ("Actualizada: {n} fuente nueva", "Actualizada: {n} fuentes nuevas"),
    "summary_based_on": ("Resumen basado en {n} fuente", "Resumen basado en {n} fuentes"),
    "reported_by_count": ("Cubierta por {n} fuente", "Cubierta por {n} fuentes"),
    "reports": ("({n} artículo)", "({n} artículos)"),
    "same_text_as": "mismo texto que [{n}]",
    "same_text": "mismo texto",
    "more_sources": ("… y {n} fuente más.", "… y {n} fuentes más."),
    "more_reports": (
        "… y {n} artículo más de estas fuentes.",
        "… y {n} artículos más de estas fuentes.",
    ),
    "no_summary": "El resumen aún no está disponible.",
    "more_stories": "Más noticias",
    "kind_opinion": "Opinión",
    "kind_review": "Crítica",
    "kind_live": "En directo",
    "kind_roundup": "Resumen",
    "kind_prefix": "{kind}: {headline}",
    "colon": ":",
    "top_subtitle": (
        "{name}: noticias que cubrió al menos {n} medio",
        "{name}: noticias que cubrieron al menos {n} medios",
    ),
    "search_subtitle": "Noticias que coinciden con {query}, las más recientes primero",
    "story_subtitle": "Cada actualización de esta noticia: una nueva entrada cuando nuevas "
    "fuentes o datos la cambian",
    "story_update": "{title} (actualización {n})",
    "every_feed": "{site}: todos los canales ({format})",
    "site_description": "Noticias, cada una resumida a partir de todos los medios que la cubrieron",
    "digest_subject": "{name}: {headline} — {date}",
    "digest_subject_more": "{name}: {headline} y {n} más — {date}",
    "digest_empty": "no hay noticias nuevas",
    "digest_heading": "{name}: las noticias principales del día, {date}",
    "digest_lead": "Las noticias principales del día, {date}",
    "digest_updated": "Actualizada",
    "digest_read": "Leer la noticia",
    "digest_why": "Recibe este correo porque quien administra {site} le añadió a la lista "
    "diaria de {name}.",
    "digest_leave": "Para darse de baja, escriba a {address}; más información: {url}",
    "digest_leave_html": "Para darse de baja, escriba a {address} ({link}).",
    "digest_how": "cómo funcionan las suscripciones",
    "digest_list": "{name}: correo diario",
    "subscribe_self_how": "Escriba su dirección de correo y le enviaremos un enlace para "
    "confirmarla. El correo diario empieza cuando lo siga, así nadie puede apuntar una "
    "dirección que no sea suya.",
    "email_address": "Su dirección de correo",
    "unsubscribe_self_how": "Cada correo termina con un enlace que le da de baja al momento; "
    "los programas de correo que ofrecen «darse de baja» lo usan por usted.",
    "unsubscribe_listed_how": "Si el responsable del sitio le añadió a la lista, escriba a "
    "{address} y le daremos de baja.",
    "signup_sent_title": "Revise su bandeja de entrada",
    "signup_sent": "Si {address} puede recibir correo, va de camino un enlace para confirmar su "
    "suscripción al correo diario de {name}. Sirve durante 48 horas.",
    "signup_invalid": "No podemos escribir a esa dirección. Revísela e inténtelo de nuevo.",
    "signup_busy": "Hay demasiadas altas en este momento. Inténtelo de nuevo dentro de una hora.",
    "confirm_title": "Confirme su suscripción",
    "confirm_ask": "¿Enviar el correo diario de {name} a {address}?",
    "confirm_button": "Confirmar",
    "confirmed_title": "Suscripción confirmada",
    "confirmed": "{address} recibirá el correo diario de {name} a partir del próximo.",
    "leave_ask": "¿Dejar de enviar el correo diario de {name} a {address}?",
    "left_title": "Baja confirmada",
    "left": "{address} ya no recibirá el correo diario de {name}.",
    "link_invalid_title": "Enlace no válido",
    "link_invalid": "Este enlace no es válido o ha caducado.",
    "confirm_subject": "Confirme su suscripción al correo diario de {name}",
    "confirm_asked": "Alguien, probablemente usted, ha pedido que el correo diario de {name} de "
    "{site} se envíe a {address}.",
    "confirm_open": "Para confirmarlo, abra este enlace en las próximas 48 horas:",
    "confirm_not_you": "Si no fue usted, ignore este correo: no se enviará nada más y la "
    "dirección se olvidará.",
    "digest_why_self": "Recibe este correo porque se suscribió al correo diario de {name} de "
    "{site}.",
    "digest_leave_self": "Para darse de baja, abra {url}",
    "digest_leave_link": "Darse de baja de este correo",
    "sources_title": "Fuentes",
    "sources_lead": "Cada noticia se resume a partir de los artículos de estos medios, tal como "
    "los publican sus canales.",
    "sources_reports": (
        "{n} artículo en los últimos 7 días",
        "{n} artículos en los últimos 7 días",
    ),
    "sources_none": "Todavía no hay fuentes.",
    "sources_description": "{site}: los medios de los que se resumen sus noticias",
}

_IT: dict[str, Template] = {
    "stories": "Notizie",
    "footer": "Ogni notizia è riassunta dalle testate che l’hanno coperta; seguite i link "
    "numerati per leggerle.",
    "all_feeds": "Tutti i feed (OPML)",
    "search_stories": "Cerca notizie",
    "search_button": "Cerca",
    "search_title": "Ricerca",
    "search_title_for": "Ricerca: {query}",
    "search_help": "Trova le notizie con ogni parola (o una più lunga che inizia così); "
    '"parole tra virgolette" come frase; -parola esclude notizie; OR accetta l’una o '
    "l’altra.",
    "search_description": "{site}: ricerca",
    "search_opensearch": "{site}: cerca tra le notizie",
    "follow_search": "Segui questa ricerca:",
    "search_found": (
        "{n} notizia corrisponde a {query}, dalla più recente",
        "{n} notizie corrispondono a {query}, dalla più recente",
    ),
    "search_none": "Nessuna notizia corrisponde a {query}.",
    "quoted": "«{text}»",
    "newer": "← Più recenti",
    "older": "Meno recenti →",
    "more_important": "← Più importanti",
    "less_important": "Altre →",
    "no_stories": "Ancora nessuna notizia.",
    "no_categories": "Ancora nessuna categoria.",
    "more_category": "Altro: {name}",
    "feeds": "Feed:",
    "top_stories_link": "notizie principali",
    "category_page": "{name}, pagina {page}",
    "moved": "Questa pagina è stata spostata: {link}.",
    "updated_at": "aggiornata: {time}",
    "follow_story": "Segui questa notizia:",
    "story_updates": "Aggiornamenti: {headline}",
    "image_credit": "Immagine: {outlet}",
    "sources": ("{n} fonte", "{n} fonti"),
    "not_found": "Non trovato",
    "nothing_here": "A questo indirizzo non c’è nulla.",
    "front_page": "Vai alla prima pagina",
    "unavailable": "Non disponibile",
    "unavailable_text": "Al momento questa pagina non può essere letta dall’archivio delle "
    "notizie. Riprovate più tardi.",
    "digest_offer": "Ricevi ogni giorno un’e-mail con altre notizie di {name}",
    "digest_page_title": "{name}: e-mail quotidiana",
    "digest_when": (
        "Ogni giorno alle {schedule} l’e-mail di {name} porta la notizia principale del "
        "giorno: il suo riassunto, le testate su cui si basa e un link alla notizia completa "
        "qui. Una notizia già inviata torna solo se cambia.",
        "Ogni giorno alle {schedule} l’e-mail di {name} porta le {n} notizie principali del "
        "giorno: ognuna con il suo riassunto, le testate su cui si basa e un link alla "
        "notizia completa qui. Le notizie già inviate tornano solo se cambiano.",
    ),
    "subscribe": "Iscriviti",
    "subscribe_how": "Le iscrizioni sono gestite da chi amministra questo sito. Per ricevere "
    "l’e-mail, scrivete a {address} e chiedete di essere aggiunti alla lista di {name}. Non "
    "c’è un modulo di iscrizione, così nessuno può iscrivere un indirizzo che non è suo.",
    "unsubscribe": "Annulla l’iscrizione",
    "unsubscribe_how": "Scrivete a {address} e sarete rimossi. I programmi di posta che "
    "offrono «annulla iscrizione» per questa e-mail inviano la richiesta per voi.",
    "all_category_stories": "Tutte le notizie di {name}",
    "subscribe_subject": "iscrizione {name}",
    "unsubscribe_subject": "cancellazione {name}",
    "all_stories": "Tutte le notizie",
    "top_stories": "Notizie principali",
    "category_top": "{name}, notizie principali",
    "untitled_story": "Notizia senza titolo",
    "untitled_source": "Fonte senza titolo",
    "names_and_more": "{names} e altri {n}",
    "and": "e",
    "reported_by_names": "Riportata da {names}.",
    "updated_details": "Aggiornata: nuovi dettagli",
    "updated_sources": ("Aggiornata: {n} nuova fonte", "Aggiornata: {n} nuove fonti"),
    "summary_based_on": ("Riassunto basato su {n} fonte", "Riassunto basato su {n} fonti"),
    "reported_by_count": ("Riportata da {n} fonte", "Riportata da {n} fonti"),
    "reports": ("({n} articolo)", "({n} articoli)"),
    "same_text_as": "stesso testo di [{n}]",
    "same_text": "stesso testo",
    "more_sources": ("… e {n} altra fonte.", "… e altre {n} fonti."),
    "more_reports": (
        "… e {n} altro articolo di queste fonti.",
        "… e altri {n} articoli di queste fonti.",
    ),
    "no_summary": "Riassunto non ancora disponibile.",
    "more_stories": "Altre notizie",
    "kind_opinion": "Opinione",
    "kind_review": "Recensione",
    "kind_live": "Diretta",
    "kind_roundup": "Riepilogo",
    "kind_prefix": "{kind}: {headline}",
    "colon": ":",
    "top_subtitle": (
        "{name}: notizie coperte da almeno {n} testata",
        "{name}: notizie coperte da almeno {n} testate",
    ),
    "search_subtitle": "Notizie che corrispondono a {query}, dalla più recente",
    "story_subtitle": "Ogni aggiornamento di questa notizia: una nuova voce ogni volta che "
    "nuove fonti o nuovi fatti la cambiano",
    "story_update": "{title} (aggiornamento {n})",
    "every_feed": "{site}: tutti i feed ({format})",
    "site_description": "Notizie, ognuna riassunta da tutte le testate che l’hanno coperta",
    "digest_subject": "{name}: {headline} — {date}",
    "digest_subject_more": "{name}: {headline} e altre {n} — {date}",
    "digest_empty": "nessuna nuova notizia",
    "digest_heading": "{name}: le notizie principali del giorno, {date}",
    "digest_lead": "Le notizie principali del giorno, {date}",
    "digest_updated": "Aggiornata",
    "digest_read": "Leggi la notizia",
    "digest_why": "Ricevete questa e-mail perché chi gestisce {site} vi ha aggiunto alla "
    "lista quotidiana di {name}.",
    "digest_leave": "Per annullare l’iscrizione, scrivete a {address}; dettagli: {url}",
    "digest_leave_html": "Per annullare l’iscrizione, scrivete a {address} ({link}).",
    "digest_how": "come funzionano le iscrizioni",
    "digest_list": "{name}: e-mail quotidiana",
    "subscribe_self_how": "Inserite il vostro indirizzo e-mail e vi invieremo un link di "
    "conferma. L’e-mail quotidiana parte quando lo seguite, così nessuno può iscrivere un "
    "indirizzo che non è suo.",
    "email_address": "Il vostro indirizzo e-mail",
    "unsubscribe_self_how": "Ogni e-mail finisce con un link che annulla subito l’iscrizione; "
    "i programmi di posta che offrono «annulla iscrizione» lo usano per voi.",
    "unsubscribe_listed_how": "Se vi ha iscritto il gestore del sito, scrivete a {address} "
    "e sarete cancellati.",
    "signup_sent_title": "Controllate la posta in arrivo",
    "signup_sent": "Se {address} può ricevere e-mail, è in arrivo un link per confermare "
    "l’iscrizione all’e-mail quotidiana di {name}. Vale 48 ore.",
    "signup_invalid": "Non possiamo scrivere a questo indirizzo. Controllatelo e riprovate.",
    "signup_busy": "Troppe iscrizioni in questo momento. Riprovate tra un’ora.",
    "confirm_title": "Confermate l’iscrizione",
    "confirm_ask": "Inviare l’e-mail quotidiana di {name} a {address}?",
    "confirm_button": "Conferma",
    "confirmed_title": "Iscrizione confermata",
    "confirmed": "{address} riceverà l’e-mail quotidiana di {name} dalla prossima.",
    "leave_ask": "Smettere di inviare l’e-mail quotidiana di {name} a {address}?",
    "left_title": "Iscrizione annullata",
    "left": "{address} non riceverà più l’e-mail quotidiana di {name}.",
    "link_invalid_title": "Link non valido",
    "link_invalid": "Questo link non è valido o è scaduto.",
    "confirm_subject": "Confermate l’iscrizione all’e-mail quotidiana di {name}",
    "confirm_asked": "Qualcuno, probabilmente voi, ha chiesto di inviare l’e-mail quotidiana di "
    "{name} di {site} a {address}.",
    "confirm_open": "Per confermare, aprite questo link entro 48 ore:",
    "confirm_not_you": "Se non siete stati voi, ignorate questa e-mail: non verrà inviato "
    "nient’altro e l’indirizzo sarà dimenticato.",
    "digest_why_self": "Ricevete questa e-mail perché vi siete iscritti all’e-mail quotidiana di "
    "{name} di {site}.",
    "digest_leave_self": "Per annullare l’iscrizione, aprite {url}",
    "digest_leave_link": "Annulla l’iscrizione a questa e-mail",
    "sources_title": "Fonti",
    "sources_lead": "Ogni notizia è riassunta dagli articoli di queste testate, così come i "
    "loro feed li pubblicano.",
    "sources_reports": (
        "{n} articolo negli ultimi 7 giorni",
        "{n} articoli negli ultimi 7 giorni",
    ),
    "sources_none": "Ancora nessuna fonte.",
    "sources_description": "{site}: le testate da cui sono riassunte le notizie",
}

_NL: dict[str, Template] = {
    "stories": "Verhalen",
    "footer": "Elk verhaal is samengevat uit de media die erover berichtten; volg de "
    "genummerde links om ze te lezen.",
    "all_feeds": "Alle feeds (OPML)",
    "search_stories": "Verhalen zoeken",
    "search_button": "Zoeken",
    "search_title": "Zoeken",
    "search_title_for": "Zoeken: {query}",
    "search_help": "Vindt de verhalen met elk woord (of een langer woord dat zo begint); "
    '"woorden tussen aanhalingstekens" als zinsdeel; -woord laat verhalen weg; OR vindt het '
    "ene of het andere.",
    "search_description": "{site}: zoeken",
    "search_opensearch": "{site}: de verhalen doorzoeken",
    "follow_search": "Deze zoekopdracht volgen:",
    "search_found": (
        "{n} verhaal past bij {query}, nieuwste eerst",
        "{n} verhalen passen bij {query}, nieuwste eerst",
    ),
    "search_none": "Geen verhalen passen bij {query}.",
    "quoted": "‘{text}’",
    "newer": "← Nieuwer",
    "older": "Ouder →",
    "more_important": "← Belangrijker",
    "less_important": "Meer →",
    "no_stories": "Nog geen verhalen.",
    "no_categories": "Nog geen categorieën.",
    "more_category": "Meer: {name}",
    "feeds": "Feeds:",
    "top_stories_link": "topverhalen",
    "category_page": "{name}, pagina {page}",
    "moved": "Deze pagina is verhuisd: {link}.",
    "updated_at": "bijgewerkt: {time}",
    "follow_story": "Dit verhaal volgen:",
    "story_updates": "Updates: {headline}",
    "image_credit": "Afbeelding: {outlet}",
    "sources": ("{n} bron", "{n} bronnen"),
    "not_found": "Niet gevonden",
    "nothing_here": "Op dit adres staat niets.",
    "front_page": "Naar de voorpagina",
    "unavailable": "Niet beschikbaar",
    "unavailable_text": "Deze pagina kan nu niet uit de nieuwsdatabase worden gelezen. Probeer "
    "het later opnieuw.",
    "digest_offer": "Elke dag een e-mail met meer verhalen uit {name}",
    "digest_page_title": "{name}: dagelijkse e-mail",
    "digest_when": (
        "Elke dag om {schedule} brengt de e-mail van {name} het belangrijkste verhaal van de "
        "dag: de samenvatting, de media waarop die berust en een link naar het hele verhaal "
        "hier. Een verhaal dat al is verstuurd, komt alleen terug als het verandert.",
        "Elke dag om {schedule} brengt de e-mail van {name} de {n} belangrijkste verhalen "
        "van de dag: elk met de samenvatting, de media waarop die berust en een link naar "
        "het hele verhaal hier. Verhalen die al zijn verstuurd, komen alleen terug als ze "
        "veranderen.",
    ),
    "subscribe": "Abonneren",
    "subscribe_how": "De abonnementen worden bijgehouden door de beheerders van deze site. "
    "Wie de e-mail wil ontvangen, schrijft naar {address} en vraagt om toegevoegd te worden "
    "aan de lijst van {name}. Er is geen aanmeldformulier, zodat niemand een adres kan "
    "aanmelden dat niet van hem is.",
    "unsubscribe": "Afmelden",
    "unsubscribe_how": "Schrijf naar {address} en u wordt verwijderd. E-mailprogramma’s die "
    "voor deze e-mail ‘afmelden’ aanbieden, sturen dat verzoek voor u.",
    "all_category_stories": "Alle verhalen uit {name}",
    "subscribe_subject": "aanmelden {name}",
    "unsubscribe_subject": "afmelden {name}",
    "all_stories": "Alle verhalen",
    "top_stories": "Topverhalen",
    "category_top": "{name}, topverhalen",
    "untitled_story": "Verhaal zonder titel",
    "untitled_source": "Bron zonder titel",
    "names_and_more": "{names} en {n} andere",
    "and": "en",
    "reported_by_names": "Gemeld door {names}.",
    "updated_details": "Bijgewerkt: nieuwe details",
    "updated_sources": ("Bijgewerkt: {n} nieuwe bron", "Bijgewerkt: {n} nieuwe bronnen"),
    "summary_based_on": (
        "Samenvatting op basis van {n} bron",
        "Samenvatting op basis van {n} bronnen",
    ),
    "reported_by_count": ("Gemeld door {n} bron", "Gemeld door {n} bronnen"),
    "reports": ("({n} bericht)", "({n} berichten)"),
    "same_text_as": "zelfde tekst als [{n}]",
    "same_text": "zelfde tekst",
    "more_sources": ("… en nog {n} bron.", "… en nog {n} bronnen."),
    "more_reports": (
        "… en nog {n} bericht van deze bronnen.",
        "… en nog {n} berichten van deze bronnen.",
    ),
    "no_summary": "Nog geen samenvatting beschikbaar.",
    "more_stories": "Meer verhalen",
    "kind_opinion": "Opinie",
    "kind_review": "Recensie",
    "kind_live": "Live",
    "kind_roundup": "Overzicht",
    "kind_prefix": "{kind}: {headline}",
    "colon": ":",
    "top_subtitle": (
        "{name}: verhalen waarover minstens {n} medium berichtte",
        "{name}: verhalen waarover minstens {n} media berichtten",
    ),
    "search_subtitle": "Verhalen die passen bij {query}, nieuwste eerst",
    "story_subtitle": "Elke update van dit verhaal: een nieuw item zodra nieuwe bronnen of "
    "feiten het veranderen",
    "story_update": "{title} (update {n})",
    "every_feed": "{site}: alle feeds ({format})",
    "site_description": "Nieuwsverhalen, elk samengevat uit alle media die erover berichtten",
    "digest_subject": "{name}: {headline} — {date}",
    "digest_subject_more": "{name}: {headline} en {n} andere — {date}",
    "digest_empty": "geen nieuwe verhalen",
    "digest_heading": "{name}: de belangrijkste verhalen van de dag, {date}",
    "digest_lead": "De belangrijkste verhalen van de dag, {date}",
    "digest_updated": "Bijgewerkt",
    "digest_read": "Lees het verhaal",
    "digest_why": "U krijgt deze e-mail omdat de beheerders van {site} u hebben toegevoegd "
    "aan de dagelijkse lijst van {name}.",
    "digest_leave": "Afmelden: schrijf naar {address}; meer uitleg: {url}",
    "digest_leave_html": "Afmelden: schrijf naar {address} ({link}).",
    "digest_how": "hoe abonnementen werken",
    "digest_list": "{name}: dagelijkse e-mail",
    "subscribe_self_how": "Vul je e-mailadres in en we sturen je een link om te bevestigen. "
    "De e-mail begint pas als je die volgt, zodat niemand een adres kan aanmelden dat niet "
    "van hem is.",
    "email_address": "Je e-mailadres",
    "unsubscribe_self_how": "Elke e-mail eindigt met een link die je meteen afmeldt; "
    "mailprogramma’s die „afmelden” aanbieden, gebruiken die voor je.",
    "unsubscribe_listed_how": "Heeft de beheerder van de site je zelf aangemeld, schrijf dan "
    "naar {address} en je wordt afgemeld.",
    "signup_sent_title": "Kijk in je inbox",
    "signup_sent": "Als {address} e-mail kan ontvangen, is er een link onderweg om je "
    "abonnement op de dagelijkse e-mail van {name} te bevestigen. Hij werkt 48 uur.",
    "signup_invalid": "Naar dit adres kunnen we niet schrijven. Controleer het en probeer het "
    "opnieuw.",
    "signup_busy": "Er melden zich nu te veel mensen aan. Probeer het over een uur opnieuw.",
    "confirm_title": "Bevestig je abonnement",
    "confirm_ask": "De dagelijkse e-mail van {name} naar {address} sturen?",
    "confirm_button": "Bevestigen",
    "confirmed_title": "Aangemeld",
    "confirmed": "{address} krijgt de dagelijkse e-mail van {name} vanaf de volgende.",
    "leave_ask": "De dagelijkse e-mail van {name} niet meer naar {address} sturen?",
    "left_title": "Afgemeld",
    "left": "{address} krijgt geen dagelijkse e-mail van {name} meer.",
    "link_invalid_title": "Link ongeldig",
    "link_invalid": "Deze link is ongeldig of verlopen.",
    "confirm_subject": "Bevestig je abonnement op de dagelijkse e-mail van {name}",
    "confirm_asked": "Iemand, waarschijnlijk jij, heeft gevraagd om de dagelijkse e-mail van "
    "{name} van {site} naar {address} te sturen.",
    "confirm_open": "Open deze link binnen 48 uur om te bevestigen:",
    "confirm_not_you": "Was jij het niet, negeer deze e-mail dan: er wordt niets meer gestuurd "
    "en het adres wordt vergeten.",
    "digest_why_self": "Je krijgt deze e-mail omdat je je hebt aangemeld voor de dagelijkse "
    "e-mail van {name} van {site}.",
    "digest_leave_self": "Open {url} om je af te melden",
    "digest_leave_link": "Afmelden voor deze e-mail",
    "sources_title": "Bronnen",
    "sources_lead": "Elk verhaal hier is samengevat uit de berichten van deze media, zoals hun "
    "feeds ze publiceren.",
    "sources_reports": (
        "{n} bericht in de laatste 7 dagen",
        "{n} berichten in de laatste 7 dagen",
    ),
    "sources_none": "Nog geen bronnen.",
    "sources_description": "{site}: de media waaruit de verhalen zijn samengevat",
}

_PT: dict[str, Template] = {
    "stories": "Notícias",
    "footer": "Cada notícia é resumida a partir dos meios que a cobriram; siga os links "
    "numerados para os ler.",
    "all_feeds": "Todos os feeds (OPML)",
    "search_stories": "Pesquisar notícias",
    "search_button": "Pesquisar",
    "search_title": "Pesquisa",
    "search_title_for": "Pesquisa: {query}",
    "search_help": "Encontra as notícias com cada palavra (ou uma mais longa que comece "
    'assim); "palavras entre aspas" como frase; -palavra exclui notícias; OR aceita '
    "qualquer uma das duas.",
    "search_description": "{site}: pesquisa",
    "search_opensearch": "{site}: pesquisar nas notícias",
    "follow_search": "Seguir esta pesquisa:",
    "search_found": (
        "{n} notícia corresponde a {query}, as mais recentes primeiro",
        "{n} notícias correspondem a {query}, as mais recentes primeiro",
    ),
    "search_none": "Nenhuma notícia corresponde a {query}.",
    "quoted": "“{text}”",
    "newer": "← Mais recentes",
    "older": "Mais antigas →",
    "more_important": "← Mais importantes",
    "less_important": "Mais →",
    "no_stories": "Ainda não há notícias.",
    "no_categories": "Ainda não há categorias.",
    "more_category": "Mais: {name}",
    "feeds": "Feeds:",
    "top_stories_link": "notícias principais",
    "category_page": "{name}, página {page}",
    "moved": "Esta página mudou de endereço: {link}.",
    "updated_at": "atualizada: {time}",
    "follow_story": "Seguir esta notícia:",
    "story_updates": "Atualizações: {headline}",
    "image_credit": "Imagem: {outlet}",
    "sources": ("{n} fonte", "{n} fontes"),
    "not_found": "Não encontrado",
    "nothing_here": "Não há nada neste endereço.",
    "front_page": "Ir para a página inicial",
    "unavailable": "Indisponível",
    "unavailable_text": "Neste momento não é possível ler esta página da base de notícias. "
    "Tente novamente mais tarde.",
    "digest_offer": "Receba todos os dias um e-mail com mais notícias de {name}",
    "digest_page_title": "{name}: e-mail diário",
    "digest_when": (
        "Todos os dias às {schedule}, o e-mail de {name} traz a notícia principal do dia: o "
        "seu resumo, os meios em que se baseia e um link para a notícia completa aqui. Uma "
        "notícia já enviada só volta se mudar.",
        "Todos os dias às {schedule}, o e-mail de {name} traz as {n} notícias principais do "
        "dia: cada uma com o seu resumo, os meios em que se baseia e um link para a notícia "
        "completa aqui. As notícias já enviadas só voltam se mudarem.",
    ),
    "subscribe": "Subscrever",
    "subscribe_how": "As subscrições são geridas por quem administra este site. Para "
    "receber o e-mail, escreva para {address} e peça para ser adicionado à lista de {name}. "
    "Não há formulário de inscrição, para que ninguém possa inscrever um endereço que não "
    "seja seu.",
    "unsubscribe": "Cancelar a subscrição",
    "unsubscribe_how": "Escreva para {address} e será removido. Os programas de e-mail que "
    "oferecem “cancelar subscrição” para este e-mail enviam esse pedido por si.",
    "all_category_stories": "Todas as notícias de {name}",
    "subscribe_subject": "subscrever {name}",
    "unsubscribe_subject": "cancelar {name}",
    "all_stories": "Todas as notícias",
    "top_stories": "Notícias principais",
    "category_top": "{name}, notícias principais",
    "untitled_story": "Notícia sem título",
    "untitled_source": "Fonte sem título",
    "names_and_more": "{names} e mais {n}",
    "and": "e",
    "reported_by_names": "Noticiada por {names}.",
    "updated_details": "Atualizada: novos pormenores",
    "updated_sources": ("Atualizada: {n} fonte nova", "Atualizada: {n} fontes novas"),
    "summary_based_on": ("Resumo baseado em {n} fonte", "Resumo baseado em {n} fontes"),
    "reported_by_count": ("Noticiada por {n} fonte", "Noticiada por {n} fontes"),
    "reports": ("({n} artigo)", "({n} artigos)"),
    "same_text_as": "mesmo texto que [{n}]",
    "same_text": "mesmo texto",
    "more_sources": ("… e mais {n} fonte.", "… e mais {n} fontes."),
    "more_reports": (
        "… e mais {n} artigo destas fontes.",
        "… e mais {n} artigos destas fontes.",
    ),
    "no_summary": "Resumo ainda não disponível.",
    "more_stories": "Mais notícias",
    "kind_opinion": "Opinião",
    "kind_review": "Crítica",
    "kind_live": "Ao vivo",
    "kind_roundup": "Resumo",
    "kind_prefix": "{kind}: {headline}",
    "colon": ":",
    "top_subtitle": (
        "{name}: notícias cobertas por pelo menos {n} meio",
        "{name}: notícias cobertas por pelo menos {n} meios",
    ),
    "search_subtitle": "Notícias que correspondem a {query}, as mais recentes primeiro",
    "story_subtitle": "Cada atualização desta notícia: um novo item sempre que novas fontes "
    "ou factos a mudam",
    "story_update": "{title} (atualização {n})",
    "every_feed": "{site}: todos os feeds ({format})",
    "site_description": "Notícias, cada uma resumida a partir de todos os meios que a cobriram",
    "digest_subject": "{name}: {headline} — {date}",
    "digest_subject_more": "{name}: {headline} e mais {n} — {date}",
    "digest_empty": "sem notícias novas",
    "digest_heading": "{name}: as notícias principais do dia, {date}",
    "digest_lead": "As notícias principais do dia, {date}",
    "digest_updated": "Atualizada",
    "digest_read": "Ler a notícia",
    "digest_why": "Recebe este e-mail porque quem gere {site} o adicionou à lista diária de "
    "{name}.",
    "digest_leave": "Para cancelar a subscrição, escreva para {address}; detalhes: {url}",
    "digest_leave_html": "Para cancelar a subscrição, escreva para {address} ({link}).",
    "digest_how": "como funcionam as subscrições",
    "digest_list": "{name}: e-mail diário",
    "subscribe_self_how": "Escreva o seu endereço de e-mail e enviamos-lhe uma ligação para "
    "confirmar. O e-mail diário começa quando a seguir, para que ninguém possa inscrever um "
    "endereço que não seja seu.",
    "email_address": "O seu endereço de e-mail",
    "unsubscribe_self_how": "Cada e-mail termina com uma ligação que cancela a subscrição de "
    "imediato; os programas de e-mail que oferecem «cancelar subscrição» usam-na por si.",
    "unsubscribe_listed_how": "Se foi o responsável do site a incluí-lo na lista, escreva para "
    "{address} e a subscrição será cancelada.",
    "signup_sent_title": "Veja a sua caixa de entrada",
    "signup_sent": "Se {address} puder receber e-mails, vai a caminho uma ligação para "
    "confirmar a sua subscrição do e-mail diário de {name}. É válida durante 48 horas.",
    "signup_invalid": "Não podemos escrever para esse endereço. Verifique-o e tente de novo.",
    "signup_busy": "Há demasiadas inscrições neste momento. Tente de novo dentro de uma hora.",
    "confirm_title": "Confirme a sua subscrição",
    "confirm_ask": "Enviar o e-mail diário de {name} para {address}?",
    "confirm_button": "Confirmar",
    "confirmed_title": "Subscrição confirmada",
    "confirmed": "{address} recebe o e-mail diário de {name} a partir do próximo.",
    "leave_ask": "Deixar de enviar o e-mail diário de {name} para {address}?",
    "left_title": "Subscrição cancelada",
    "left": "{address} já não recebe o e-mail diário de {name}.",
    "link_invalid_title": "Ligação inválida",
    "link_invalid": "Esta ligação não é válida ou expirou.",
    "confirm_subject": "Confirme a sua subscrição do e-mail diário de {name}",
    "confirm_asked": "Alguém, provavelmente você, pediu que o e-mail diário de {name} de {site} "
    "fosse enviado para {address}.",
    "confirm_open": "Para confirmar, abra esta ligação nas próximas 48 horas:",
    "confirm_not_you": "Se não foi você, ignore este e-mail: não será enviado mais nada e o "
    "endereço será esquecido.",
    "digest_why_self": "Recebe este e-mail porque subscreveu o e-mail diário de {name} de {site}.",
    "digest_leave_self": "Para cancelar a subscrição, abra {url}",
    "digest_leave_link": "Cancelar a subscrição deste e-mail",
    "sources_title": "Fontes",
    "sources_lead": "Cada notícia é resumida a partir dos artigos destes meios, tal como os "
    "seus feeds os publicam.",
    "sources_reports": (
        "{n} artigo nos últimos 7 dias",
        "{n} artigos nos últimos 7 dias",
    ),
    "sources_none": "Ainda não há fontes.",
    "sources_description": "{site}: os meios a partir dos quais as notícias são resumidas",
}


@dataclass(frozen=True)
class _Calendar:
    """How a language writes a date: month names, and where the day goes."""

    months: tuple[str, ...]  # January … December
    short_months: tuple[str, ...]  # Jan … Dec
    long: str  # "{month} {day}, {year}": a whole date
    day_month: str  # "{month} {day}": a date in the current year, with its full month
    short: str  # "{month} {day}": a short date beside a time ("Dec 5, 21:28")
    first: str = "1"  # how the first of a month is written ("1er" in French)


def _calendar(months: str, short_months: str, *formats: str, first: str = "1") -> _Calendar:
    """A `_Calendar` of month names written one after another, space apart."""
    long, day_month, short = formats
    return _Calendar(
        tuple(months.split()), tuple(short_months.split()), long, day_month, short, first
    )


_CALENDARS: dict[str, _Calendar] = {
    "en": _calendar(
        "January February March April May June July August September October November December",
        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
        "{month} {day}, {year}",
        "{month} {day}",
        "{month} {day}",
    ),
    "de": _calendar(
        "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.",
        "{day}. {month} {year}",
        "{day}. {month}",
        "{day}. {month}",
    ),
    "fr": _calendar(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
        "{day} {month} {year}",
        "{day} {month}",
        "{day} {month}",
        first="1er",
    ),
    "es": _calendar(
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "ene. feb. mar. abr. may. jun. jul. ago. sept. oct. nov. dic.",
        "{day} de {month} de {year}",
        "{day} de {month}",
        "{day} {month}",
    ),
    "it": _calendar(
        "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
        "novembre dicembre",
        "gen feb mar apr mag giu lug ago set ott nov dic",
        "{day} {month} {year}",
        "{day} {month}",
        "{day} {month}",
        first="1º",
    ),
    "nl": _calendar(
        "januari februari maart april mei juni juli augustus september oktober november december",
        "jan. feb. mrt. apr. mei jun. jul. aug. sep. okt. nov. dec.",
        "{day} {month} {year}",
        "{day} {month}",
        "{day} {month}",
    ),
    "pt": _calendar(
        "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
        "jan. fev. mar. abr. mai. jun. jul. ago. set. out. nov. dez.",
        "{day} de {month} de {year}",
        "{day} de {month}",
        "{day} {month}",
    ),
}

_CATALOGUES: dict[str, dict[str, Template]] = {
    "en": _EN,
    "de": _DE,
    "fr": _FR,
    "es": _ES,
    "it": _IT,
    "nl": _NL,
    "pt": _PT,
}
LANGUAGES: tuple[str, ...] = tuple(sorted(_CATALOGUES))  # those with words of their own

# How a stored source label (`item_kinds.KIND_LABELS`) is said.
_KIND_KEYS = {
    "Opinion": "kind_opinion",
    "Review": "kind_review",
    "Live": "kind_live",
    "Round-up": "kind_roundup",
}


@dataclass(frozen=True)
class Words:
    """One language's words (`words_for`)."""

    language: str  # the catalogue's ("en" for a language without one)
    _text: Mapping[str, Template]
    _calendar: _Calendar

    def __call__(self, key: str, /, **fields: object) -> str:
        """The text `key` with its fields filled in: words("more_category", name="Sport")."""
        template = self._text[key]
        if isinstance(template, tuple):
            raise TypeError(f"{key!r} is counted: use Words.count")
        return template.format(**fields) if fields else template

    def count(self, key: str, n: int, /, **fields: object) -> str:
        """A counted text, singular or plural for `n`: count("sources", 3) → "3 sources"."""
        template = self._text[key]
        if isinstance(template, str):
            return template.format(n=n, **fields)
        return template[0 if self._singular(n) else 1].format(n=n, **fields)

    def _singular(self, n: int) -> bool:
        # French takes the singular for 0 and 1 ("0 source"); the others for 1 alone.
        return n in (0, 1) if self.language == "fr" else n == 1

    def date(self, moment: datetime) -> str:
        """ "February 12, 2025", "12. Februar 2025": the day in `moment`'s own zone."""
        cal = self._calendar
        return cal.long.format(
            month=cal.months[moment.month - 1], day=self._day(moment.day), year=moment.year
        )

    def day_month(self, moment: datetime) -> str:
        """ "February 12", "12. Februar": the day and its whole month, without the year."""
        cal = self._calendar
        return cal.day_month.format(month=cal.months[moment.month - 1], day=self._day(moment.day))

    def short_date(self, moment: datetime) -> str:
        """ "Feb 12", "12 févr.": a short date, beside a time."""
        cal = self._calendar
        return cal.short.format(month=cal.short_months[moment.month - 1], day=self._day(moment.day))

    def _day(self, day: int) -> str:
        return self._calendar.first if day == 1 else str(day)

    def listed(self, names: Sequence[str], shown: int = 3) -> str:
        """ "A, B and C"; past `shown` names "A, B, C and 2 more" ("" for none)."""
        names = list(names)
        if not names:
            return ""
        more = len(names) - shown
        if more > 0:
            return self("names_and_more", names=", ".join(names[:shown]), n=more)
        if len(names) == 1:
            return names[0]
        return f"{', '.join(names[:-1])} {self('and')} {names[-1]}"

    def kind(self, label: str) -> str:
        """A stored source label ("Opinion", "Live") in this language; another as it is."""
        key = _KIND_KEYS.get(label)
        return self(key) if key is not None else label

    def quoted(self, text: str) -> str:
        """`text` in this language's quotation marks: “…”, „…“, « … »."""
        return self("quoted", text=text)


def primary_subtag(language: str) -> str:
    """A language tag's primary subtag, in lower case: "de-AT" → "de"."""
    return language.split("-")[0].split("_")[0].lower()


@functools.cache
def words_for(language: str) -> Words:
    """The words of `language` (a BCP 47 tag: its primary subtag decides; English when this
    module has no catalogue for it)."""
    primary = primary_subtag(language)
    if primary not in _CATALOGUES:
        primary = "en"
    return Words(primary, _CATALOGUES[primary], _CALENDARS[primary])


def has_words(language: str) -> bool:
    """Whether `language` has a catalogue of its own (else its pages read English)."""
    return primary_subtag(language) in _CATALOGUES
