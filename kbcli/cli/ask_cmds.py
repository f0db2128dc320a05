"""kb ask: a question in your own words, answered from the base."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import DbOpt, Format, FormatOpt, QuietOpt, SeedOpt, about, note, open_kb, warn_restricted


@about("Answer a question in English or Chinese (either script) from the base, saying how it was read.",
       "kb ask \"Which cities fund concept-verification centres?\"",
       "kb ask 陕西有哪些解决不敢转的做法",
       "kb ask 2022年全国技术合同成交额 --format json")
def ask_cmd(
    question: Annotated[list[str], typer.Argument(
        metavar="QUESTION", help="The question, in English, simplified or traditional Chinese; no quotes "
                                 "needed.")],
    limit: Annotated[int, typer.Option(min=1, metavar="N", help="At most N records, the best (the reading says "
                                                                 "how many match).")] = 20,
    fmt: FormatOpt = Format.table, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Answer a question in English or Chinese (either script) from the base.

    No network and no language model: the question's words are matched to
    the base's regions, mechanisms, instruments, blockages, record kinds,
    money, amounts, counts and dates. kb ask prints that reading first, as
    the equivalent kb query, kb figures or kb search command, with the words
    it did not use; then the records, best first, each with the figures that
    answer the question and one supporting quote. json prints one object
    {question, interpretation, records}; csv, tsv, jsonl and md print the
    records as kb query does (the reading goes to stderr).
    """
    from ..query.ask import ask
    from ..render.output import json_dumps
    from ..render.views import RECORD_COLUMNS_ALL, ask_lines, emit_lines, emit_rows, match_line, record_rows

    text = " ".join(question).strip()
    if not text:
        raise typer.BadParameter("give a question", param_hint="QUESTION")
    kb = open_kb(db, seed)
    answer = ask(kb, text, limit)
    it = answer.interpretation
    if fmt == Format.json:
        typer.echo(json_dumps(answer.to_json()))
    elif fmt == Format.table:
        emit_lines(ask_lines(text, it.to_json(), answer.records, answer.related, answer.related_heading))
    else:
        note(match_line(it.to_json()))
        note(f"read as: {it.command()}")
        for line in it.notes:
            note(line)
        rows = answer.records if fmt == Format.jsonl else record_rows(answer.records)
        emit_rows(rows, RECORD_COLUMNS_ALL, fmt.value)
    if not answer.records:
        from ..query.hints import unknown_words

        for line in unknown_words(kb, " ".join(it.unused)) if it.unused else []:
            note(line)
    warn_restricted(kb, answer.records + answer.related)
