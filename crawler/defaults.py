"""Every GOVCRAWL_* setting default, in one place; crawler.settings imports them all."""

from __future__ import annotations

# --- Redis -------------------------------------------------------------------------------------
GOVCRAWL_REDIS_URL = "redis://127.0.0.1:6479/0"  # scripts/services.sh starts a local Redis here
GOVCRAWL_REDIS_PREFIX = "govcrawl"  # every key is <prefix>:<area>:<id>; tests set their own prefix
GOVCRAWL_REDIS_RETRY_MAX_SECONDS = 30.0  # longest wait between reconnect attempts when Redis is down

# --- Elasticsearch -----------------------------------------------------------------------------
GOVCRAWL_ES_ENABLED = True
GOVCRAWL_ES_BATCH_SIZE = 500  # documents per bulk request
GOVCRAWL_ES_CA_CERTS: str | None = None
GOVCRAWL_ES_FLUSH_SECONDS = 2.0  # a partly full batch is sent after this long
GOVCRAWL_ES_INDEX_PREFIX = "govcrawl"  # indices are <prefix>-sites, <prefix>-pages, ...
GOVCRAWL_ES_MAX_RETRIES = 5  # retries of a rejected (429/5xx) document before it is spooled
GOVCRAWL_ES_PASSWORD: str | None = None
GOVCRAWL_ES_REQUEST_TIMEOUT_SECONDS = 30.0
GOVCRAWL_ES_SPOOL_DIR = "run/spool"  # durable buffer for documents Elasticsearch could not take
GOVCRAWL_ES_URL = "http://127.0.0.1:9250"  # scripts/services.sh starts a local Elasticsearch here
GOVCRAWL_ES_USER: str | None = None

# --- Frontier (distributed queue, leases, revisit schedule) ----------------------------------------
GOVCRAWL_FRONTIER_ARTICLE_SECONDS = 30 * 86400.0  # articles are refetched this rarely
GOVCRAWL_FRONTIER_COLUMN_MAX_SECONDS = 7 * 86400.0  # slowest revisit of an unchanging column page
GOVCRAWL_FRONTIER_COLUMN_MIN_SECONDS = 3600.0  # fastest revisit of a column page that keeps changing
GOVCRAWL_FRONTIER_CYCLE_SECONDS = 86400.0  # a full crawl of every site, link checks included, this often
GOVCRAWL_FRONTIER_HEARTBEAT_SECONDS = 2.0  # lease renewal, rebalancing; a new worker waits this long
GOVCRAWL_FRONTIER_LEASE_SECONDS = 15.0  # a dead worker's shards are taken over after this long
GOVCRAWL_FRONTIER_MAX_STALL_SECONDS = 300.0  # a worker whose reactor is blocked longer lets its leases go
GOVCRAWL_FRONTIER_PREFETCH = 256  # requests a worker keeps buffered from its shards
GOVCRAWL_FRONTIER_PROBE_SECONDS = 3600.0  # home-page availability probes (>= 20 a day: at most 4320)
GOVCRAWL_FRONTIER_SEEN_BUCKETS = 64  # seen-set hashes per shard; size for ~500-1000 URLs per bucket
GOVCRAWL_FRONTIER_SHARDS = 64  # fixed per cluster: hosts are spread over this many leased shards

# --- Metrics (worker endpoint) and the site-state exporter ----------------------------------------
GOVCRAWL_METRICS_ENABLED = True
GOVCRAWL_METRICS_ADDRESS = "127.0.0.1"  # bind address of each worker's /metrics
GOVCRAWL_METRICS_PORT = 9411  # first port tried; 0 = any free port (bound port logged and stored in Redis)
GOVCRAWL_METRICS_PORT_TRIES = 10  # workers on one host take 9411, 9412, ... up to this many ports
GOVCRAWL_EXPORTER_ADDRESS = "127.0.0.1"
GOVCRAWL_EXPORTER_BATCH_SIZE = 500  # sites built per round of Elasticsearch searches
GOVCRAWL_EXPORTER_PORT = 9410
GOVCRAWL_EXPORTER_REFRESH_SECONDS = 60.0  # site state rebuilt from Elasticsearch this often

# --- Crawl safety and politeness ----------------------------------------------------------------
GOVCRAWL_ALLOWED_NETWORKS = ""  # CIDRs of private networks that may be fetched, e.g. 127.0.0.0/8
GOVCRAWL_CRAWL_BACKDATED_DAYS = 7  # an item dated more than this before it was first seen may be backdated
GOVCRAWL_CRAWL_BACKDATED_GRACE_DAYS = 1  # ...if a list read more than this after its date missed it
GOVCRAWL_CRAWL_CONDITIONAL_ENABLED = True  # ETag / If-Modified-Since for column pages and attachments read
GOVCRAWL_CRAWL_CONCURRENCY_PER_HOST = 2  # in-flight requests per host, cluster-wide
GOVCRAWL_CRAWL_GC_THRESHOLDS = (20_000, 20, 10)  # a worker's gc.set_threshold; empty keeps (700, 10, 10)
GOVCRAWL_CRAWL_DELAY_SECONDS = 0.5  # pause between requests to one host (<= 2 requests/s)
GOVCRAWL_CRAWL_MAX_CHECKS_PER_HOST = 500  # link checks of one target host per cycle (0 = no limit)
GOVCRAWL_CRAWL_MAX_DEPTH = 8  # link hops from the home page
GOVCRAWL_CRAWL_MAX_PAGES_PER_SITE = 3000  # page budget of one site per cycle
GOVCRAWL_CRAWL_MAX_PAGE_LINKS = 5000  # anchors of one page analysed; the rest is cut off (PageItem.capped)
GOVCRAWL_CRAWL_MAX_PAGE_TEXT_CHARS = 2_000_000  # decoded characters of one page analysed
GOVCRAWL_CRAWL_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
GOVCRAWL_CRAWL_ROBOTS_ENABLED = True
GOVCRAWL_CRAWL_TIMEOUT_SECONDS = 15.0  # no complete response within this is a timeout (docs/checks.md)
GOVCRAWL_CRAWL_TRAP_MAX_SEGMENT_REPEATS = 2  # a path segment repeated more often than this is a trap
GOVCRAWL_CRAWL_TRAP_MIN_PAGES = 8  # pages of a URL pattern fetched before it can be closed as a trap
GOVCRAWL_CRAWL_TRAP_REPEAT_RATIO = 0.75  # share of a pattern's pages repeating earlier ones that closes it
GOVCRAWL_CRAWL_TRAP_SIMILARITY = 0.8  # own-content similarity (Jaccard) at which a page repeats another
GOVCRAWL_CRAWL_USER_AGENT = "govcrawl/0.1 (+government website monitoring)"

# --- Content checks: wording, banned terms, dark links, attachments (docs/content-checks.md) ----------
GOVCRAWL_CONTENT_ENABLED = True
GOVCRAWL_CONTENT_ATTACHMENT_MAX_BYTES = 4 * 1024 * 1024  # GET cut here: larger files are only link-checked
GOVCRAWL_CONTENT_ATTACHMENT_MAX_CHARS = 200_000  # text read from one attachment
GOVCRAWL_CONTENT_ATTACHMENT_MAX_SECONDS = 5.0  # text extraction of one attachment stops after this
GOVCRAWL_CONTENT_DICTIONARY_DIR = "crawler/extract/dictionaries"  # editable; relative to the project
GOVCRAWL_CONTENT_HOME_CHANGE_SIMILARITY = 0.2  # home links and text both less alike than this: defacement?

# --- Service credentials and TLS (docs/deployment.md; each is read from the environment too) ----------
GOVCRAWL_ES_API_KEY: str | None = None  # encoded API key (base64 id:key); used instead of user/password
GOVCRAWL_REDIS_CA_CERTS: str | None = None  # CA file that signed Redis's certificate (rediss:// URLs)
GOVCRAWL_REDIS_CLIENT_CERT: str | None = None  # client certificate, if Redis asks for one (tls-auth-clients)
GOVCRAWL_REDIS_CLIENT_KEY: str | None = None  # private key of GOVCRAWL_REDIS_CLIENT_CERT
GOVCRAWL_REDIS_PASSWORD: str | None = None  # AUTH password (of GOVCRAWL_REDIS_USERNAME, or the default user)
GOVCRAWL_REDIS_SENTINELS: str | None = None  # host:port,... of Redis Sentinels naming the primary (failover)
GOVCRAWL_REDIS_SENTINEL_PASSWORD: str | None = None  # the Sentinels' own password, if they have one
GOVCRAWL_REDIS_SENTINEL_SERVICE = "govcrawl"  # the primary's name in Sentinel (sentinel monitor NAME ...)
GOVCRAWL_REDIS_USERNAME: str | None = None  # ACL user; unset = Redis's default user

# --- Case ledger, notification and the quarterly report (docs/cases.md) ----------------------------
GOVCRAWL_CASES_DUE_DAYS_VETO = 7  # days an owner has to fix a veto case (单项否决) once it is found
GOVCRAWL_CASES_DUE_DAYS_DEDUCTION = 30  # days to fix a deduction case (扣分项)
GOVCRAWL_CASES_REPEAT_COUNT = 3  # a site with this many cases of one check in the window is a repeat offender
GOVCRAWL_CASES_REPEAT_QUARTERS = 4  # the window: this quarter and the ones before it
GOVCRAWL_QUARTERLY_MIN_FRACTION = 0.2  # share of a city's sites its quarterly spot check must cover
