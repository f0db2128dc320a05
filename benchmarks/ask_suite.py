"""The kb ask question suite: every question of benchmarks/ask_questions.yaml asked in-process, scored.

    python benchmarks/ask_suite.py [--db DB] [--json OUT] [--only ID,ID] [--show]

The questions were written from the five sources before kb was run on them (156: a third in English, a
third in simplified and a third in traditional Chinese), each with what a right answer holds:

* ``match``: ``answer`` (kb answers: exact or partial) or ``none`` (kb says the base has nothing);
* ``any``: at least one of these ids among the first ``within`` (5) answer records; ``all``: every one;
* ``figures``: at least one of these figure handles (``ID#METRIC`` or ``ID#METRIC@AS_OF``) shown as an
  answer figure;
* ``about``: what every answer record must be about, ``regions`` (tagged with one of them or a place
  inside one; a region term answering is about itself) or ``text`` (its own text, names, short names,
  summary, quotes, actors and issuers, holds one of the strings); ``none_of``: records that must not be
  answers.

A question is **right** when the match state, ``any``, ``all`` and ``figures`` hold and nothing is
wrong. It is **WRONG** (counted apart, and every one printed) when an answer record is not about what
``about`` names, is one of ``none_of``, or when kb answers a question whose honest answer is none: an
answer about another place or entity presented as the answer. Related material printed beside an
answer (``related``) is not the answer and is not scored.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = Path(__file__).resolve().parent / "ask_questions.yaml"
sys.path.insert(0, str(ROOT))


def load(path: Path = QUESTIONS) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _handles(rec: dict) -> set[str]:
    out = set()
    for f in (rec.get("answer") or {}).get("figures", []):
        out.add(f"{rec['id']}#{f['metric']}")
        if f.get("as_of"):
            out.add(f"{rec['id']}#{f['metric']}@{f['as_of']}")
    return out


def _own_text(rec: dict) -> str:
    from kbcli.shape import record_evidence
    from kbcli.text import fold

    parts = [rec.get("name_zh") or "", rec.get("name_en") or "", rec.get("summary_en") or "",
             *rec.get("short_names", []), *rec.get("actors", []), *(rec.get("issuers") or [])]
    parts += [e["quote"] for e in record_evidence(rec)]
    return fold(" ".join(parts))


def _about(kb, rec: dict, about: dict) -> bool:
    from kbcli.text import fold

    if "regions" in about:
        tags = [t["id"] for t in rec.get("regions", [])]
        if rec.get("term") and rec.get("kind") == "region":
            tags.append(rec["id"])
        return any(r in about["regions"] or set(kb.ancestors(r)) & set(about["regions"]) for r in tags)
    if "text" in about:
        own = _own_text(rec)
        return any(fold(t) in own for t in about["text"])
    return True


def score(kb, q: dict, answer: dict) -> dict:
    """Whether one answer is right, and what is wrong with it."""
    exp = q["expect"]
    it = answer["interpretation"]
    recs = answer["records"]
    within = exp.get("within", 5)
    top = [r["id"] for r in recs[:within]]
    got = "none" if it["match"] == "none" or not recs else "answer"
    problems, wrong = [], []
    if got != exp["match"]:
        problems.append(f"match {got}, expected {exp['match']}")
    if exp["match"] == "none" and recs:
        wrong.append("answered a question the base cannot: " + ", ".join(r["id"] for r in recs[:5]))
    if exp.get("any") and not set(exp["any"]) & set(top):
        problems.append(f"none of {exp['any']} in the first {within}")
    missing = [x for x in exp.get("all") or [] if x not in top]
    if missing:
        problems.append(f"{missing} not in the first {within}")
    if exp.get("figures"):
        shown = set().union(*(_handles(r) for r in recs[:within])) if recs else set()
        if not set(exp["figures"]) & shown:
            problems.append(f"no figure of {exp['figures']} shown")
    about = exp.get("about")
    if about and exp["match"] == "answer":
        off = [r["id"] for r in recs if not _about(kb, r, about)]
        if off:
            wrong.append(f"not about {about}: {', '.join(off[:6])}")
    bad = [r["id"] for r in recs if r["id"] in set(exp.get("none_of") or [])]
    if bad:
        wrong.append(f"tempting wrong answers given: {', '.join(bad)}")
    return {"id": q["id"], "kind": q["kind"], "script": q["script"], "right": not problems and not wrong,
            "wrong": wrong, "problems": problems, "match": it["match"], "top": top}


def run(questions: list[dict], db: str | None = None) -> list[dict]:
    from kbcli.query.ask import ask
    from kbcli.query.kb import KB
    from kbcli.store.db import open_db
    from kbcli.text import json_dumps

    kb = KB(open_db(db, None))
    out = []
    for q in questions:
        answer = json.loads(json_dumps(ask(kb, q["question"], 20).to_json()))  # as kb ask --format json prints it
        out.append(dict(score(kb, q, answer), question=q["question"], answer=answer))
    return out


def table(results: list[dict]) -> str:
    """The score by kind and script, as Markdown."""
    scripts = ["en", "hans", "hant"]
    cells: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for r in results:
        cells[(r["kind"], r["script"])].append(r["right"])
    kinds = list(dict.fromkeys(r["kind"] for r in results))
    lines = ["| kind | " + " | ".join(scripts) + " | all |", "| --- |" + " ---: |" * (len(scripts) + 1)]

    def cell(vals: list[bool]) -> str:
        return f"{sum(vals)}/{len(vals)}" if vals else "-"

    for k in kinds:
        row = [cell(cells[(k, s)]) for s in scripts]
        lines.append(f"| {k} | " + " | ".join(row) + f" | {cell([v for s in scripts for v in cells[(k, s)]])} |")
    tot = [cell([r["right"] for r in results if r["script"] == s]) for s in scripts]
    right = sum(r["right"] for r in results)
    lines.append("| **all** | " + " | ".join(tot) + f" | **{right}/{len(results)} ({100 * right / len(results):.0f}%)** |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="the database (default: the packaged seed's, built on first use)")
    ap.add_argument("--questions", default=str(QUESTIONS))
    ap.add_argument("--only", help="question ids, comma-separated")
    ap.add_argument("--json", help="write every result here")
    ap.add_argument("--show", action="store_true", help="print every question that is not right")
    args = ap.parse_args()
    questions = load(Path(args.questions))
    if args.only:
        wanted = set(args.only.split(","))
        questions = [q for q in questions if q["id"] in wanted]
    results = run(questions, args.db)
    print(table(results))
    wrong = [r for r in results if r["wrong"]]
    print(f"\nWRONG (an answer about another place or entity presented as the answer): {len(wrong)}")
    for r in wrong:
        print(f"  {r['id']} {r['question']}\n    " + "; ".join(r["wrong"]))
    if args.show:
        print("\nnot right:")
        for r in results:
            if not r["right"] and not r["wrong"]:
                print(f"  {r['id']} [{r['match']}] {r['question']}\n    " + "; ".join(r["problems"])
                      + f"\n    top: {', '.join(r['top'])}")
    if args.json:
        Path(args.json).write_text(json.dumps([{k: v for k, v in r.items() if k != "answer"} for r in results],
                                              ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
