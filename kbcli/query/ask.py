"""``kb ask QUESTION``: a question in English or Chinese (either script, no spaces needed), answered
from the base, deterministically and explainably.

1. Dates are read first (in 2020, since 2018, 2018年以来, 2018—2022年, 2022年3月).
2. The rest is cut into pieces (``resolve.segment``) against the base's names (regions at every level,
   mechanisms, instruments, blockages, record names) and the question words below: record kinds
   (laws, 试点, 做法 …), places to group by (cities, 哪些省, where …), money (fund, 资助 …), amounts
   (how much, 多少, 成交额 …) and counts (how many, 多少家 …). What is left is reported as unused.
3. The pieces become filters of ``kb query`` (records) or, when the question asks for an amount or a
   count, of ``kb figures`` (numbers, with the date as the figures' period). The interpretation is
   the equivalent command line. When nothing matches every part, parts are left out one at a time
   (money first, then kinds, levels, instruments, blockages, mechanisms, dates) and the answer says
   which; when no part is recognised at all, it is a ranked ``kb search``.
4. Records are ranked best first: tagged with the question's own terms rather than narrower ones,
   holding its unused words, carrying the figures it asks for; each comes with the figures that
   answer the question and one supporting quote.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..dates import date_range
from ..text import fold, loose, word_key
from . import resolve
from .facets import Filters, query_rowids, undated
from .kb import KB, VOCAB_KIND, VOCABS, record_evidence
from .listing import figure_owners
from .search import STOPWORDS, part_rowids, parts, search, text_relevance

# ---------------------------------------------------------------- question words


def _words(tag: str, text: str) -> dict[str, str]:
    return {w.strip(): tag for w in text.split("|") if w.strip()}


QUESTION_WORDS: dict[str, str] = {
    **_words("kind:law", "law|laws|legislation|regulation|regulations|policy|policies|policy document|"
                         "statute|statutes|rule|rules|法律|法规|政策|政策文件|条例|规定|文件|办法|法"),
    **_words("kind:pilot", "pilot|pilots|piloted|piloting|trial|trials|trialled|trialed|being piloted|"
                           "试点|试验|改革试点|先行先试"),
    **_words("kind:model", "model|models|mode|modes|模式|转化模式"),
    **_words("kind:practice", "practice|practices|initiative|initiatives|实践|经验|案例|case|cases"),
    # what a place does about something: its practices, pilots and documents (若干措施 are laws here)
    **_words("kinds:done", "measure|measures|做法|措施|举措|具体做法|具体措施|举措"),
    **_words("group:blockage", "blockage|blockages|obstacle|obstacles|barrier|barriers|bottleneck|bottlenecks|"
                               "block|blocks|blocking|hinder|hinders|hindering|holds back|hold back|"
                               "堵点|难点|障碍|瓶颈|梗阻|痛点|难题"),
    **_words("when", "when|since when|what year|which year|什么时候|何时|哪年|哪一年|几时|什么时间"),
    **_words("level:city", "city|cities|municipal|城市|市|哪些城市|哪个城市"),
    **_words("level:province", "province|provinces|provincial|省|省份|哪些省|哪个省|哪些省份"),
    **_words("level:country", "country|countries|nation|nations|哪些国家|哪个国家"),
    **_words("group", "where|which region|which regions|which places|哪里|哪儿|哪些地方|哪些地区|在哪|在哪里|何地"),
    **_words("money", "fund|funds|funded|finance|finances|financed|financing|money|pay|pays|paid|paying|give|"
                      "gives|giving|invest|invests|invested|spend|spends|spent|subsidise|subsidises|subsidize|"
                      "subsidizes|资金|经费|出资|拨款|钱|投入资金|财政资金|扶持资金|资助|补贴|补助|奖补|奖励资金|"
                      "财政补贴|资金支持"),
    **_words("amount", "how much|how big|how large|多少|多少钱|多大|几何"),
    **_words("count", "how many|number of|多少家|多少个|多少项|多少所|多少人|多少名|几家|几个|几项|几所|数量"),
    **_words("stop", "which|what|who|whom|whose|how|why|does|do|did|is|are|was|were|be|been|the|a|an|of|"
                     "to|for|in|on|by|at|with|and|or|that|this|these|those|there|their|its|it|any|about|from|"
                     "into|has|have|had|get|gets|got|set|up|done|doing|make|makes|made|use|uses|used|support|"
                     "supports|supporting|supported|help|helps|address|addresses|tackle|tackles|solve|solves|"
                     "deal|deals|overcome|promote|promotes|encourage|encourages|tell|me|list|show|give me|"
                     "哪些|有哪些|有什么|什么|怎样|怎么|怎么样|如何|为什么|是否|是不是|哪个|哪|的|了|吗|呢|吧|"
                     "以及|可以|解决|破解|应对|针对|关于|采取|采用|进行|开展|推动|推进|促进|支持|实施|出台|提出|"
                     "建立|一下|请问|各地|是什么|有没有|怎么做|如何做|设立|成立|设置|推出|发布|印发|"
                     "establish|established|establishes|launch|launched|launches|create|created|creates|"
                     "build|builds|built|introduce|introduced|start|started|starts"),
}
# one-character words that carry no meaning when they stand alone between recognised words (对 in
# 杭州对中试基地…); inside a phrase they are left alone (能 in 人工智能, 用 in 用户)
FUNCTION_CHARS = frozenset("有是在和与及对给为把被于由向都也还又能会做用请呀啊各等将已")
EXTRA = {loose(k): [v] for k, v in QUESTION_WORDS.items()}
CITY_LEVELS = ["city", "municipality"]
MONEY_UNITS = frozenset(("yuan", "eur", "usd"))
# words that ask for a number, left in the question as content (成交额 also matches a figure's quote)
AMOUNT_RE = re.compile(r"how much|how many|how big|how large|number of|amount|turnover|spending|budget|percentage|"
                       r"proportion|size|多少|多大|成交额|交易额|金额|规模|数量|总额|总量|比例|占比|比重|增速|强度|"
                       r"上限|几[家个项所]|授权量|申请量|交易量|成交量|登记量|存量|增量")

SHARE_RE = re.compile(r"share|rate|ratio|percent|proportion|growth|grow|increase|intensity|"
                      r"比例|占比|比重|比率|率|增长|增速|增幅|强度|百分")

# ---------------------------------------------------------------- dates

_Y = r"((?:19|20)\d{2})"
_DATE_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(rf"between\s+{_Y}\s+and\s+{_Y}", re.IGNORECASE), "range"),
    (re.compile(rf"(?:from\s+)?{_Y}\s*(?:-|–|—|to|until|至|到|~|～)\s*{_Y}\s*年?", re.IGNORECASE), "range"),
    (re.compile(rf"{_Y}\s*年\s*(\d{{1,2}})\s*月(?:份)?"), "month"),
    (re.compile(rf"(?:since|from|starting)\s+{_Y}", re.IGNORECASE), "since"),
    (re.compile(rf"after\s+{_Y}", re.IGNORECASE), "after"),
    (re.compile(rf"(?:自|从|從)?\s*{_Y}\s*年?\s*(?:以来|以來|以后|以後|之后|之後|起|开始|開始|至今)"), "since"),
    (re.compile(rf"(?:自|从|從)\s*{_Y}\s*年?"), "since"),
    (re.compile(rf"before\s+{_Y}", re.IGNORECASE), "before"),
    (re.compile(rf"(?:until|till|through|by|up to)\s+{_Y}", re.IGNORECASE), "until"),
    (re.compile(rf"{_Y}\s*年?\s*(?:以前|之前|前)"), "before"),
    (re.compile(rf"(?:in|during|for|of)?\s*{_Y}\s*年?(?:度)?", re.IGNORECASE), "year"),
]


def read_dates(text: str) -> tuple[str, str | None, str | None, list[str]]:
    """The question without its date expressions, the since and until dates, and the expressions read."""
    text = unicodedata.normalize("NFKC", text)  # full-width digits
    since = until = None
    found: list[str] = []
    for rx, kind in _DATE_PATTERNS:
        m = rx.search(text)
        if not m:
            continue
        g = m.groups()
        if kind == "range":
            since, until = min(g[0], g[1]), max(g[0], g[1])
        elif kind == "month" and 1 <= int(g[1]) <= 12:
            since = until = f"{g[0]}-{int(g[1]):02d}"
        elif kind == "since":
            since = g[0]
        elif kind == "after":
            since = str(int(g[0]) + 1)
        elif kind == "until":
            until = g[0]
        elif kind == "before":
            until = str(int(g[0]) - 1)
        elif kind == "year":
            since = until = g[0]
        else:
            continue
        found.append(m.group().strip())
        text = text[:m.start()] + " " + text[m.end():]
        if since and until:
            break
    return text, since, until, found


# ---------------------------------------------------------------- interpretation


@dataclass
class Interpretation:
    question: str
    mode: str = "query"  # query (records), figures (numbers), search (ranked text) or none (nothing to run)
    regions: list[str] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)
    blockages: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    metrics: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)  # records the question names
    money: bool = False
    share: bool = False  # the question asks for a rate, share or growth
    amount: bool = False
    count: bool = False
    group_by: str | None = None  # "city", "province", "country", "region" or "blockage"
    when: bool = False  # the question asks when
    exact: bool = False  # 全国/national: the country itself, not the places within it
    article: int | None = None  # 第十四条, article 14: an article of the law the question names
    prefer_records: list[str] = field(default_factory=list)  # records named beside other filters: ranked first
    matches: int = 0  # records the command finds (the answer shows the best of them)
    recognised: list[dict[str, Any]] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    added_funding: bool = False
    prefer: list[str] = field(default_factory=list)  # terms named with money words: ranked first, not filtered
    soft: list[str] = field(default_factory=list)  # words of parts left out: still used for ranking
    out_of_scope: list[str] = field(default_factory=list)  # topics the base leaves out that the question names

    def filters(self) -> Filters:
        return Filters(regions=list(self.regions), mechanisms=list(self.mechanisms),
                       instruments=list(self.instruments), blockages=list(self.blockages), kinds=list(self.kinds),
                       levels=list(self.levels), exact=self.exact,
                       since=self.since if self.mode == "query" else None,
                       until=self.until if self.mode == "query" else None)

    @property
    def as_of(self) -> str | None:
        if self.since is None and self.until is None:
            return None
        if self.since == self.until:
            return self.since
        return f"{self.since or '1900'}/{self.until or '2099'}"

    def command(self) -> str:
        if self.mode == "none":
            return "-"
        if self.mode == "article":
            return shlex.join(["kb", "show", f"{self.records[0]}#art{self.article}"])
        if self.mode == "search":
            return shlex.join(["kb", "search", " ".join(self.unused) or self.question])
        named_only = self.records and not any([self.mechanisms, self.instruments, self.blockages, self.metrics])
        if named_only and self.mode != "figures":
            return shlex.join(["kb", "show", self.records[0]])
        argv = ["kb", "figures" if self.mode == "figures" else "query"]
        if self.mode == "figures" and named_only:
            for rid in self.records:
                argv += ["--record", rid]
        for vocab in VOCABS:
            for tid in getattr(self, vocab):
                argv += [f"--{VOCAB_KIND[vocab]}", tid]
        if self.exact and self.regions:
            argv.append("--exact")
        for level in self.levels:
            argv += ["--level", level]
        for kind in self.kinds:
            argv += ["--kind", kind]
        if self.mode == "figures":
            for metric in self.metrics:
                argv += ["--metric", metric]
            if self.as_of:
                argv += ["--as-of", self.as_of]
        else:
            if self.since:
                argv += ["--since", self.since]
            if self.until:
                argv += ["--until", self.until]
        return shlex.join(argv)

    def to_json(self) -> dict:
        out: dict[str, Any] = {"command": self.command(), "mode": self.mode}
        for k in ("regions", "mechanisms", "instruments", "blockages", "kinds", "levels", "metrics", "records",
                  "out_of_scope"):
            out[k] = list(getattr(self, k))
        out.update({"matches": self.matches,
                    "since": self.since, "until": self.until, "group_by": self.group_by, "exact": self.exact,
                    "when": self.when, "article": self.article,
                    "intent": {"money": self.money, "amount": self.amount, "count": self.count},
                    "recognised": self.recognised, "unused": self.unused, "notes": self.notes})
        return out


def interpret(kb: KB, question: str) -> Interpretation:
    """What the question asks, as filters (nothing is run here)."""
    it = Interpretation(question)
    text = re.sub(r"[?？!！。.,，、;；:：\"“”'‘’()（）]+", " ", question)
    text, it.since, it.until, dates = read_dates(text)
    for expr in dates:
        it.recognised.append({"text": expr, "as": "date", "since": it.since, "until": it.until})
    funding_family = set(kb.descendants.get("funding", ["funding"]))
    extra = dict(EXTRA)
    for k, v in resolve.scope_words(kb).items():
        extra[k] = v + extra.get(k, [])
    for piece in resolve.segment(kb, text, extra=extra):
        tags = [t for t in piece.tags if t != "stop"]
        scope = [t for t in tags if t.startswith("scope:")]
        if scope:
            it.out_of_scope.extend(t[6:] for t in scope if t[6:] not in it.out_of_scope)
            it.recognised.append({"text": piece.text, "as": "out-of-scope", "id": scope[0][6:]})
            continue
        if piece.tags and not tags and not piece.terms:
            continue  # a question word with no meaning here
        if tags == ["money"] and _noun(text, piece):  # "the Xixian fund": a fund, not funding something
            tags = []
            if not piece.terms:
                it.unused.append(piece.text)
                continue
        if tags:
            for tag in tags:
                _apply_tag(it, tag, piece.text)
            it.prefer.extend(t for t in piece.terms if t in funding_family)  # 补贴: funding, subsidies first
            continue
        if piece.terms:
            vocab, ids = _pick_vocab(kb, piece.terms)
            if vocab == "regions" and fold(piece.text).strip() in NATIONAL:
                it.exact = True
            target = getattr(it, vocab)
            # a name the seed declares shared by terms of several vocabularies stays a word, which the
            # resolver reads as all its terms (kb query --mechanism 首购: first-purchase or procurement)
            shared = len(ids) < len(piece.terms)
            for value in [piece.text] if shared else ids:
                if value not in target:
                    target.append(value)
            for tid in sorted(piece.terms) if shared else ids:
                it.recognised.append({"text": piece.text, "as": VOCAB_KIND[kb.terms[tid]["vocab"]], "id": tid,
                                      "name_zh": kb.terms[tid]["name_zh"], "name_en": kb.terms[tid]["name_en"],
                                      **({"shared": True} if shared else {})})
            continue
        if piece.records:
            for rid in piece.records:
                if rid not in it.records:
                    it.records.append(rid)
                it.recognised.append({"text": piece.text, "as": "record", "id": rid})
            continue
        for w in _content_words(piece.text):
            it.unused.append(w)
    it.amount = it.amount or it.count or bool(AMOUNT_RE.search(fold(question)))
    it.share = bool(SHARE_RE.search(fold(question)))
    art = ARTICLE_RE.search(fold(question))
    if art:
        it.article = _article_number(art)
    if it.records and (it.regions or it.levels or it.kinds or _topical(it)):
        # a record's name beside other parts of the question (北京的科技成果转化政策) ranks that record first
        # and its words count, but the question is about the other parts
        it.prefer_records, it.records = it.records, []
        for d in it.recognised:
            if d.get("as") == "record":
                it.soft.append(d["text"])
    if it.amount or it.count:  # a question for numbers: money in it is about the figures' unit, not a filter
        it.money = it.money and not it.amount
    if it.money and not funding_family & set(it.instruments):
        # money is the filter; another instrument named beside it (培训 in 补贴…培训) ranks instead of
        # widening the filter (values of one option are OR'd)
        for d in it.recognised:
            if d.get("as") == "instrument" and d["id"] not in funding_family and d["id"] in it.instruments:
                it.instruments.remove(d["id"])
                it.soft.append(d["text"])
                d["dropped"] = True
        it.instruments.append("funding")
        it.added_funding = True
    if it.amount or it.count:  # a metric only narrows a question for numbers
        it.metrics = _metrics_named(kb, question)
        it.mode = "figures"
    return it


NATIONAL = frozenset(("全国", "national", "nationwide", "全国范围", "全国各地"))
_DETERMINERS = frozenset(("the", "a", "an", "this", "that", "its", "their", "his", "her", "our", "whose"))


def _noun(text: str, piece: resolve.Piece) -> bool:
    """Whether an English money word is a noun here: after a determiner, perhaps with a name between
    ('the Xixian fund', 'its funds')."""
    if not piece.text.isascii():
        return False
    before = re.findall(r"[a-z0-9']+", text[:piece.start].lower())[-3:]
    return any(w in _DETERMINERS for w in before) and not any(w in ("does", "do", "did") for w in before)


ARTICLE_RE = re.compile(r"第\s*([一二三四五六七八九十百零〇两\d]+)\s*条|\bart(?:icle)?\.?\s*(\d+)")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def _article_number(m: re.Match) -> int | None:
    """第十四条 -> 14, article 14 -> 14."""
    s = m.group(1) or m.group(2)
    if s.isdigit():
        return int(s)
    total, current = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return total + current or None


def _apply_tag(it: Interpretation, tag: str, text: str) -> None:
    kind, _, value = tag.partition(":")
    if kind == "kind" and value not in it.kinds:
        it.kinds.append(value)
        it.recognised.append({"text": text, "as": "kind", "id": value})
    elif kind == "kinds":  # 做法, measures: what is done, in any form but a model
        it.kinds.extend(k for k in ("practice", "pilot", "law") if k not in it.kinds)
        it.recognised.append({"text": text, "as": "kind", "id": "practice, pilot, law"})
    elif kind == "group" and value == "blockage":
        it.group_by = "blockage"
        it.recognised.append({"text": text, "as": "grouping", "id": "blockage"})
    elif kind == "when":
        it.when = True
        it.recognised.append({"text": text, "as": "when"})
    elif kind == "level":
        levels = CITY_LEVELS if value == "city" else [value]
        it.levels.extend(lv for lv in levels if lv not in it.levels)
        it.group_by = value
        it.recognised.append({"text": text, "as": "level", "id": value})
    elif kind == "group":
        it.group_by = it.group_by or "region"
        it.recognised.append({"text": text, "as": "grouping", "id": "region"})
    elif kind in ("money", "amount", "count"):
        setattr(it, kind, True)
        it.recognised.append({"text": text, "as": kind})


def _pick_vocab(kb: KB, ids: list[str]) -> tuple[str, list[str]]:
    """A name shared by terms of several vocabularies counts in one: regions, then blockages,
    mechanisms, instruments."""
    for vocab in ("regions", "blockages", "mechanisms", "instruments"):
        mine = [t for t in ids if kb.terms[t]["vocab"] == vocab]
        if mine:
            return vocab, mine
    return "mechanisms", ids  # pragma: no cover - every term has a vocabulary


def _content_words(text: str) -> list[str]:
    words = [text.strip()] if re.search(r"[^\x00-\x7f]", text) else re.findall(r"[^\W_]+", text)
    return [w for w in words if w and w.casefold() not in STOPWORDS and w not in FUNCTION_CHARS
            and not (w.isdigit() and len(w) < 3)]


def _metrics_named(kb: KB, question: str) -> list[str]:
    """Metrics whose id the question's English words spell out (technology contract turnover, R&D intensity),
    the most specific when one metric's words hold another's; Chinese questions are matched against the
    figures' own text when ranking instead."""
    words = {word_key(w) for w in re.findall(r"[a-z0-9]+", fold(question).replace("r&d", "rd"))}
    if len(words) < 2:
        return []
    found: list[set[str]] = []
    names: dict[frozenset, str] = {}
    for (metric,) in kb.conn.execute("SELECT DISTINCT metric FROM figures"):
        mw = {word_key(w) for w in metric.split("-")}
        if len(mw) >= 2 and mw <= words:
            found.append(mw)
            names[frozenset(mw)] = metric
    return sorted(names[frozenset(m)] for m in found if not any(m < other for other in found))


# ---------------------------------------------------------------- answering

# what is left out first when nothing matches every part: the question's framing before its place,
# its place before its topic
RELAX_ORDER = ("kinds", "metrics", "added_funding", "levels", "widen", "instruments", "dates", "regions",
               "blockages", "mechanisms")


@dataclass
class Answer:
    interpretation: Interpretation
    records: list[dict]


def ask(kb: KB, question: str, limit: int | None = None) -> Answer:
    it = interpret(kb, question)
    for topic in resolve.out_of_scope(kb, question):
        it.notes.append(f"{topic['topic_en']} ({topic['topic_zh']}) is outside the base: {topic['reason']}")
        if topic["topic_en"] not in it.out_of_scope:
            it.out_of_scope.append(topic["topic_en"])
    topical = any([it.mechanisms, it.instruments, it.blockages, it.kinds, it.metrics, it.records])
    if it.out_of_scope and not topical:
        it.mode = "none"
        return Answer(it, [])  # a place or a date alone says nothing about a topic the base leaves out
    if it.article is not None:
        answer = _article_answer(kb, it)
        if answer is not None:
            return answer
    nothing = not any([it.regions, it.mechanisms, it.instruments, it.blockages, it.kinds, it.levels, it.records,
                       it.since, it.until, it.metrics, it.group_by == "blockage"])
    if nothing:
        return _search_answer(kb, it, limit, "no term of the base recognised in the question")
    tried = it
    it, records = _relaxed(kb, tried)
    if not records and tried.mode == "figures":  # no number answers: the records themselves
        it, records = _relaxed(kb, copy.deepcopy(tried), mode="query")
        it.notes.append("no figure matches; records instead")
    if not records:
        return _search_answer(kb, it, limit, "no record matches the recognised terms")
    if it.mode == "query" and (it.since or it.until):
        n = undated(kb, it.filters())
        if n:
            it.notes.append(f"{n} undated record(s) matching the other parts were left out by the dates")
    it.matches = len(records)
    records = _rank(kb, it, records, limit)
    if limit is not None and it.matches > len(records):
        it.notes.append(f"the best {len(records)} of {it.matches} records; --limit N shows more")
    return Answer(it, records)


def _article_answer(kb: KB, it: Interpretation) -> Answer | None:
    """第十四条 of a law the question names: that article, as `kb show law#artN` shows it."""
    for rid in it.records + it.prefer_records:
        law = kb.get_record(rid)
        if law is None or law["kind"] != "law":
            continue
        arts = [a for a in law.get("articles", []) if a["number"] == it.article]
        if not arts:
            listed = ", ".join(str(a["number"]) for a in law.get("articles", [])) or "none"
            it.notes.append(f"the base cites no article {it.article} of {rid} (its articles: {listed})")
            continue
        it.mode, it.records, it.prefer_records = "article", [rid], []
        art = arts[0]
        ver = f" (numbering of the {art['version']} text)" if art.get("version") else ""
        it.notes.append(f"article {it.article}{ver}: {art['gist_en']}")
        law["score"] = 1.0
        law["answer"] = {"figures": [], "quote": art["evidence"][0] if art["evidence"] else None,
                         "article": {k: art.get(k) for k in ("number", "version", "items", "gist_en")}}
        return Answer(it, [law])
    return None


def _relaxed(kb: KB, original: Interpretation, mode: str | None = None) -> tuple[Interpretation, list[dict]]:
    """Run the interpretation; when nothing matches, leave parts out in ``RELAX_ORDER`` until something
    does (on a copy, so a second mode can start again from the question)."""
    it = copy.deepcopy(original)
    it.mode = mode or it.mode
    start = copy.deepcopy(it)
    records = _run(kb, it)
    dropped: list[tuple[str, str]] = []
    for step in RELAX_ORDER:
        if records:
            break
        what = _relax(it, step, kb)
        if what:
            dropped.append((step, what))
            records = _run(kb, it)
    if records:  # put back what need not have been left out (only the last step had to go)
        for step, what in dropped[:-1]:
            trial = copy.deepcopy(it)
            _restore(trial, start, step)
            found = _run(kb, trial)
            if found:
                it, records = trial, found
                dropped.remove((step, what))
    for step, _ in dropped:
        if step == "widen":
            for d in it.recognised:
                parent = (kb.terms.get(d.get("id") or "") or {}).get("parent")
                if d.get("as") in ("mechanism", "blockage") and parent and parent in it.mechanisms + it.blockages:
                    d["widened"] = parent
            continue
        for d in it.recognised:
            if d.get("as") == _STEP_AS.get(step) or (step == "added_funding" and d.get("as") == "money"):
                d["dropped"] = True
                it.soft.append(d["text"])
    if dropped:
        it.notes.append("no record matches every part of the question; left out or widened: "
                        + "; ".join(w for _, w in dropped))
    return it, records


_STEP_AS = {"kinds": "kind", "levels": "level", "dates": "date", **VOCAB_KIND}


def _restore(it: Interpretation, start: Interpretation, step: str) -> None:
    if step == "widen":
        it.mechanisms, it.blockages = list(start.mechanisms), list(start.blockages)
    elif step == "added_funding":
        it.instruments.append("funding")
        it.added_funding = True
    elif step == "dates":
        it.since, it.until = start.since, start.until
    else:
        setattr(it, step, list(getattr(start, step)))


def _relax(it: Interpretation, step: str, kb: KB | None = None) -> str | None:
    if step == "added_funding" and it.added_funding:
        it.instruments.remove("funding")
        it.added_funding = False
        return "--instrument funding (money in the question)"
    if step == "widen" and kb is not None:  # a narrower term to its broader one (incubator -> incubation)
        done = []
        for vocab in ("mechanisms", "blockages"):
            values = getattr(it, vocab)
            wider = [(kb.terms[t]["parent"] if t in kb.terms else None) or t for t in values]
            if wider != values:
                done += [f"--{VOCAB_KIND[vocab]} {a} widened to {b}" for a, b in zip(values, wider) if a != b]
                setattr(it, vocab, list(dict.fromkeys(wider)))
        return "; ".join(done) or None
    if step == "dates" and (it.since or it.until):
        it.since = it.until = None
        return "the dates"
    if step in ("kinds", "levels", "metrics", "instruments", "blockages", "mechanisms", "regions"):
        values = getattr(it, step)
        if values:
            setattr(it, step, [])
            option = {"kinds": "kind", "levels": "level", "metrics": "metric"}.get(step, VOCAB_KIND.get(step, step))
            return " ".join(f"--{option} {v}" for v in values)
    return None


def _run(kb: KB, it: Interpretation) -> list[dict]:
    """The records the interpretation's command finds (figures mode: the figures' owner records), light:
    their ids, names, date, tags and figures without evidence (see ``_light``); ranked, the best are made
    whole."""
    if it.mode == "figures":
        owners_named = it.records if it.records and not _topical(it) else None
        owners = figure_owners(kb, it.filters(), metrics=it.metrics or None, as_of=it.as_of, owners=owners_named)
        return _light(kb, ids=owners, figures=True)
    named = _light(kb, ids=it.records)
    if named and not _topical(it):
        return named  # the question names its records: they are the answer
    rowids = query_rowids(kb, it.filters()) if _has_filters(it) or it.group_by == "blockage" else []
    recs = _light(kb, rowids=rowids, figures=it.money)
    if it.group_by == "blockage":  # 堵点: the records that address one, grouped by it
        recs = [r for r in recs if r["addresses"]]
    named_ids = {r["id"] for r in named}
    return named + [r for r in recs if r["id"] not in named_ids]


def _ids(col: str | None) -> list[str]:
    """A JSON array of ids as the records table stores it: ids hold no quote or backslash, so a split
    does what json.loads does, several times faster."""
    if not col or col == "[]":
        return []
    return col[2:-2].split('", "') if "\\" not in col else json.loads(col)


def _light(kb: KB, rowids: list[int] | None = None, ids: list[str] | None = None,
           figures: bool = False) -> list[dict]:
    """Records as ranking needs them, read from the lean records table in the order given: id, kind, names,
    date, tags as ``[{id}]`` and, with ``figures``, their figures without evidence."""
    if not rowids and not ids:
        return []
    key, values = ("rowid", rowids) if rowids else ("id", ids)
    rows = kb.conn.execute(
        f"SELECT rowid, id, kind, name_zh, name_en, date, regions, mechanisms, instruments, addresses FROM records "
        f"WHERE {key} IN (SELECT value FROM json_each(?))", (json.dumps(values),)).fetchall()
    by_key = {r[0] if key == "rowid" else r[1]: r for r in rows}
    out = []
    for v in values or ():
        r = by_key.get(v)
        if r is None:
            continue
        out.append({"rowid": r[0], "id": r[1], "kind": r[2], "name_zh": r[3], "name_en": r[4], "date": r[5],
                    **{f: [{"id": x} for x in _ids(col)]
                       for f, col in zip(("regions", "mechanisms", "instruments", "addresses"), r[6:10])},
                    "figures": []})
    if figures and out:
        where = {r["id"]: r for r in out}
        for owner, metric, label, value, vmax, unit, qual, as_of, original in kb.conn.execute(
                "SELECT owner, metric, label_en, value, value_max, unit, qualifier, as_of, original FROM figures "
                "WHERE owner IN (SELECT value FROM json_each(?)) ORDER BY owner, idx", (json.dumps(list(where)),)):
            where[owner]["figures"].append({"metric": metric, "label_en": label, "value": value, "value_max": vmax,
                                            "unit": unit, "qualifier": qual, "as_of": as_of, "original": original,
                                            "evidence": []})
    return out


def _topical(it: Interpretation) -> bool:
    return any([it.mechanisms, it.instruments, it.blockages, it.metrics])


def _has_filters(it: Interpretation) -> bool:
    return any([it.regions, it.mechanisms, it.instruments, it.blockages, it.kinds, it.levels, it.since, it.until])


def _search_answer(kb: KB, it: Interpretation, limit: int | None, why: str) -> Answer:
    it.mode = "search"
    words = it.unused or [it.question]
    it.notes.append(f"{why}; ranked full-text search instead")
    try:
        recs = search(kb, " ".join(words), limit=limit or 20)
    except Exception:  # noqa: BLE001 - nothing searchable left (punctuation only)
        recs = []
    for r in recs:
        r["answer"] = {"figures": _answer_figures(it, r, [])[:3], "quote": _quote(r, words)}
    return Answer(it, recs)


def _needles(kb: KB, it: Interpretation) -> list[str]:
    out = [fold(w) for w in it.unused + it.soft]
    for d in it.recognised:
        if d.get("as") in ("region", "mechanism", "instrument", "blockage"):
            out += [fold(d["text"]), fold(d["name_zh"])]
        elif d.get("as") == "record":
            out.append(fold(d["text"]))
    return [n for n in dict.fromkeys(out) if n]


SHORTLIST = 60  # records made whole and ranked again with their figures' quotes, of those ranked light


def _rank(kb: KB, it: Interpretation, records: list[dict], limit: int | None = None) -> list[dict]:
    """Best first: every record scored light (tags, names, the question's words in the index, dates,
    figures without their quotes), the best SHORTLIST (or ``limit``, if more) made whole and scored
    again with their figures' quotes, then cut to ``limit``, each with the figures that answer and a
    quote; grouped by place or blockage when asked."""
    ctx = _RankContext(kb, it)
    scored = sorted(((-_score(it, rec, ctx)[0], order, rec) for order, rec in enumerate(records)),
                    key=lambda x: (x[0], x[1]))
    short = [rec for _, _, rec in (scored[:max(SHORTLIST, limit)] if limit else scored)]
    rowid_of = {r["id"]: r["rowid"] for r in short}
    whole = kb.records_from_rows(kb.docs([(r["rowid"], r["kind"]) for r in short]))
    rescored = []
    for order, rec in enumerate(whole):
        rec["rowid"] = rowid_of[rec["id"]]
        score, figs = _score(it, rec, ctx)
        rec["score"] = round(score, 2)
        rescored.append((-score, order, rec, figs))
    rescored.sort(key=lambda x: (x[0], x[1]))
    if limit is not None:
        rescored = rescored[:limit]
    out = []
    for _, _, rec, figs in rescored:
        rec.pop("rowid", None)
        rec["answer"] = {"figures": [{k: v for k, v in f.items() if k != "_score"} for f in figs[:3]],
                         "quote": _quote(rec, ctx.needles, figs)}
        out.append(rec)
    if it.group_by:
        out = _grouped(kb, it, out)
    return out


class _RankContext:
    """What scoring every record shares: the question's words, their matches in the index, the terms asked."""

    def __init__(self, kb: KB, it: Interpretation):
        self.needles = _needles(kb, it)
        self.unused_rows: list[set[int]] = []
        self.relevance: dict[int, float] = {}
        word_parts = parts(kb, " ".join(it.unused + it.soft)) if it.unused or it.soft else []
        if word_parts:  # the words not recognised still rank: by the parts they match, then by BM25
            self.unused_rows = [part_rowids(kb, p) for p in word_parts]
            self.relevance = text_relevance(kb, word_parts)
        self.asked = {v: {t for x in getattr(it, v) for t in ([x] if x in kb.terms else resolve.terms(kb, v, x))}
                      for v in VOCABS}  # a shared name (a word, not an id) counts as all its terms
        self.term_words = {loose(d["text"]) for d in it.recognised
                           if d.get("as") in ("mechanism", "instrument", "blockage")}


def _score(it: Interpretation, rec: dict, ctx: _RankContext) -> tuple[float, list[dict]]:
    """A record's score for the question, and the figures that answer it (best first)."""
    score = 0.0
    if rec["id"] in it.records:
        score += 5
    for vocab, field_name in zip(VOCABS, ("regions", "mechanisms", "instruments", "addresses")):
        if not ctx.asked[vocab]:
            continue
        tags = {t["id"] for t in rec[field_name]}
        score += 2 if tags & ctx.asked[vocab] else 1 if tags else 0
    if it.prefer and {t["id"] for t in rec["instruments"]} & set(it.prefer):
        score += 1
    if rec["id"] in it.prefer_records:
        score += 2
    names = loose(f"{rec['name_zh']} {rec['name_en']}")
    score += sum(1 for w in ctx.term_words if w in names)  # 天使基金 names one kind of venture fund
    rowid = rec.get("rowid")
    score += sum(1 for rows in ctx.unused_rows if rowid in rows)
    b = max(ctx.relevance.get(rowid, 0.0), 0.0) if rowid is not None else 0.0
    score += 0.5 * b / (1 + b)
    figs = _answer_figures(it, rec, ctx.needles)
    if figs and it.mode == "figures":  # in a question for numbers the best figure weighs fully
        score += 1 + max(f["_score"] for f in figs)
    elif figs and it.money:  # money asked of records: one that names its amount first
        score += 1 + max(f["_score"] for f in figs) / 10
    if it.since or it.until:
        d = rec.get("date")
        if d and _overlaps(d, it.since, it.until):
            score += 1
    return score, figs


def _overlaps(period: str, since: str | None, until: str | None) -> bool:
    a, b = date_range(period)
    return (since is None or b >= date_range(since)[0]) and (until is None or a <= date_range(until)[1])


def _answer_figures(it: Interpretation, rec: dict, needles: list[str]) -> list[dict]:
    """The record's figures that answer the question, best first (none when it asks for no number,
    names no date and has no money in it). What the question asks about weighs most: its metric, then the
    words it uses that name no term (成交额, 研发投入强度), then the period, then the kind of unit."""
    if not (it.amount or it.count or it.money or it.since or it.until or it.metrics):
        return []
    words = {fold(w) for w in it.unused + it.soft}
    out = []
    for f in rec.get("figures", []):
        if it.mode == "figures" and ((it.metrics and f["metric"] not in it.metrics) or (
                (it.since or it.until) and not (f.get("as_of") and _overlaps(f["as_of"], it.since, it.until)))):
            continue  # the figures the printed command returns, no others
        s = 0.0
        money = f["unit"] in MONEY_UNITS
        if it.metrics and f["metric"] in it.metrics:
            s += 4
        percent = f["unit"] == "percent"
        if it.share:
            s += 2 if percent else 0
        elif it.count:
            s += 2 if not money and not percent else 0
        elif it.money or it.amount:
            s += 2 if money else 0
        if percent and not it.share:
            s -= 1  # a growth rate or share answers only a question about one
        if it.since or it.until:
            if f.get("as_of") and _overlaps(f["as_of"], it.since, it.until):
                s += 2
            elif f.get("as_of"):
                s -= 2
        text = fold(" ".join([f["metric"].replace("-", " "), f.get("label_en") or "", f["original"],
                              *(e["quote"] for e in f["evidence"])]))
        s += sum(_overlap(n, text) * (3 if n in words else 1) for n in needles)
        if s > 0:
            out.append(dict(f, _score=s))
    out.sort(key=lambda f: -f["_score"])
    return out


def _overlap(needle: str, text: str) -> float:
    """How much of a question's word stands in a text: 1 when whole; for a Chinese phrase of three or more
    characters, the share of its character pairs found (研发投入强度 in 研发经费投入强度), when at least half."""
    squeezed, pairs = _pairs(needle)
    if len(squeezed) < 2:
        return 0.0  # one character (量, 家) says nothing about which figure is meant
    if needle in text:
        return 1.0
    if not pairs:
        return 0.0
    share = sum(1 for p in pairs if p in text) / len(pairs)
    return share if share >= 0.5 else 0.0


@lru_cache(maxsize=256)
def _pairs(needle: str) -> tuple[str, frozenset]:
    """A word without spaces, and its character pairs when it is Chinese of three characters or more."""
    squeezed = re.sub(r"\s+", "", needle)
    if len(squeezed) < 3 or squeezed.isascii():
        return squeezed, frozenset()
    return squeezed, frozenset(squeezed[i:i + 2] for i in range(len(squeezed) - 1))


def _quote(rec: dict, needles: list[str], figs: list[dict] | None = None) -> dict | None:
    """One supporting quote: the best figure's, else the quote holding most of the question's words and the
    names of the terms it names (in the order the record gives them when none does)."""
    if figs and figs[0]["evidence"]:
        return figs[0]["evidence"][0]
    best, hits = None, 0.0
    for e in record_evidence(rec):
        text = fold(e["quote"])
        n = sum(_overlap(x, text) for x in needles)
        if n > hits:
            best, hits = e, n
    if best is not None:
        return best
    return rec["evidence"][0] if rec.get("evidence") else None


def _grouped(kb: KB, it: Interpretation, records: list[dict]) -> list[dict]:
    """Records grouped by place, or by the blockage they address (in the order of each group's best record);
    ``group`` names the place or blockage."""
    groups: dict[str, list[dict]] = {}
    for rec in records:
        if it.group_by == "blockage":
            place = rec["addresses"][0]["id"] if rec.get("addresses") else None
        else:
            place = _place(kb, rec, it.group_by or "region")
        rec["group"] = kb.mini(place) if place else None
        groups.setdefault(place or "", []).append(rec)
    return [r for g in groups.values() for r in g]


def _place(kb: KB, rec: dict, level: str) -> str | None:
    regions = [t["id"] for t in rec.get("regions", [])]
    if not regions:
        return None
    if level == "region":
        return regions[0]
    wanted = set(CITY_LEVELS) if level == "city" else {level}
    for rid in regions:
        for tid in [rid, *kb.ancestors(rid)]:
            if kb.terms.get(tid, {}).get("level") in wanted:
                return tid
    return regions[0]
