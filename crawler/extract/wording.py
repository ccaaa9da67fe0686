"""Wrong words, wrong names, wrong posts and banned terms in a page's text (D-TYPO, V-SEVERE candidates).

The dictionaries are plain files operators edit (crawler/extract/dictionaries, docs/content-checks.md):
`*-terms.tsv` (wrong form, right form, kind, severity, longer correct words it may sit in), `leaders.tsv`
(name, post, other forms of the post, from, until) and `blocked-domains.txt`. Every term and leader name
goes into one Aho-Corasick automaton, built once per process and dictionary directory, so a page costs
one pass over its text whatever the size of the dictionaries.

Precision first: a false "serious error" on a government site is itself an incident. A wrong form inside
one of its listed longer correct words does not count; a leader's name is judged only beside a post of
the dictionary, never after 时任 / 原 / 前 nor in a sentence naming a year the person held the post,
and only when the name is not the start of a longer name.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, get_args

import ahocorasick

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

logger = logging.getLogger(__name__)

TermKind = Literal["typo", "name", "national", "leader", "banned", "gambling", "porn"]
Severity = Literal["serious", "ordinary"]
HitKind = Literal["typo", "name", "national", "leader", "post", "banned", "gambling", "porn"]

DEFAULT_DICTIONARY_DIR: Final = Path(__file__).parent / "dictionaries"
SPAM_KINDS: Final = frozenset({"gambling", "porn"})
BANNED_KINDS: Final = frozenset({"banned", "gambling", "porn"})
# In page text an advertisement shows itself by two different gambling/porn terms; one alone may be a
# notice quoting it.
SPAM_MIN_DISTINCT_TERMS: Final = 2
EVIDENCE_MAX_CHARS: Final = 120
_SENTENCE_ENDS: Final = frozenset("。！？!?；;\n")
# Words before a post that put it in the past (时任国务院总理李克强): never a wrong post.
_PAST_MARKERS: Final = ("时任", "原任", "原", "前任", "前", "曾任", "已故", "历任")
# Characters that may follow a leader's name; any other CJK character may continue a longer name (李强国).
_AFTER_NAME: Final = frozenset(
    "同主出在指强表说会等率签发对于作讲视考的一来是和与及向为到就将也都还亲专先代致回深听调宣接提"
)
_POST_WINDOW_CHARS: Final = 24
_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")


class DictionaryError(ValueError):
    """A dictionary file line an operator must fix; the message names the file, the line and the value."""


@dataclass(frozen=True, slots=True)
class Term:
    """One dictionary entry: a form to find, what should be written instead, and how grave it is."""

    form: str
    right: str
    kind: TermKind
    severity: Severity
    not_within: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Post:
    """A post a leader held from `start` until `end` (None: still held), with its other written forms."""

    name: str
    title: str
    forms: tuple[str, ...]
    start: date
    end: date | None

    def held_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def held_in(self, year: int) -> bool:
        return self.start.year <= year and (self.end is None or year <= self.end.year)


@dataclass(frozen=True, slots=True)
class WordingHit:
    """A suspected error in a text: what was found, what it should be, and the sentence it stands in."""

    kind: HitKind
    severity: Severity
    found: str
    right: str
    evidence: str


@dataclass(slots=True)
class Dictionaries:
    """The loaded dictionaries and the one automaton over every term and leader name."""

    terms: dict[str, Term] = field(default_factory=dict)
    posts: dict[str, list[Post]] = field(default_factory=dict)  # leader name -> posts
    blocked_domains: frozenset[str] = frozenset()
    automaton: ahocorasick.Automaton | None = None
    post_forms: dict[str, str] = field(default_factory=dict)  # written form of a post -> its title
    blocked_url: re.Pattern[str] | None = None  # a URL whose host is or lies under a blocked domain
    problems: list[str] = field(default_factory=list)  # lines left out, each naming its file and line

    def build(self) -> None:
        """Build the automaton (keys: terms and leader names; values: the key itself)."""
        automaton = ahocorasick.Automaton()
        for key in (*self.terms, *self.posts):
            automaton.add_word(key, key)
        if len(automaton):
            automaton.make_automaton()
            self.automaton = automaton
        if self.blocked_domains:
            domains = "|".join(sorted(map(re.escape, self.blocked_domains)))
            self.blocked_url = re.compile(
                rf"^[a-z][a-z0-9+.-]*://(?:[^/?#@]*@)?(?:[^/?#:@]*\.)?(?:{domains})(?::\d+)?(?:[/?#]|$)",
                re.IGNORECASE)
        self.post_forms = {form: post.title for posts in self.posts.values() for post in posts
                           for form in (post.title, *post.forms)}


# --- loading ---------------------------------------------------------------------------------------


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, tab-separated fields) of each line that is no comment or blank."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DictionaryError(f"{path}: not UTF-8 ({exc.reason}); save it as UTF-8") from exc
    for number, line in enumerate(lines, 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, [part.strip() for part in line.split("\t")]


def _choice(path: Path, number: int, what: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise DictionaryError(f"{path} line {number}: {what} {value!r} is not one of {', '.join(allowed)}")
    return value


def _day(path: Path, number: int, value: str) -> date | None:
    if value in ("", "-"):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise DictionaryError(f"{path} line {number}: date {value!r} is not YYYY-MM-DD") from exc


def _term(path: Path, number: int, parts: list[str]) -> Term:
    """The term of one line of a *-terms.tsv file."""
    if len(parts) < 4:
        raise DictionaryError(f"{path} line {number}: needs 4 or 5 tab-separated fields "
                              f"(wrong form, right form, kind, severity, not within), found {len(parts)}")
    form, right = parts[0], "" if parts[1] == "-" else parts[1]
    kind = _choice(path, number, "kind", parts[2], get_args(TermKind))
    severity = _choice(path, number, "severity", parts[3], get_args(Severity))
    not_within = tuple(word for word in (parts[4].split("|") if len(parts) > 4 else ()) if word)
    if not form or form == right:
        raise DictionaryError(f"{path} line {number}: wrong form {form!r} is empty or equals the right one")
    if any(form not in word for word in not_within):
        raise DictionaryError(f"{path} line {number}: every 'not within' word must contain {form!r}")
    return Term(form, right, kind, severity, not_within)  # type: ignore[arg-type]


def _post(path: Path, number: int, parts: list[str]) -> Post:
    """The post of one line of leaders.tsv."""
    if len(parts) != 5:
        raise DictionaryError(f"{path} line {number}: needs 5 tab-separated fields "
                              f"(name, post, other forms, from, until), found {len(parts)}")
    start = _day(path, number, parts[3])
    if start is None:
        raise DictionaryError(f"{path} line {number}: the start date is missing")
    forms = tuple(form for form in parts[2].split("|") if form and form != "-")
    return Post(parts[0], parts[1], forms, start, _day(path, number, parts[4]))


def _skip(problems: list[str], exc: DictionaryError) -> None:
    """A bad line is left out, the rest of the dictionary is used; the operator is told which line."""
    problems.append(str(exc))
    logger.error("%(problem)s: the line is left out, fix it and restart the workers", {"problem": exc})


def _read_domains(path: Path) -> frozenset[str]:
    domains = set()
    for _, parts in _rows(path):
        domains.add(parts[0].lower().strip(".").removeprefix("www."))
    return frozenset(domains)


def load_dictionaries(directory: Path) -> Dictionaries:
    """Read every dictionary file of `directory`.

    A bad line is logged and left out (Dictionaries.problems names file and line); a missing directory
    raises DictionaryError.
    """
    if not directory.is_dir():
        raise DictionaryError(f"dictionary directory {directory} does not exist: set "
                              "GOVCRAWL_CONTENT_DICTIONARY_DIR to a folder like crawler/extract/dictionaries")
    found = Dictionaries()
    for path in sorted(directory.glob("*-terms.tsv")):
        for number, parts in _rows(path):
            try:
                term = _term(path, number, parts)
            except DictionaryError as exc:
                _skip(found.problems, exc)
                continue
            found.terms[term.form.lower()] = term
    leaders = directory / "leaders.tsv"
    for number, parts in _rows(leaders) if leaders.exists() else ():
        try:
            post = _post(leaders, number, parts)
        except DictionaryError as exc:
            _skip(found.problems, exc)
            continue
        found.posts.setdefault(post.name, []).append(post)
    blocked = directory / "blocked-domains.txt"
    if blocked.exists():
        found.blocked_domains = _read_domains(blocked)
    found.build()
    logger.info("Content dictionaries of %(dir)s: %(terms)d terms, %(names)d leaders, %(domains)d blocked "
                "domains", {"dir": directory, "terms": len(found.terms), "names": len(found.posts),
                            "domains": len(found.blocked_domains)})
    return found


@functools.lru_cache(maxsize=4)
def dictionaries_at(directory: str) -> Dictionaries:
    """The dictionaries of a directory, loaded once per process (one automaton per worker)."""
    return load_dictionaries(Path(directory))


# --- matching --------------------------------------------------------------------------------------


def sentence_at(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end], cut to EVIDENCE_MAX_CHARS around the hit."""
    reach = (EVIDENCE_MAX_CHARS - (end - start)) // 2
    left = start
    while left > 0 and start - left < reach and text[left - 1] not in _SENTENCE_ENDS:
        left -= 1
    right = end
    while right < len(text) and right - end < reach and text[right] not in _SENTENCE_ENDS:
        right += 1
    if right < len(text) and text[right] in _SENTENCE_ENDS:
        right += 1
    return text[left:right].strip()


def _inside_longer_word(text: str, start: int, term: Term) -> bool:
    """The hit is part of one of the term's longer correct words."""
    for word in term.not_within:
        offset = word.find(term.form)
        while offset >= 0:
            begin = start - offset
            if begin >= 0 and text[begin:begin + len(word)].lower() == word.lower():
                return True
            offset = word.find(term.form, offset + 1)
    return False


def _matches(text: str, dictionaries: Dictionaries) -> Iterator[tuple[int, int, str]]:
    """(start, end, key) of every dictionary key in the text (case-insensitive), one automaton pass."""
    if dictionaries.automaton is None or not text:
        return
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: match as written
        lowered = text
    for end, key in dictionaries.automaton.iter(lowered):
        yield end - len(key) + 1, end + 1, key


def _post_before(text: str, start: int, dictionaries: Dictionaries) -> tuple[str, bool] | None:
    """(written post, in the past) when a dictionary post stands right before the name."""
    window = text[max(0, start - _POST_WINDOW_CHARS):start].rstrip(" 　")
    best = None
    for form in dictionaries.post_forms:
        if window.endswith(form) and (best is None or len(form) > len(best)):
            best = form
    if best is None:
        return None
    head = window[: -len(best)].rstrip(" 　")
    if head.endswith("副"):  # 国务院副总理 is another post
        return None
    return best, head.endswith(_PAST_MARKERS)


def _post_after(text: str, end: int, dictionaries: Dictionaries) -> str | None:
    window = text[end:end + _POST_WINDOW_CHARS].lstrip(" 　")
    found = [form for form in dictionaries.post_forms if window.startswith(form)]
    return max(found, key=len) if found else None


def _leader_hit(text: str, span: tuple[int, int], name: str, on: date,
                dictionaries: Dictionaries) -> WordingHit | None:
    """A leader's name beside a post the person did not hold on `on`; None when right or not judged."""
    start, end = span
    following = text[end:end + 1]
    claimed: str | None = None
    before = _post_before(text, start, dictionaries)
    if before is not None:
        if before[1]:
            return None
        claimed = before[0]
    else:
        claimed = _post_after(text, end, dictionaries)
        following = ""  # the post itself follows the name
    if claimed is None:
        return None
    if following and "\u4e00" <= following <= "\u9fff" and following not in _AFTER_NAME:
        return None  # may be a longer name (李强国)
    title = dictionaries.post_forms[claimed]
    posts = dictionaries.posts[name]
    if any(post.title == title and post.held_on(on) for post in posts):
        return None
    sentence = sentence_at(text, start, end)
    years = {int(year) for year in _YEAR.findall(sentence)}
    if any(post.title == title and post.held_in(year) for post in posts for year in years):
        return None  # the sentence speaks of a year the person held the post (2015年，李克强总理……)
    held = [post for post in posts if post.held_on(on)]
    right = (f"{on.isoformat()} 时{name}的职务：{'、'.join(post.title for post in held)}" if held
             else f"{on.isoformat()} 时{name}不任{title}")
    return WordingHit("post", "serious", f"{claimed}{name}", right, sentence)


def mentions_any(text: str, dictionaries: Dictionaries) -> bool:
    """The text holds some dictionary term or leader name (most pages hold none: nothing more to read)."""
    return next(_matches(text, dictionaries), None) is not None


def find_wording(text: str, dictionaries: Dictionaries, *, on: date | None,
                 kinds: Iterable[str] | None = None) -> list[WordingHit]:
    """Every suspected error of the text, once per (kind, found form), in text order.

    `on` is the day the text speaks of (its publish date): a leader's post is judged at it, and not at all
    when the page shows no date (an undated page may be an old one kept online: 2013's 总理李克强 is right
    in a 2013 article). `kinds`
    limits the terms looked for (e.g. BANNED_KINDS in link anchors); leaders are judged when it is None.
    Gambling/porn terms count only when SPAM_MIN_DISTINCT_TERMS different ones appear.
    """
    wanted = frozenset(kinds) if kinds is not None else None
    hits: dict[tuple[str, str], WordingHit] = {}
    spam: dict[str, WordingHit] = {}
    for start, end, key in _matches(text, dictionaries):
        term = dictionaries.terms.get(key)
        if term is not None and (wanted is None or term.kind in wanted) and not _inside_longer_word(
                text, start, term):
            hit = WordingHit(term.kind, term.severity, text[start:end], term.right,
                             sentence_at(text, start, end))
            if term.kind in SPAM_KINDS:
                spam.setdefault(term.form, hit)
            else:
                hits.setdefault((term.kind, term.form), hit)
        if wanted is None and on is not None and key in dictionaries.posts:
            leader = _leader_hit(text, (start, end), key, on, dictionaries)
            if leader is not None:
                hits.setdefault((leader.kind, leader.found), leader)
    found = list(hits.values())
    if len(spam) >= SPAM_MIN_DISTINCT_TERMS:
        found.extend(spam.values())
    return found


def find_terms(text: str, dictionaries: Dictionaries) -> list[WordingHit]:
    """Banned, gambling and pornographic terms in a short text (a link anchor, an attachment name):
    one is enough there."""
    hits: dict[str, WordingHit] = {}
    for start, end, key in _matches(text, dictionaries):
        term = dictionaries.terms.get(key)
        if term is not None and term.kind in BANNED_KINDS and not _inside_longer_word(text, start, term):
            hits.setdefault(term.form, WordingHit(term.kind, term.severity, text[start:end], term.right,
                                                  sentence_at(text, start, end)))
    return list(hits.values())


def links_blocked_domain(url: str, dictionaries: Dictionaries) -> bool:
    """The URL's host is or lies under a blocklisted domain (one regular-expression match)."""
    return dictionaries.blocked_url is not None and dictionaries.blocked_url.match(url) is not None


def blocked_domain(host: str, dictionaries: Dictionaries) -> str | None:
    """The blocklisted domain a host is or lies under, or None."""
    host = host.lower().strip(".")
    labels = host.split(".")
    for position in range(len(labels)):
        candidate = ".".join(labels[position:])
        if candidate in dictionaries.blocked_domains:
            return candidate
    return None
