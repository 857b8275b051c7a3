"""The database schema as append-only, named migrations (sqlite-utils' Migrations).

Never edit a migration that has shipped: add a new one below it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .migration_set import MigrationSet

if TYPE_CHECKING:
    from sqlite_utils import Database

migrations = MigrationSet("aggregator")  # applied by sqlite-utils' Migrations


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    db.table("sources").create(
        {
            "url": str,
            "title": str,
            "category": str,
            "html_url": str,
            "position": int,
            "active": int,
            "added_at": str,
        },
        pk="url",
        not_null={"url", "category"},
        defaults={"active": 1, "position": 0},
    )
    db.table("feeds").create(
        {
            "url": str,
            "etag": str,
            "last_modified": str,
            "body_hash": str,
            "status": str,
            "http_status": int,
            "error": str,
            "error_count": int,
            "last_polled_at": str,
            "last_success_at": str,
            "next_poll_at": str,
            "moved_to": str,
            "title": str,
            "link": str,
        },
        pk="url",
        not_null={"url"},
        defaults={"error_count": 0},
    )
    db.table("feeds").create_index(["next_poll_at"])
    db.table("stories").create(
        {
            "id": str,
            "category": str,
            "headline": str,
            "first_seen": str,
            "updated": str,
            "last_item_at": str,
            "version": int,
            "dirty": int,
            "fingerprint": str,
            "merged_into": str,
        },
        pk="id",
        not_null={"id"},
        defaults={"version": 0, "dirty": 1},
    )
    db.table("stories").create_index(["updated"])
    db.table("stories").create_index(["dirty"])
    db.table("items").create(
        {
            "id": str,
            "feed_url": str,
            "guid": str,
            "url": str,
            "canonical_url": str,
            "title": str,
            "text": str,
            "author": str,
            "published": str,
            "updated": str,
            "first_seen": str,
            "outlet": str,
            "outlet_name": str,
            "category": str,
            "content_hash": str,
            "story_id": str,
            "duplicate_of": str,
        },
        pk="id",
        not_null={"id", "feed_url", "guid"},
        foreign_keys=[("story_id", "stories", "id")],
    )
    db.table("items").create_index(["feed_url", "guid"], unique=True)
    db.table("items").create_index(["canonical_url"])
    db.table("items").create_index(["content_hash"])
    db.table("items").create_index(["guid"])
    db.table("items").create_index(["story_id"])
    db.table("items").create_index(["published"])
    db.table("story_categories").create(
        {"story_id": str, "category": str, "weight": float},
        pk=("story_id", "category"),
        foreign_keys=[("story_id", "stories", "id")],
    )
    db.table("story_categories").create_index(["category"])
    db.table("summaries").create(
        {
            "story_id": str,
            "version": int,
            "headline": str,
            "bullets": str,  # JSON: [{"text": …, "sources": [index, …]}]
            "sources": str,  # JSON: [{"outlet", "title", "url", "published", "item_id"}]
            "outlet_count": int,
            "method": str,
            "created": str,
        },
        pk="story_id",
        foreign_keys=[("story_id", "stories", "id")],
    )
    db.table("meta").create({"key": str, "value": str}, pk="key")


@migrations(name="digest_0001_runs_and_sent_stories")
def digest_tables(db: Database) -> None:
    # One row per category and local day: the digest's delivery state (sent once per day).
    db.table("digest_runs").create(
        {
            "category": str,
            "day": str,  # local date, YYYY-MM-DD
            "status": str,  # sending | sent | failed | empty
            "attempts": int,
            "next_attempt_at": str,
            "last_attempt_at": str,
            "sent_at": str,
            "error": str,
            "message_id": str,
            "stories": int,
            "recipients": int,
        },
        pk=("category", "day"),
        not_null={"category", "day", "status"},
        defaults={"attempts": 0},
    )
    # The newest version of each story a category's digest has carried (no repeats).
    db.table("digest_stories").create(
        {"category": str, "story_id": str, "version": int, "day": str, "sent_at": str},
        pk=("category", "story_id"),
        not_null={"category", "story_id", "version"},
    )


@migrations(name="issue6_stories_summary_inputs")
def stories_summary_inputs(db: Database) -> None:
    """A key of the items a story's summary was written from: a story whose summary inputs
    did not change (a duplicate joined, its feed moved category) is not summarised again."""
    db.table("stories").add_column("summary_inputs", str)


@migrations(name="publish_0001_story_added_sources")
def story_added_sources(db: Database) -> None:
    """How many outlets a story's latest material update added ("Updated: 2 new sources")."""
    db.table("stories").add_column("added_sources", int, not_null_default=0)


@migrations(name="articles_0001_article_pages")
def article_pages(db: Database) -> None:
    """One row per item whose article page was considered: never fetched twice."""
    db.table("articles").create(
        {
            "item_id": str,
            "url": str,
            "status": str,  # ok | feed (feed text suffices) | skipped | failed | blocked | empty
            "error": str,
            "text": str,
            "chars": int,
            "fetched_at": str,
        },
        pk="item_id",
        not_null={"item_id", "status"},
    )
    db.table("articles").create_index(["status"])


@migrations(name="issue5_grouping_terms_and_near_keys")
def grouping_terms_and_near_keys(db: Database) -> None:
    """Each item's grouping features (restoring the clusterer needs no tokenising), and the
    keys under which near-identical texts (wire copies) find each other."""
    db.table("items").add_column("grouping_terms", str)
    db.table("near_keys").create({"key": str, "item_id": str}, pk=("key", "item_id"))
    db.table("near_keys").create_index(["item_id"])
    db.table("stories").create_index(["merged_into"])


@migrations(name="retention_0001_pruned_items")
def pruned_items(db: Database) -> None:
    """Ids of items retention deleted, so an entry still in its feed is not stored again."""
    db.table("pruned_items").create({"id": str, "pruned_at": str}, pk="id")
    db.table("pruned_items").create_index(["pruned_at"])


@migrations(name="publish_0002_feed_language")
def feed_language(db: Database) -> None:
    """The language a feed declares, the fallback for its stories' language."""
    db.table("feeds").add_column("language", str)


@migrations(name="articles_0002_regroup_queue")
def article_regroup_queue(db: Database) -> None:
    """Whether grouping has reconsidered an item with its article text (0: not yet). Pages
    fetched before this existed count as done."""
    db.table("articles").add_column("regrouped", int, not_null_default=0)
    db.execute("UPDATE articles SET regrouped = 1")
    db.execute("CREATE INDEX idx_articles_to_regroup ON articles(item_id) WHERE regrouped = 0")


@migrations(name="articles_0003_per_feed_switch")
def article_switch(db: Database) -> None:
    """Whether a feed's article pages may be fetched (its OPML outline's `articles`)."""
    db.table("sources").add_column("articles", int, not_null_default=1)


@migrations(name="grouping_0001_item_furniture")
def item_furniture(db: Database) -> None:
    """Whether grouping found an item's text to be a page's furniture (an archive notice
    repeated under unrelated titles): such an item supplies no story's summary."""
    db.table("items").add_column("furniture", int, not_null_default=0)


@migrations(name="grouping_0002_articles_asked_again")
def articles_asked_again(db: Database) -> None:
    """Finds the article texts grouping is to weigh once more against the next batch's
    (`articles.regrouped` = 2) without reading every page."""
    db.execute("CREATE INDEX idx_articles_ask_again ON articles(item_id) WHERE regrouped = 2")


@migrations(name="issue6_items_duplicates_index")
def items_duplicates_index(db: Database) -> None:
    """Finds an item's duplicates without reading the whole items table (moving an item with
    its duplicates to another story); only duplicates are indexed."""
    db.execute(
        "CREATE INDEX idx_items_duplicate_of ON items(duplicate_of) WHERE duplicate_of IS NOT NULL"
    )


_BUMP = "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'grouping_generation'"


@migrations(name="issue6_grouping_generation")
def grouping_generation(db: Database) -> None:
    """A counter of changes to what the grouping window reflects (an item's story, duplicate,
    furniture or features; a grouped item deleted; a story added, deleted or merged), bumped by
    triggers whoever writes; new items waiting for a story do not bump it. With the store's
    random id it tells whether a grouping snapshot still matches the store
    (`grouping_snapshot`)."""
    db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('grouping_generation', '0')")
    db.execute(
        "INSERT OR IGNORE INTO meta(key, value) VALUES ('store_id', lower(hex(randomblob(16))))"
    )
    changed = " OR ".join(
        f"old.{c} IS NOT new.{c}"
        for c in ("story_id", "duplicate_of", "furniture", "grouping_terms")
    )
    db.execute(
        "CREATE TRIGGER grouping_generation_items_update AFTER UPDATE OF story_id, duplicate_of, "
        f"furniture, grouping_terms ON items WHEN {changed} BEGIN {_BUMP}; END"
    )
    db.execute(
        "CREATE TRIGGER grouping_generation_items_delete AFTER DELETE ON items "
        f"WHEN old.story_id IS NOT NULL BEGIN {_BUMP}; END"
    )
    db.execute(
        f"CREATE TRIGGER grouping_generation_stories_insert AFTER INSERT ON stories "
        f"BEGIN {_BUMP}; END"
    )
    db.execute(
        f"CREATE TRIGGER grouping_generation_stories_delete AFTER DELETE ON stories "
        f"BEGIN {_BUMP}; END"
    )
    db.execute(
        "CREATE TRIGGER grouping_generation_stories_merge AFTER UPDATE OF merged_into ON stories "
        f"WHEN old.merged_into IS NOT new.merged_into BEGIN {_BUMP}; END"
    )


@migrations(name="history_0001_items_first_seen")
def items_first_seen(db: Database) -> None:
    """Finds the items of grouping's active window (first seen in the last days) without
    reading every stored item: restoring the window costs what the window holds, not what
    the history holds."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_items_first_seen ON items(first_seen)")


@migrations(name="history_0002_published_stories")
def published_stories(db: Database) -> None:
    """The published stories in the order feeds and pages list them (newest change first):
    the all-stories feed reads its newest stories and stops, however many are stored."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_stories_published "
        "ON stories(updated DESC, first_seen DESC, id) WHERE version > 0"
    )


@migrations(name="history_0003_items_by_feed")
def items_by_feed(db: Database) -> None:
    """A feed's item ids, and its items marked as furniture, without reading the items:
    `aggregator status` counts each feed's items and article pages from these."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_items_feed_id ON items(feed_url, id)")
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_items_feed_furniture ON items(feed_url) WHERE furniture = 1"
    )


@migrations(name="grouping_0003_near_hashes")
def near_hashes(db: Database) -> None:
    """A grouped original's near-duplicate shingle hashes (`near_text.pack_hashes`, 4 bytes
    each), written as it is grouped: a later item that meets it as a duplicate candidate
    compares them without hashing its text again. Items grouped before have none (their
    texts are hashed as before)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS near_hashes (item_id TEXT PRIMARY KEY, hashes BLOB NOT NULL)"
    )


@migrations(name="history_0004_covered_stories")
def covered_stories(db: Database) -> None:
    """A story's outlet count beside it (`stories.outlets`, the summary's `outlet_count`), and
    the published stories several outlets covered in list order: the "top stories" feeds and
    the front page read the newest of them without walking every single-outlet story."""
    if "outlets" not in db.table("stories").columns_dict:
        db.execute("ALTER TABLE stories ADD COLUMN outlets INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE stories SET outlets = "
        "(SELECT outlet_count FROM summaries m WHERE m.story_id = stories.id) "
        "WHERE id IN (SELECT story_id FROM summaries WHERE outlet_count > 0)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_stories_covered "
        "ON stories(updated DESC, first_seen DESC, id) "
        "WHERE version > 0 AND outlets >= 2"
    )


@migrations(name="articles_0004_retries")
def article_retries(db: Database) -> None:
    """A page whose fetch failed for a passing reason (no answer, a timeout, a 5xx or 429, an
    unreachable robots.txt) is tried again: how many tries it had (`attempts`) and when the
    next is due (`retry_at`; NULL: never again). Pages tried before this are done."""
    if "attempts" not in db.table("articles").columns_dict:
        db.execute("ALTER TABLE articles ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1")
    if "retry_at" not in db.table("articles").columns_dict:
        db.execute("ALTER TABLE articles ADD COLUMN retry_at TEXT")
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_articles_retry ON articles(retry_at) "
        "WHERE retry_at IS NOT NULL"
    )


@migrations(name="articles_0005_sites")
def article_sites(db: Database) -> None:
    """What sites told the article job, kept across its processes (each `poll --once` from
    cron is one): a robots.txt answer per origin (`body` NULL: the site could not say, and
    `why`), asked again after its time to live, and until when a site that answered 429 or
    503 asked to be left alone."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS robots_answers (origin TEXT PRIMARY KEY, "
        "asked_at TEXT NOT NULL, body TEXT, why TEXT NOT NULL DEFAULT '')"
    )
    db.execute("CREATE TABLE IF NOT EXISTS site_holds (host TEXT PRIMARY KEY, until TEXT NOT NULL)")


@migrations(name="publish_0003_category_aliases")
def category_aliases(db: Database) -> None:
    """A renamed category's former slugs and the category each now leads to: links to its
    old pages and feeds are sent on (`category_renames`)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS category_aliases "
        "(slug TEXT PRIMARY KEY, category TEXT NOT NULL)"
    )


@migrations(name="retention_0002_pruned_ids_by_day")
def pruned_ids_by_day(db: Database) -> None:
    """Pruned item ids kept with the day they were pruned (days since 1970-01-01, UTC), not
    its ISO time: 67 bytes a row instead of 117. Kept a year at thousands a day, they grew
    the database more than anything else once retention ran. (A rowid table still: `recover`
    reads tables by rowid.) The ids in `pruned_items` stay there until forgotten: copying
    millions of them would hold the first start after an upgrade for minutes."""
    db.execute("CREATE TABLE IF NOT EXISTS pruned_ids (id TEXT PRIMARY KEY, day INTEGER NOT NULL)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_pruned_ids_day ON pruned_ids(day)")


@migrations(name="grouping_0004_item_terms")
def item_terms(db: Database) -> None:
    """An item's grouping features in a table of their own, written as it is grouped, and
    dropped by retention once the item left the active window (`store_upkeep.drop_terms`):
    in `items` they were ~40% of a row that grew by them after it was written (splitting its
    page) and stayed for as long as the item. `items.grouping_terms` of the rows written
    before stays, read where this table has none (`grouping_state`), until retention prunes
    them: emptying it would write every page of `items`, most of the database, at the first
    start after an upgrade.
    An insert or change bumps the grouping generation as a change of the column did; a delete
    does not (only terms of items outside the window, or of items deleted, go)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS item_terms (item_id TEXT PRIMARY KEY, terms TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TRIGGER IF NOT EXISTS grouping_generation_terms_insert AFTER INSERT ON "
        f"item_terms BEGIN {_BUMP}; END"
    )
    db.execute(
        "CREATE TRIGGER IF NOT EXISTS grouping_generation_terms_update AFTER UPDATE ON "
        f"item_terms WHEN old.terms IS NOT new.terms BEGIN {_BUMP}; END"
    )


@migrations(name="sources_0001_entry_rules")
def entry_rules(db: Database) -> None:
    """A feed's entry rules from the OPML (`exclude` and `include`, its category outlines'
    first): JSON lists of regular expressions, `[]` for none."""
    for column in ("exclude_rules", "include_rules"):
        if column not in db.table("sources").columns_dict:
            db.execute(f"ALTER TABLE sources ADD COLUMN {column} TEXT NOT NULL DEFAULT '[]'")


@migrations(name="sources_0002_poll_interval")
def poll_interval(db: Database) -> None:
    """A feed's own poll interval from the OPML (`interval`, the nearest outline's), in
    seconds; NULL: the settings' `[schedule] interval`."""
    if "interval_seconds" not in db.table("sources").columns_dict:
        db.execute("ALTER TABLE sources ADD COLUMN interval_seconds REAL")


@migrations(name="sources_0003_request_headers")
def request_headers(db: Database) -> None:
    """A feed's own User-Agent and Cookie from the OPML (`userAgent`, `cookie`, the nearest
    outline's); NULL: the settings' User-Agent and no cookie."""
    for column in ("user_agent", "cookie"):
        if column not in db.table("sources").columns_dict:
            db.execute(f"ALTER TABLE sources ADD COLUMN {column} TEXT")


@migrations(name="search_0001_story_index")
def story_search(db: Database) -> None:
    """Full-text search over the summaries (`search_index`): the FTS5 index, its row numbers
    and the triggers that keep them, filled from what is stored. Nothing without FTS5."""
    from .search_index import create, searchable

    if not searchable(db.execute):
        create(db.execute)


@migrations(name="publish_0004_pictures")
def pictures(db: Database) -> None:
    """An item's picture from its feed, and the one its story is shown with and the index of
    the source it is from (`entry_images`); NULL: none. Items stored before have none."""
    for table, column, kind in (
        ("items", "image", "TEXT"),
        ("summaries", "image", "TEXT"),
        ("summaries", "image_source", "INTEGER"),
    ):
        if column not in db[table].columns_dict:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


@migrations(name="publish_0005_site_pictures")
def site_pictures(db: Database) -> None:
    """Pictures that a feed's article pages give several of its items: its site's default
    for pages without a photo, never an item's (`store_articles`)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS site_pictures (feed_url TEXT NOT NULL, image TEXT NOT NULL, "
        "PRIMARY KEY (feed_url, image))"
    )


@migrations(name="sources_0004_pictures_switch")
def pictures_switch(db: Database) -> None:
    """Whether a feed's items keep their pictures (its OPML outline's `images`, or a
    category's; 1: on)."""
    if "images" not in db.table("sources").columns_dict:
        db.execute("ALTER TABLE sources ADD COLUMN images INTEGER NOT NULL DEFAULT 1")


@migrations(name="sources_0005_article_selector")
def article_selector(db: Database) -> None:
    """The CSS selector of a feed's article pages' text (its OPML outline's `selector`, or a
    category's); NULL: the extractor finds it (`articles.selected_text`)."""
    if "selector" not in db.table("sources").columns_dict:
        db.execute("ALTER TABLE sources ADD COLUMN selector TEXT")


@migrations(name="sources_0006_article_remove")
def article_remove(db: Database) -> None:
    """The CSS selector of what a feed's article pages' text leaves out (its OPML outline's
    `remove`, or a category's); NULL: nothing (`articles.without_elements`)."""
    if "remove" not in db.table("sources").columns_dict:
        db.execute("ALTER TABLE sources ADD COLUMN remove TEXT")


@migrations(name="sources_0007_paused")
def paused_sources(db: Database) -> None:
    """Whether a listed feed is paused (its OPML outline's `paused`, or a category's): not
    polled, its items kept (1), or polled (0)."""
    if "paused" not in db.table("sources").columns_dict:
        db.execute("ALTER TABLE sources ADD COLUMN paused INTEGER NOT NULL DEFAULT 0")


@migrations(name="publish_0006_withdrawn_version")
def withdrawn_version(db: Database) -> None:
    """The version a story had when it was withdrawn (NULL: never withdrawn while published):
    published again, it goes on from there, so its own feed never repeats an entry's id."""
    if "withdrawn_version" not in db.table("stories").columns_dict:
        db.execute("ALTER TABLE stories ADD COLUMN withdrawn_version INTEGER")


@migrations(name="digest_0002_subscribers")
def digest_subscribers(db: Database) -> None:
    """Readers who asked for a category's daily email themselves (`[digest] self_service`):
    `pending` until they follow the link sent to them, then `confirmed`; `asked`, when the
    last confirmation email went (one an hour). Unsubscribing deletes the row."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS digest_subscribers (category TEXT NOT NULL, "
        "address TEXT NOT NULL, state TEXT NOT NULL, since TEXT NOT NULL, asked TEXT, "
        "PRIMARY KEY (category, address))"
    )


@migrations(name="digest_0003_deliveries")
def digest_deliveries(db: Database) -> None:
    """Who took a day's digest (`reply` NULL) or was refused for good (the server's reply), so
    that a later attempt at the day goes only to the others; and how many digests in a row
    the server refused a reader who signed up on the site (`refusals`, the last `refused`)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS digest_deliveries (category TEXT NOT NULL, "
        "day TEXT NOT NULL, address TEXT NOT NULL, reply TEXT, "
        "PRIMARY KEY (category, day, address))"
    )
    columns = db.table("digest_subscribers").columns_dict
    if "refusals" not in columns:
        db.execute("ALTER TABLE digest_subscribers ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0")
    if "refused" not in columns:
        db.execute("ALTER TABLE digest_subscribers ADD COLUMN refused TEXT")


@migrations(name="grouping_0002_item_apart")
def item_apart(db: Database) -> None:
    """Whether the operator set an item apart from the story grouping put it in (an
    `apart` line of the withheld list): it stands alone, in a story nothing else joins."""
    if "apart" not in db.table("items").columns_dict:
        db.execute("ALTER TABLE items ADD COLUMN apart INTEGER NOT NULL DEFAULT 0")


@migrations(name="publish_0007_picture_checks")
def picture_checks(db: Database) -> None:
    """What a check of each picture a story was shown with found (`picture_checks`): `state`
    loads, failed or refused, the error, how many checks it had, when it was last asked and
    when to ask again (`retry`, NULL: never)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS picture_checks (url TEXT PRIMARY KEY, state TEXT NOT NULL, "
        "error TEXT, tries INTEGER NOT NULL, checked TEXT NOT NULL, retry TEXT)"
    )


@migrations(name="digest_0004_bounces")
def digest_bounces(db: Database) -> None:
    """Addresses the bounce mailbox says failed for good (`digest_bounces`): on how many days
    (`days`), the last one (`last_day`), what the last report said (`reason`), when it was
    recorded (`updated`), and whether a reader who signed up was unsubscribed for it."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS digest_bounces (address TEXT PRIMARY KEY, "
        "days INTEGER NOT NULL, last_day TEXT NOT NULL, reason TEXT, updated TEXT NOT NULL, "
        "unsubscribed INTEGER NOT NULL DEFAULT 0)"
    )


@migrations(name="polling_0001_body_fetched_at")
def body_fetched_at(db: Database) -> None:
    """When each feed last sent a body (a 200): a feed that has answered only 304 for a day is
    asked once without its validators (`feed_state.validators`). Unknown for the feeds polled
    before: their next poll asks so."""
    if "fetched_at" not in db.table("feeds").columns_dict:
        db.execute("ALTER TABLE feeds ADD COLUMN fetched_at TEXT")


@migrations(name="polling_0002_false_304_at")
def false_304_at(db: Database) -> None:
    """When each feed's server was last found answering 304 to the validators of a body it
    had since changed: such a feed is asked without them (`feed_state.check_304s`)."""
    if "false_304_at" not in db.table("feeds").columns_dict:
        db.execute("ALTER TABLE feeds ADD COLUMN false_304_at TEXT")


@migrations(name="polling_0003_websub")
def websub_subscriptions(db: Database) -> None:
    """The WebSub hub each feed names and the topic to subscribe to (`feeds.hub`, `topic`:
    `push.discover`), and this server's subscriptions at hubs (`push_subscriptions`, one row
    per callback `key`: its feed, hub, topic and secret, the callback address it was asked
    for, its `state` (`push.State`), when it
    was last asked for, its lease's end, failures in a row, when to ask again, the last
    error, and the last notification's time and how many came)."""
    columns = db.table("feeds").columns_dict
    for column in ("hub", "topic"):
        if column not in columns:
            db.execute(f"ALTER TABLE feeds ADD COLUMN {column} TEXT")
    db.execute(
        "CREATE TABLE IF NOT EXISTS push_subscriptions (key TEXT PRIMARY KEY, "
        "feed_url TEXT NOT NULL, hub TEXT NOT NULL, topic TEXT NOT NULL, secret TEXT NOT NULL, "
        "state TEXT NOT NULL, requested_at TEXT, lease_until TEXT, "
        "failures INTEGER NOT NULL DEFAULT 0, next_try_at TEXT, error TEXT, pushed_at TEXT, "
        "pushes INTEGER NOT NULL DEFAULT 0, callback TEXT NOT NULL DEFAULT '')"
    )


@migrations(name="search_0002_chinese_and_japanese_in_pairs")
def search_cjk_pairs(db: Database) -> None:
    """The search index made anew when it holds Chinese or Japanese: their text is indexed
    as pairs of characters now (`cjk_pairs`), and a search asks for pairs."""
    from .search_index import has_cjk_documents, rebuild, searchable

    if searchable(db.execute) and has_cjk_documents(db.execute):
        rebuild(db.execute)


@migrations(name="search_0003_arabic_without_the_article")
def search_arabic_bare(db: Database) -> None:
    """The search index made anew when it holds Arabic: its words are indexed without the
    article written onto them now (`bare_arabic`), and a search asks for them so."""
    from .search_index import has_arabic_documents, rebuild, searchable

    if searchable(db.execute) and has_arabic_documents(db.execute):
        rebuild(db.execute)


@migrations(name="polling_0004_asking_since")
def asking_since(db: Database) -> None:
    """Since when `run` has been asking each feed its pass left in flight (`feeds.asking_since`,
    NULL once its answer is stored): `status` says "asking for 23 s" of a feed that hangs."""
    if "asking_since" not in db.table("feeds").columns_dict:
        db.execute("ALTER TABLE feeds ADD COLUMN asking_since TEXT")


@migrations(name="sources_0008_outlet_names_without_sections")
def outlet_names_without_sections(db: Database) -> None:
    """Items named by their feed's own title whole ("BBC News - Home", as they were stored
    before `outlet_names.feed_title_name`) named as that feed's new items are ("BBC News"):
    else one outlet reads under both names in a story's byline and sources. Items the OPML
    names, or that name their own publisher, keep their names."""
    from .pipeline import opml_outlet_name, outlet_label

    rows = db.execute(
        "SELECT s.url, s.title, s.html_url, f.title, f.link FROM sources s "
        "JOIN feeds f ON f.url = s.url WHERE f.title IS NOT NULL"
    ).fetchall()
    for url, opml_title, html_url, feed_title, link in rows:
        whole = feed_title.strip()[:200]
        if not whole or opml_outlet_name(url, opml_title, html_url):
            continue
        name = outlet_label(url, opml_title, html_url, feed_title, link)
        if name != whole:
            db.execute(
                "UPDATE items SET outlet_name = ? WHERE feed_url = ? AND outlet_name = ?",
                [name, url, whole],
            )


@migrations(name="grouping_0005_item_language")
def item_language(db: Database) -> None:
    """Each item's declared language (`items.language`: its entry's, else its feed's
    `<language>`), which tells a Chinese text from a Japanese one where the script cannot (a
    headline in kanji alone). Items stored before take their feed's, as it stands now, where
    it names Japanese or Chinese (`cjk_script.declared_japanese`): no other declaration
    changes how a text is read, and rewriting every item's row cost an upgrade of 100,000
    items 5.6 s and a write-ahead log the size of the table."""
    from .cjk_script import declared_japanese

    if "language" not in db.table("items").columns_dict:
        db.execute("ALTER TABLE items ADD COLUMN language TEXT")
    feeds = db.execute("SELECT url, language FROM feeds WHERE language IS NOT NULL").fetchall()
    for url, language in feeds:
        if declared_japanese(language) is not None:
            db.execute(
                "UPDATE items SET language = ? WHERE feed_url = ? AND language IS NULL",
                [language, url],
            )


@migrations(name="sources_0009_outlet_names_without_listing_words")
def outlet_names_without_listing_words(db: Database) -> None:
    """Items named by their feed's own title as `feed_title_name` named them before it left
    out the words that say what a feed lists ("NPR Topics" of "NPR Topics: News") and a
    title that names a section only ("California" of latimes.com/california/), the title
    whole or a part it could choose (`former_names`), named as that feed's new items are.
    Items the OPML names, or that name their own publisher, keep their names (a part of a
    collecting feed's title no outlet name was chosen from may be a publisher's)."""
    from .outlet_names import former_names
    from .pipeline import opml_outlet_name, outlet_label, outlet_site

    rows = db.execute(
        "SELECT s.url, s.title, s.html_url, f.title, f.link FROM sources s "
        "JOIN feeds f ON f.url = s.url WHERE f.title IS NOT NULL"
    ).fetchall()
    for url, opml_title, html_url, feed_title, link in rows:
        whole = feed_title.strip()
        if not whole or opml_outlet_name(url, opml_title, html_url):
            continue
        name = outlet_label(url, opml_title, html_url, feed_title, link)
        site = outlet_site(url, html_url, link)
        former = {old[:200] for old in former_names(whole, site)}
        for old in sorted(former - {name, ""}):
            db.execute(
                "UPDATE items SET outlet_name = ? WHERE feed_url = ? AND outlet_name = ?",
                [name, url, old],
            )


@migrations(name="digest_0005_carried")
def digest_carried(db: Database) -> None:
    """The stories (id → version, JSON) a day's digest carried to the first readers who took
    it (`digest_runs.carried`, NULL until someone has it, and again once the day is settled):
    a later attempt at the day carries those, not the news come in since."""
    if "carried" not in db.table("digest_runs").columns_dict:
        db.execute("ALTER TABLE digest_runs ADD COLUMN carried TEXT")


@migrations(name="digest_0006_chosen_at")
def digest_chosen_at(db: Database) -> None:
    """When the attempt that first reached a reader chose the day's stories
    (`digest_runs.chosen_at`): the next day's window begins there, not at the day's last
    send, which a later attempt carrying those stories made later than the news it left."""
    if "chosen_at" not in db.table("digest_runs").columns_dict:
        db.execute("ALTER TABLE digest_runs ADD COLUMN chosen_at TEXT")


@migrations(name="retention_0003_pruned_stories")
def pruned_stories(db: Database) -> None:
    """The ids of the stories retention pruned, with the day (days since 1970-01-01, UTC),
    kept for `forget_after` as the items' are: the page and feed of such a story answer
    410 Gone, not 404, so feed readers following it stop asking."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS pruned_stories (id TEXT PRIMARY KEY, day INTEGER NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_pruned_stories_day ON pruned_stories(day)")
