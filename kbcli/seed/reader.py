"""Read a seed file as a stream of items, each with the line and column of
every value and key in it.

The seed is a mapping of sections (``meta``, ``sources``, ``regions`` ...,
``practices``); each section but ``meta`` is a list. The reader drives
libyaml's event parser (CParser when PyYAML has it, the pure-Python parser
otherwise) and builds plain Python values itself, one list item at a time, so
memory stays flat however large the file is.

Scalars stay strings: a plain ``2022`` is ``"2022"`` and pydantic coerces
where a field wants a number. Only ``~``, ``null`` and an empty plain scalar
become ``None``. This keeps partial dates and ids from turning into integers
(or ``no`` into ``False``).

Hostile input is bounded. Anchors and aliases (``&a`` / ``*a``) work, but all
the aliases of a seed together may stand for at most ``ALIAS_BUDGET`` values
(10,000: scalars, lists and mappings, counted inside what an alias repeats)
and ``ALIAS_CHARS`` characters (1,000,000: the text of every key and scalar
they repeat), so a "billion laughs" file of nested aliases, or a long text
aliased thousands of times, is refused at the alias that crosses the budget,
in milliseconds. An alias inside the value its anchor names (``junk: &c
[*c]``) is a cycle, refused. Values nest at most ``MAX_DEPTH`` (64) levels.
Each refusal is located at FILE:LINE:COL.

The file is opened once (``kbcli.paths.open_input``): each read of it (the
build's passes) starts again from that open file, and hashes what it parses.

Positions cost: recording one for every value and key of a large seed took
half as long again as libyaml's own parse. The build therefore reads without
them first (``located=False``), which stops with ``Unlocated`` at the first
thing that is not a plain valid value (a repeated key, an alias refused, too
deep); the caller then reads the file again with positions to report every
problem, located.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events as ev
from yaml.parser import Parser as _PurePythonParser
from yaml.reader import Reader as _Reader
from yaml.scanner import Scanner as _Scanner

from ..errors import Issue, SeedError
from ..paths import Input, open_data


class PyParser(_Reader, _Scanner, _PurePythonParser):
    """PyYAML's pure-Python event parser, used when libyaml is missing."""

    def __init__(self, stream):
        _Reader.__init__(self, stream)
        _Scanner.__init__(self)
        _PurePythonParser.__init__(self)


try:  # libyaml's C parser when present (yaml does not re-export it)
    from yaml._yaml import CParser  # type: ignore[import-not-found]

    LIBYAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    CParser = PyParser  # type: ignore[misc,assignment]
    LIBYAML = False

Path = tuple  # a path inside an item: ("articles", 0, "number")
ALIAS_BUDGET = 10_000  # values that all the aliases of a seed may stand for, together
ALIAS_CHARS = 1_000_000  # characters that all the aliases of a seed may stand for, together
MAX_DEPTH = 64  # nesting of lists and mappings inside one item
MAX_PROBLEMS = 1000  # problems kept per item (a million repeated keys are counted, not kept)
NULLS = frozenset(("", "~", "null", "Null", "NULL"))
STR_TAG = "tag:yaml.org,2002:str"


@dataclass
class Item:
    """One top-level value: a list item of a section, or the ``meta`` mapping."""

    section: str
    index: int | None  # position in the section's list; None for a mapping section
    data: Any
    line: int  # 1-based
    col: int  # 1-based
    pos: dict = field(default_factory=dict)  # path -> (line, col) of the value
    keypos: dict = field(default_factory=dict)  # path -> (line, col) of the key
    problems: list = field(default_factory=list)  # (line, col, message, path) found while reading
    more_problems: int = 0  # found beyond the MAX_PROBLEMS kept

    def __post_init__(self) -> None:
        self.where = self.section if self.index is None else f"{self.section}[{self.index}]"

    def locate(self, path: Path, key: bool = False) -> tuple[int, int]:
        """The position of ``path`` or, failing that, of its nearest parent."""
        table = self.keypos if key else self.pos
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if key and p in self.pos:
                return self.pos[p]
            p = p[:-1]
        return (self.line, self.col)


class ReadError(Exception):
    """A YAML syntax or structure error at a position."""

    def __init__(self, message: str, line: int, col: int, path: str = ""):
        super().__init__(message)
        self.message, self.line, self.col, self.path = message, line, col, path


class Unlocated(Exception):
    """The reader without positions met something to report: read again with positions."""


class _Duplicate(str):
    """A repeated key: its value is read (for positions) but not stored."""


class _NoKey:
    __slots__ = ()

    def __repr__(self) -> str:  # pragma: no cover
        return "<no key>"


_NOKEY = _NoKey()


def _fmt(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def evidence_in(data: Any, path: Path = ()) -> Iterator[tuple[Path, dict]]:
    """Every evidence mapping ({source, quote, ...}) anywhere in raw item data, with its path."""
    if isinstance(data, dict):
        if isinstance(data.get("quote"), str) and "source" in data:
            yield path, data
        for k, v in data.items():
            yield from evidence_in(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from evidence_in(v, path + (i,))


def format_path(prefix: str, path: Path) -> str:
    """``laws[3]`` + ("articles", 0, "number") -> ``laws[3].articles[0].number``."""
    rest = _fmt(path)
    if not rest:
        return prefix
    return prefix + (rest if rest.startswith("[") else "." + rest)


def read_file(path, label: str, what: str = "the seed", on_section=None, located: bool = True,
              progress=None) -> Iterator[Item]:
    """The items of the YAML file at ``path`` (a path, or an ``Input`` already open), as
    ``read_items``. A file that cannot be read or parsed raises ``SeedError`` with one issue
    located at ``label`` (one that cannot be opened, one line: ``kbcli.paths.open_data``). ``progress``, when given, is called with the number of bytes read so
    far, every few hundred items. Once every item is read, the input's ``sha256`` is that of the
    bytes parsed."""
    if isinstance(path, Input):
        source = path
    else:
        source = open_data(path, what)
    try:
        fh = source.reader()
        try:
            if progress is None:
                yield from read_items(fh, on_section=on_section, located=located)
            else:
                tell = fh.tell
                for n, item in enumerate(read_items(fh, on_section=on_section, located=located)):
                    if not n & 255:
                        progress(tell())
                    yield item
                progress(tell())
        except ReadError as exc:
            raise SeedError([Issue(label, exc.line, exc.col, exc.message, exc.path)]) from None
        except OSError as exc:
            raise SeedError([Issue(label, 1, 1, f"cannot read {what}: {exc.strerror or exc}")]) from None
        fh.digest()
    finally:
        if source is not path:
            source.close()


def read_items(stream, on_section=None, parser_class=None, located: bool = True) -> Iterator[Item]:
    """Yield the seed's items in file order.

    ``stream`` is a text or binary file object or a string. Raises
    ``ReadError`` on a syntax error or when the top level is not a mapping of
    sections. Without ``located`` the items hold no positions but their own, and
    ``Unlocated`` is raised at the first problem inside one.
    """
    parser: Any = (parser_class or CParser)(stream)
    read_value = _read_value if located else _read_value_unlocated
    anchors = _Anchors()
    e: Any
    try:
        e = parser.get_event()
        if not isinstance(e, ev.StreamStartEvent):  # pragma: no cover
            raise ReadError("not a YAML stream", 1, 1)
        e = parser.get_event()
        if isinstance(e, ev.StreamEndEvent):
            return
        e = parser.get_event()  # after DocumentStart
        if isinstance(e, ev.DocumentEndEvent):
            return
        if not isinstance(e, ev.MappingStartEvent):
            m = e.start_mark
            raise ReadError("the seed must be a mapping of sections (meta, sources, regions, ...)",
                            m.line + 1, m.column + 1)
        seen: set = set()
        while True:
            e = parser.get_event()
            if isinstance(e, ev.MappingEndEvent):
                break
            if not isinstance(e, ev.ScalarEvent):
                m = e.start_mark
                raise ReadError("a section name must be a plain key", m.line + 1, m.column + 1)
            section, km = e.value, e.start_mark
            assert km is not None  # libyaml marks every event
            if section in seen:
                raise ReadError(f"duplicate section {section!r}", km.line + 1, km.column + 1, section)
            seen.add(section)
            if on_section is not None:
                on_section(section, km.line + 1, km.column + 1)
            e = parser.get_event()
            m = e.start_mark
            if isinstance(e, ev.SequenceStartEvent):
                anchor = e.anchor
                if anchor:  # a whole section is never held in memory: an alias may not repeat it
                    anchors[anchor] = (_SECTION, None, 0)
                index = 0
                while True:
                    e = parser.get_event()
                    if isinstance(e, ev.SequenceEndEvent):
                        break
                    yield read_value(parser, e, anchors, section, index)
                    index += 1
                if anchor:
                    anchors[anchor] = (_SECTION, 0, 0)
            else:
                yield read_value(parser, e, anchors, section, None)
        e = parser.get_event()  # DocumentEnd
        e = parser.get_event()
        if not isinstance(e, ev.StreamEndEvent):
            m = e.start_mark
            raise ReadError("the seed must hold a single YAML document", m.line + 1, m.column + 1)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "YAML syntax error"
        if exc.context:
            where = ""
            cm = exc.context_mark
            if cm is not None and mark is not None and (cm.line, cm.column) != (mark.line, mark.column):
                where = f" that starts at line {cm.line + 1}, column {cm.column + 1}"
            problem = f"{problem} ({exc.context}{where})"
        raise ReadError(f"YAML syntax error: {problem}", line, col) from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors (encoding)
        raise ReadError(f"YAML error: {exc}", 1, 1) from None


_SECTION = _NoKey()  # an anchor on a whole section


class _Anchors(dict):
    """Anchor name -> (value, size, chars), size being the number of values it holds (None while the
    anchored list or mapping is still open) and chars the characters of its keys and scalars;
    ``expanded`` and ``chars`` count the values and characters aliases stood for."""

    expanded = 0
    chars = 0

    def repeat(self, size: int, chars: int) -> str | None:
        """Count an alias that repeats ``size`` values of ``chars`` characters; what it exceeds, if anything."""
        self.expanded += size
        self.chars += chars
        if self.expanded > ALIAS_BUDGET:
            return f"{ALIAS_BUDGET} values"
        if self.chars > ALIAS_CHARS:
            return f"{ALIAS_CHARS} characters"
        return None


def _read_value(parser, first, anchors, section, index) -> Item:
    """Build one item from events, recording the position of every value and key.

    One function with local state: it runs once per event of a seed that may
    hold millions of them."""
    pos: dict = {}
    keypos: dict = {}
    problems: list = []
    more = 0
    # stack entries: [container, path, pending key (or _NOKEY), is_mapping, start mark, values inside, anchor]
    stack: list[list] = []
    get_event = parser.get_event
    Scalar, MapStart, SeqStart = ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent
    MapEnd, SeqEnd, Alias = ev.MappingEndEvent, ev.SequenceEndEvent, ev.AliasEvent
    nokey, nulls = _NOKEY, NULLS
    start = first.start_mark
    result = None
    e = first
    while True:
        t = type(e)
        if t is Scalar:
            m = e.start_mark
            value = None if (e.implicit[0] and not e.style and e.value in nulls and e.tag != STR_TAG) else e.value
            size = 1
            if e.anchor:
                anchors[e.anchor] = (value, 1, len(value) if value else 0)
        elif t is MapStart or t is SeqStart:
            m = e.start_mark
            if len(stack) >= MAX_DEPTH:
                raise ReadError(f"values nest deeper than {MAX_DEPTH} levels", m.line + 1, m.column + 1)
            if stack:
                top = stack[-1]
                if top[3]:
                    key = top[2]
                    if key is nokey:
                        raise ReadError("a mapping key must be a plain value", m.line + 1, m.column + 1)
                    path = top[1] + (("<duplicate>",) if type(key) is _Duplicate else (key,))
                else:
                    path = top[1] + (len(top[0]),)
            else:
                path = ()
            pos[path] = (m.line + 1, m.column + 1)
            container: Any = {} if t is MapStart else []
            if e.anchor:
                anchors[e.anchor] = (container, None, 0)
            stack.append([container, path, nokey, t is MapStart, m, 0, e.anchor])
            e = get_event()
            continue
        elif t is MapEnd or t is SeqEnd:
            entry = stack.pop()
            value, m, size = entry[0], entry[4], entry[5] + 1
            if entry[6]:
                anchors[entry[6]] = (value, *_measure(value))
        elif t is Alias:
            m = e.start_mark
            if e.anchor not in anchors:
                raise ReadError(f"unknown alias *{e.anchor}", m.line + 1, m.column + 1)
            value, size, chars = anchors[e.anchor]
            if value is _SECTION and size is not None:
                raise ReadError(f"alias *{e.anchor} names a whole section; aliases may only repeat values "
                                "inside a section", m.line + 1, m.column + 1)
            if size is None:
                raise ReadError(f"alias *{e.anchor} is inside the value its anchor names (a cycle)",
                                m.line + 1, m.column + 1)
            over = anchors.repeat(size, chars)
            if over:
                raise ReadError(f"aliases stand for more than {over} in all (*{e.anchor} repeats {size} "
                                f"values, {chars} characters); write the values out instead", m.line + 1, m.column + 1)
        else:  # pragma: no cover - the parser yields nothing else inside a value
            raise ReadError(f"unexpected {t.__name__}", e.start_mark.line + 1, e.start_mark.column + 1)
        # place a finished value in its parent
        if not stack:
            result = value
            if t is not MapEnd and t is not SeqEnd:
                pos[()] = (m.line + 1, m.column + 1)
            break
        top = stack[-1]
        top[5] += size
        container, path = top[0], top[1]
        if top[3]:
            key = top[2]
            if key is nokey:  # the value is a key
                if t is MapEnd or t is SeqEnd or not (value is None or type(value) is str):
                    raise ReadError("a mapping key must be a plain value", m.line + 1, m.column + 1)
                key = "" if value is None else value
                kp = path + (key,)
                if kp in keypos:
                    if len(problems) < MAX_PROBLEMS:
                        msg = f"duplicate key {key!r} (first at line {keypos[kp][0]}); the first value is kept"
                        problems.append((m.line + 1, m.column + 1, msg, kp))
                    else:
                        more += 1
                    key = _Duplicate(key)
                else:
                    keypos[kp] = (m.line + 1, m.column + 1)
                top[2] = key
            else:
                if t is not MapEnd and t is not SeqEnd:
                    pos[path + (("<duplicate>",) if type(key) is _Duplicate else (key,))] = (m.line + 1, m.column + 1)
                if type(key) is not _Duplicate:
                    container[key] = value
                top[2] = nokey
        else:
            if t is not MapEnd and t is not SeqEnd:
                pos[path + (len(container),)] = (m.line + 1, m.column + 1)
            container.append(value)
        e = get_event()
    return Item(section, index, result, start.line + 1, start.column + 1, pos, keypos, problems, more)


def _measure(v: Any) -> tuple[int, int]:
    """How many values ``v`` stands for, and how many characters, as the alias budget counts them:
    itself and every key and value inside; the characters of every key and scalar."""
    if type(v) is dict:
        size, chars = 1 + len(v), sum(map(len, v))
        for x in v.values():
            s, c = _measure(x)
            size += s
            chars += c
        return size, chars
    if type(v) is list:
        size, chars = 1, 0
        for x in v:
            s, c = _measure(x)
            size += s
            chars += c
        return size, chars
    return 1, len(v) if type(v) is str else 0


def _read_value_unlocated(parser, first, anchors, section, index) -> Item:
    """``_read_value`` without the positions: the values alone, and ``Unlocated`` at whatever
    ``_read_value`` would report or refuse. Kept apart from it, as it runs once per event:
    the open container's state lives in local variables, and only an anchored container is
    counted for the alias budget (when it closes: an alias inside it has kept within the budget)."""
    stack: list[tuple] = []  # the enclosing containers' (container, is_map, key, anchor)
    get_event = parser.get_event
    Scalar, MapStart, SeqStart = ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent
    MapEnd, SeqEnd, Alias = ev.MappingEndEvent, ev.SequenceEndEvent, ev.AliasEvent
    nokey, nulls = _NOKEY, NULLS
    cont: Any = None  # the open container, whether it is a mapping, the key awaiting its value, its anchor
    is_map = False
    key: Any = nokey
    anchor = None
    e = first
    while True:
        t = type(e)
        if t is Scalar:
            value = e.value
            if not e.style and len(value) < 5 and value in nulls and e.implicit[0] and e.tag != STR_TAG:
                value = None
            if e.anchor:
                anchors[e.anchor] = (value, 1, len(value) if value else 0)
        elif t is MapStart or t is SeqStart:
            if len(stack) >= MAX_DEPTH or (is_map and key is nokey):
                raise Unlocated  # too deep, or a list or mapping as a key
            stack.append((cont, is_map, key, anchor))
            cont = {} if t is MapStart else []
            is_map = t is MapStart
            key = nokey
            anchor = e.anchor
            if anchor:
                anchors[anchor] = (cont, None, 0)
            e = get_event()
            continue
        elif t is MapEnd or t is SeqEnd:
            value = cont
            if anchor:
                anchors[anchor] = (value, *_measure(value))
            cont, is_map, key, anchor = stack.pop()
        elif t is Alias:
            value, size, chars = anchors.get(e.anchor, (None, None, 0))
            if size is None or value is _SECTION:  # unknown, a cycle, or a whole section
                raise Unlocated
            if anchors.repeat(size, chars) or (is_map and key is nokey and type(value) in (dict, list)):
                raise Unlocated
        else:  # pragma: no cover - the parser yields nothing else inside a value
            raise Unlocated
        if cont is None:
            m = first.start_mark
            return Item(section, index, value, m.line + 1, m.column + 1)
        if is_map:
            if key is nokey:  # the value is a key
                key = "" if value is None else value
                if key in cont:  # a repeated key
                    raise Unlocated
            else:
                cont[key] = value
                key = nokey
        else:
            cont.append(value)
        e = get_event()
