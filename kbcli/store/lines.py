"""The JSON lines of the records (``record_docs.json``), made during the build by kb and its writer."""

from __future__ import annotations

import json

from .. import shape
from ..text import json_dumps


class _Lines:
    """The JSON lines of the records (``record_docs.json``): each record's ``shape.row`` as ``kb query
    --format json`` prints it, made from the names of the terms and of the records sent so far and from
    the sources' restrictions. kb and its writer each make every other batch's lines (``Builder._flush``;
    at 100k records, 27.7-29.4 s against 29.2-31.1 s with the writer making them all: both processes are
    busy, and the lines cost about 6 s of CPU), so each keeps the names of every record. A link to a
    record not sent yet is made without its names, which are put in at the end (a string replacement:
    the link's opening holds raw quotes, which no JSON string can)."""

    def __init__(self) -> None:
        self.terms: dict[str, dict] = {}
        self.sources: dict[str, dict] = {}
        self.names: dict[str, dict] = {}
        self.later: list[tuple[int, list[str]]] = []  # rowid, ids of the records its line names too early

    def add_names(self, heads: list[tuple]) -> dict[int, str]:
        """Take the names of a batch's records from their rows (rowid, id, kind, name_zh, name_en ...);
        their kinds by rowid."""
        kinds = {}
        names = self.names
        for r in heads:
            kinds[r[0]] = r[2]
            names[r[1]] = {"kind": r[2], "name_zh": r[3], "name_en": r[4]}
        return kinds

    def made(self, kinds: dict[int, str], docs: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
        """The record_docs rows (rowid, doc, line) of a batch's (rowid, doc)."""
        names = self.names
        out = []
        for rowid, doc in docs:
            raw = json.loads(doc)
            early = [t for t in shape.linked_ids(raw) if t not in names]
            if early:
                self.later.append((rowid, early))
            line = json_dumps(shape.row(shape.record(kinds[rowid], raw, self.terms, self.sources, names)), indent=None)
            out.append((rowid, doc, line))
        return out

    def _opening(self, tid: str, names: dict) -> str:
        """How a link to ``tid`` opens in a line: up to its names, without the closing brace (a law of
        legal_basis goes on with its articles)."""
        return json_dumps(shape.link(tid, names), indent=None)[:-1]

    def rest(self, conn) -> list[tuple[str, int]]:
        """(line, rowid) of the lines made before a record they link to was written: every record is
        written by now, so its names are known."""
        out = []
        for i in range(0, len(self.later), 500):
            chunk = dict(self.later[i:i + 500])
            for rowid, line in conn.execute(
                    f"SELECT rowid, json FROM record_docs WHERE rowid IN ({','.join('?' * len(chunk))})", list(chunk)):
                for tid in dict.fromkeys(chunk[rowid]):
                    line = line.replace(self._opening(tid, {}), self._opening(tid, self.names))
                out.append((line, rowid))
        return out

