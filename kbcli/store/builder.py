"""The build's steps on kb's side: a validator sink (``Builder``) that turns each validated item into
rows, batches them, and sends them to the writer process (``kbcli.store.writer``); at the end it
sends the sources, the vocabulary's closure and names and the database's meta, and waits for the
writer to finish. An interrupted build (Ctrl-C, SIGTERM, a bad seed) kills the writer at once and
removes its file."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Protocol

from .. import __version__, shape
from ..dates import date_range
from ..errors import BuildError
from ..paths import Input
from ..seed import models as m
from ..text import has_han, loose
from .lines import _Lines
from .schema import SCHEMA_VERSION
from .writer import _SIGNALS, PHASES, MemoryCeiling, _Channel, _writer, check_memory, how_it_ended

BATCH = 256  # records (or terms) per message to the writer
PARENT_EVERY = 2  # kb makes the JSON lines of every PARENT_EVERY-th batch, the writer the others' (0: none)


class Progress(Protocol):
    """What a build tells a progress display (``kbcli.render.progress`` draws one on a terminal)."""

    def update(self, phase: str, done: int, total: int, records: int, written: int) -> None:
        """``phase``: "reading" (``done`` of ``total`` bytes of the seed), "checking" (the same,
        reading again to locate problems), "writing" (the writer's last rows) or "indexing";
        ``records`` read so far, ``written`` into the database."""

    def close(self) -> None: ...


_encode = json.JSONEncoder(ensure_ascii=False).encode


def _json(v) -> str | None:
    """A list as stored: a JSON array (None for a field the item does not have)."""
    if v is None:
        return None
    return _encode(v) if v else "[]"


def _json_ids(v: list[str]) -> str:
    """A list of ids as ``_json`` writes it: ids hold nothing JSON escapes (see ``models.ID_RE``)."""
    return '["' + '", "'.join(v) + '"]' if v else "[]"


def _split(texts) -> tuple[list[str], list[str]]:
    """Texts with Chinese characters, and the rest (English words for the stemmer)."""
    zh: list[str] = []
    en: list[str] = []
    for t in texts:
        if t:
            (zh if has_han(t) else en).append(t)
    return zh, en


class Builder:
    """A validator sink that turns items into rows and has the writer process put them into a
    temporary file. Each row is made from the validated model's own fields (``obj.__dict__``: a
    field another kind of record has is simply absent, where getattr through pydantic would raise
    and catch an AttributeError)."""

    def __init__(self, target: Path, progress: Progress | None = None):
        import multiprocessing

        self.target = target
        self.progress = progress
        target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        if self.tmp.exists():
            self.tmp.unlink()
        # fork: the writer shares the channel's memory, and its parent is kb (which it watches)
        ctx = multiprocessing.get_context("fork")
        self.channel = _Channel(ctx)
        self.pipe, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_writer, name="kb-writer", daemon=True,
                                args=(str(self.tmp), str(target), self.channel, child, os.getpid()))
        # the writer starts with Ctrl-C and SIGTERM blocked, until it has set up its own handling
        blocked = hasattr(signal, "pthread_sigmask")
        if blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            self.proc.start()
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
        child.close()
        self.buf: dict[str, list] = defaultdict(list)
        self.batched = 0  # items in self.buf
        self.terms: dict[str, Any] = {}
        self.term_vocab: dict[str, str] = {}
        # sources are few: kept until the end, when each article's restriction is its document's too
        self.sources: dict[str, Any] = {}
        self.restrictions: dict[str, tuple[bool, str | None]] = {}  # of sources whose chain is complete
        self.sent: set[str] = set()  # sources whose restriction the writer has
        self.lines = _Lines()
        self.flushed = 0  # batches of records sent
        # records that name a term or source not yet seen (a seed may order its sections freely): made at the
        # end, since a record's row carries its terms' names and whether a source restricts citation
        self.pending: list[tuple[str, Any, int, list[str]]] = []
        self.rowid = 0
        self.counts: Counter = Counter()
        self.records = 0
        self.phase, self.done, self.total = "reading", 0, 0
        self.shown = 0.0

    # ------------------------------------------------------------------
    def _alive(self) -> bool:
        return self.proc.is_alive()

    def _send(self, message: tuple) -> None:
        try:
            self.channel.send(message, self._alive, self.show)
        except BrokenPipeError:
            raise BuildError(self._writer_error()) from None

    def _writer_error(self) -> str:
        """Why the writer stopped: its own last word, else how it ended (SIGKILL: the out-of-memory killer)."""
        try:
            if self.pipe.poll(1):
                kind, msg = self.pipe.recv()
                if kind == "error":
                    return msg
        except (EOFError, OSError):  # it died without a word
            pass
        self.proc.join(timeout=5)
        return f"the database writer stopped ({how_it_ended(self.proc.exitcode)})"

    def _flush(self) -> None:
        if self.buf:
            buf = self.buf
            if buf["records"]:
                kinds = self.lines.add_names([r[0] for r in buf["records"]])
                self.flushed += 1
                if PARENT_EVERY and self.flushed % PARENT_EVERY == 0:  # some batches' JSON lines made here (_Lines)
                    buf["record_docs"] = self.lines.made(kinds, buf["record_docs"])
                    if self.lines.later:
                        buf["later"], self.lines.later = self.lines.later, []
            self._send(("batch", dict(buf)))
            self.buf = defaultdict(list)
            try:
                check_memory("kb")
            except MemoryCeiling as exc:
                raise BuildError(str(exc)) from None
        self.batched = 0

    def read(self, done: int) -> None:
        """The reader's progress: ``done`` bytes of the seed read."""
        self.done = done
        self.show()

    def show(self) -> None:
        """Tell the progress display, at most ten times a second."""
        if self.progress is None:
            return
        now = time.monotonic()
        if now - self.shown >= 0.1:
            self.shown = now
            written, phase = self.channel.progress()
            if phase:
                self.phase = PHASES[phase]
            self.progress.update(self.phase, self.done, self.total, self.records, written)

    def _evidence(self, owner: str, part: str, evidence: list, record: str | None = None,
                  term: str | None = None) -> None:
        rows = self.buf["evidence"]
        for i, e in enumerate(evidence):
            rows.append((owner, record, term, part, i, e.source, e.quote, e.locator, e.note))

    def _figures(self, owner: str, owner_kind: str, figures: list) -> None:
        record, term = (None, owner) if owner_kind == "term" else (owner, None)
        rows = self.buf["figures"]
        for i, f in enumerate(figures):
            start = end = None
            if f.as_of:
                start, end = date_range(f.as_of)
            sources = _json_ids(list(dict.fromkeys(e.source for e in f.evidence)))
            rows.append((owner, i, owner_kind, record, term, f.metric, f.label_en, f.value, f.value_max,
                         f.unit, f.qualifier, f.as_of, start, end, f.original, f.note, sources))
            self._evidence(owner, f"figures[{i}]", f.evidence, record, term)

    def _restriction(self, sid: str) -> tuple[bool, str | None] | None:
        """Whether a source asks not to be cited, itself or through the document it is part of, and its
        words; None while a source of the chain is not yet known."""
        known = self.restrictions.get(sid)
        if known is not None:
            return known
        seen = set()
        start, answer = sid, (False, None)
        while sid not in seen:
            seen.add(sid)
            src = self.sources.get(sid)
            if src is None:
                return None
            if src.restricted:
                answer = (True, src.citation_note)
                break
            if not src.part_of:
                break
            sid = src.part_of
        self.restrictions[start] = answer
        return answer

    # ------------------------------------------------------------------
    def add(self, section: str, obj: Any) -> None:
        self.counts[section] += 1
        if section == "sources":
            self.sources[obj.id] = obj
        elif section in m.VOCABS:
            self.terms[obj.id] = obj
            self.term_vocab[obj.id] = section
            # The term's Chinese name goes into the index of every record it tags, its English
            # names and aliases too; its Chinese aliases (script variants, short forms) do not:
            # repeated on every record they were 29% of all tokens, and `kb query` matches them.
            _, en = _split(obj.aliases)
            self.buf["term_text"].append((obj.id, [obj.name_zh], [obj.name_en, *en], obj.name_zh, obj.name_en))
            self.lines.terms[obj.id] = {"name_zh": obj.name_zh, "name_en": obj.name_en}
            d = obj.__dict__
            self.buf["terms"].append((obj.id, section, obj.name_zh, obj.name_en, obj.parent, d.get("level"),
                                          _json(obj.aliases), _json_ids(obj.see_also), obj.description_en,
                                          self.counts[section], obj.model_dump_json(exclude_none=True)))
            self._evidence(obj.id, "", obj.evidence, term=obj.id)
            self._figures(obj.id, "term", obj.figures)
            self._count()
        else:
            sources = obj.quote_sources()
            if self._ready(obj, sources):
                self._record(section, obj, self.counts[section], sources)
            else:
                self.pending.append((section, obj, self.counts[section], sources))

    def _count(self) -> None:
        self.batched += 1
        if self.batched >= BATCH:
            self._flush()

    def _ready(self, obj: Any, sources: list[str]) -> bool:
        terms = self.terms
        return (all(t in terms for t in obj.regions) and all(t in terms for t in obj.mechanisms)
                and all(t in terms for t in obj.instruments) and all(t in terms for t in obj.addresses)
                and all(self._restriction(s) is not None for s in sources))

    def _record(self, section: str, obj: Any, ord_: int, sources: list[str]) -> None:
        self.rowid += 1
        self.records += 1
        rid, kind, rec = self.rowid, m.KIND_OF_SECTION[section], obj.id
        d = obj.__dict__
        buf = self.buf
        date = obj.date or d.get("issued")
        start = end = None
        if date:
            start, end = date_range(date)
        regions, mechanisms, instruments, blockages = obj.regions, obj.mechanisms, obj.instruments, obj.addresses
        notes = []
        for s in sources:
            restricted, note = self._restriction(s)  # type: ignore[misc]  # every source is known (_ready)
            if restricted:
                notes.append(note)
            if s not in self.sent:  # the JSON lines mark the quotes of such sources
                self.sent.add(s)
                buf["restrictions"].append((s, restricted, note))
                self.lines.sources[s] = {"restricted": restricted, "citation_note": note}
        actors_zh, actors_en = _split(obj.actors)
        short_zh, short_en = _split(obj.short_names)
        issuers = d.get("issuers")
        head = (rid, rec, kind, obj.name_zh, obj.name_en, _json(obj.short_names), obj.summary_en, date, start, end,
                d.get("status"), obj.part_of, _json_ids(regions), _json_ids(mechanisms), _json_ids(instruments),
                _json_ids(blockages), _json(obj.actors), _json_ids(sources), int(bool(notes)),
                "; ".join(dict.fromkeys(n for n in notes if n)) or None, d.get("level"),
                None if issuers is None else _json(issuers), d.get("doc_number"), d.get("issued"), d.get("effective"),
                d.get("category"))
        buf["record_docs"].append((rid, obj.model_dump_json(exclude_defaults=True)))  # defaults filled on read
        names = buf["record_names"]
        for key in {loose(n) for n in (rec, obj.name_zh, obj.name_en, *obj.short_names)}:
            names.append((key, rec))
        rt = buf["record_terms"]
        for t in regions:
            rt.append((rec, t, "regions"))
        for t in mechanisms:
            rt.append((rec, t, "mechanisms"))
        for t in instruments:
            rt.append((rec, t, "instruments"))
        for t in blockages:
            rt.append((rec, t, "blockages"))
        # the search row's texts: quotes, summaries and names of the record and its parts
        quotes = [e.quote for e in obj.evidence]
        self._evidence(rec, "", obj.evidence, record=rec)
        if obj.figures:
            self._figures(rec, kind, obj.figures)
            for f in obj.figures:
                quotes.extend(e.quote for e in f.evidence)
        summary = [obj.summary_en, obj.notes or "", *(f.label_en for f in obj.figures if f.label_en)]  # labels: kb search
        more_zh: list[str] = []
        links = buf["links"]
        for lb in obj.legal_basis:
            links.append((rec, "legal_basis", lb.law, _json(lb.articles) if lb.articles else None, lb.note))
        for t in obj.implements:
            links.append((rec, "implements", t, None, None))
        if obj.part_of:
            links.append((rec, "part_of", obj.part_of, None, None))
        for t in obj.related:
            links.append((rec, "related", t, None, None))
        if section == "laws":
            articles = buf["articles"]
            for i, a in enumerate(obj.articles):
                articles.append((rec, a.number, a.version or "", _json(a.items), a.gist_en))
                self._evidence(rec, f"articles[{i}]", a.evidence, record=rec)
                quotes.extend(e.quote for e in a.evidence)
                summary.append(a.gist_en)
        elif section == "models":
            for i, c in enumerate(obj.components):
                self._evidence(rec, f"components[{i}]", c.evidence, record=rec)
                quotes.extend(e.quote for e in c.evidence)
                more_zh.append(c.name_zh)
                summary.extend((c.name_en, c.summary_en or ""))
        buf["records"].append((
            head, ord_, [*regions, *mechanisms, *instruments, *blockages], actors_zh, actors_en, more_zh,
            [obj.name_zh, *short_zh], "\n".join([rec.replace("-", " "), obj.name_en, *short_en]),
            "\n".join(t for t in summary if t), list(dict.fromkeys(quotes))))  # a figure often repeats its record's quote
        self._count()

    # ------------------------------------------------------------------
    def finish(self, seed: Input, seed_meta: Any = None) -> dict[str, int]:
        """Send what is left and have the writer index and rename the database. The meta records the
        seed as it was read: the hash of the bytes parsed, the size and mtime of the file they came from
        (taken when it was opened: a file renamed over it meanwhile, or written to, differs in them)."""
        for section, obj, ord_, sources in self.pending:
            self._record(section, obj, ord_, sources)
        buf = self.buf
        for n, obj in enumerate(self.sources.values(), 1):
            restricted, note = self._restriction(obj.id) or (False, None)
            buf["sources"].append((obj.id, obj.file, obj.part_of, obj.type, obj.title, obj.title_en,
                                   obj.container_title, obj.publisher, obj.issued, obj.language, obj.url,
                                   int(restricted), note, n, obj.model_dump_json(exclude_none=True)))
            self._evidence(obj.id, "", obj.evidence)
        closure: list[tuple] = []
        names: set[tuple] = set()
        for tid, term in self.terms.items():
            vocab = self.term_vocab[tid]
            node: str | None = tid
            depth, seen = 0, set()
            while node and node not in seen:
                seen.add(node)
                closure.append((node, tid, depth))
                node = self.terms[node].parent if node in self.terms else None
                depth += 1
            for n_ in (tid, term.name_zh, term.name_en, *term.aliases):
                names.add((vocab, loose(n_), tid))
        buf["term_closure"].extend(closure)
        buf["term_names"].extend(sorted(names))
        counts = {m.KIND_OF_SECTION.get(k, k): v for k, v in self.counts.items()}
        # no path of the builder's machine: the database is published as it is
        meta = {"schema_version": str(SCHEMA_VERSION), "seed_sha256": seed.sha256(), "seed_file": Path(seed.name).name,
                "seed_size": str(seed.size), "seed_mtime_ns": str(seed.mtime_ns),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "generator": "kbcli", "kbcli_version": __version__,
                "counts": json.dumps(counts), "shape_version": shape.SHAPE_VERSION}
        if seed_meta is not None:
            for key in ("title", "title_zh", "description", "description_zh", "license"):
                if getattr(seed_meta, key, None):
                    meta[key] = getattr(seed_meta, key)
        if seed_meta is not None and seed_meta.out_of_scope:
            meta["out_of_scope"] = json.dumps([t.model_dump() for t in seed_meta.out_of_scope], ensure_ascii=False)
        buf["meta"].extend(sorted(meta.items()))
        self._flush()
        self.phase = "writing"
        self._send(("finish", None))
        while not self.pipe.poll(0.1) and self.proc.is_alive():
            self.show()
        try:
            reply = self.pipe.recv()
        except (EOFError, OSError):  # the writer died without a word (killed, out of memory)
            self.proc.join(timeout=5)
            reply = ("error", f"the database writer stopped ({how_it_ended(self.proc.exitcode)})")
        self.proc.join()
        self.channel.close()
        if reply[0] != "done":
            raise BuildError(reply[1])
        return counts

    def abort(self) -> None:
        """Stop at once (Ctrl-C, SIGTERM, a bad seed): kill the writer, whatever it is doing,
        and remove the temporary file; the target was never touched."""
        try:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(timeout=5)
        finally:
            self.channel.close()
            try:
                self.tmp.unlink()
            except OSError:
                pass

