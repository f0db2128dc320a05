"""kb cite: references in GB/T 7714, APA, BibTeX, CSL-JSON, RIS or Markdown."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from ..text import clean, say
from .common import DbOpt, OutputOpt, QuietOpt, SeedOpt, about, note, open_kb, output_to


class Style(str, Enum):
    gbt7714 = "gbt7714"
    apa = "apa"
    bibtex = "bibtex"
    csl_json = "csl-json"
    ris = "ris"
    markdown = "markdown"


class RefStyle(str, Enum):
    gbt7714 = "gbt7714"
    apa = "apa"


@about('Citations a writer can paste: GB/T 7714, APA, BibTeX, CSL-JSON, RIS or Markdown, without duplicates.',
       'kb cite law-sttl#art14 --quote',
       'kb cite 協議轉化模式 --style apa',
       'kb cite --all --style csl-json --output refs.json --quiet   # then pandoc -L "$(kb cite --lua-filter)"')
def cite_cmd(
    idents: Annotated[list[str] | None, typer.Argument(
        metavar="ID", help="Records (cited through the sources of their evidence), figures (by the handle "
                                "kb figures shows, ID#metric@2022), sources, laws, or law articles "
                                "(law-id#art14).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Cite every source and law of the base (after any "
                                                             "ID given).")] = False,
    style: Annotated[Style, typer.Option("--style", "-s", help="Citation style.", case_sensitive=False)] = Style.gbt7714,
    quote: Annotated[bool, typer.Option("--quote", "-q", help="Add each verbatim quote and its locator under "
                                                              "its reference.")] = False,
    ref_style: Annotated[RefStyle, typer.Option(help="Reference style inside --style markdown.")] = RefStyle.gbt7714,
    accessed: Annotated[str | None, typer.Option(
        help="Access date (YYYY-MM-DD) for sources with a URL; kb stores none of its own and warns "
             "about cited items without a URL.")] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 when a cited source asks not to be cited.")] = False,
    lua_filter: Annotated[bool, typer.Option(
        "--lua-filter", help="Print the path of kbcli's pandoc filter, which prints a source's request not to "
                             "be cited (kept in CSL-JSON's and BibTeX's note) in the rendered bibliography, "
                             "and exit.")] = False,
    biber_config: Annotated[bool, typer.Option(
        "--biber-config", help="Print the path of kbcli's biber data-model extension (the fields of "
                               "@legislation, which biblatex's default model leaves to styles), for "
                               "biber --configfile, and exit.")] = False,
    output: OutputOpt = None, db: DbOpt = None, seed: SeedOpt = None, quiet: QuietOpt = False,
) -> None:
    """Citations a writer can paste: a numbered bibliography without duplicates, in the style's order.

    GB/T 7714-2015 and APA 7 follow the official CSL styles (Citation Style
    Language, https://citationstyles.org/); CSL-JSON, BibTeX and RIS load
    into Zotero, pandoc and reference managers, with one citation key per
    item in all three. A source that asks not to be cited says so under its
    reference in every style (CSL-JSON and BibTeX in note, RIS in N1, which
    styles do not print: render with --lua-filter's filter) and on stderr
    every time it is cited, --quiet or not; --strict makes that an error.
    """
    from ..cite.cite import HIDDEN, collect, gaps, render, unsafe_urls
    from ..errors import RestrictedSourceError, UsageError
    from ..query.resolve import parse_date

    packaged = {"--lua-filter": (lua_filter, "kb-restricted.lua", "kbcli's pandoc filter"),
                "--biber-config": (biber_config, "kb-biber.conf", "kbcli's biber data-model extension")}
    for option, (asked, name, what) in packaged.items():
        if asked:
            from importlib.resources import files

            if idents or everything or lua_filter and biber_config:
                raise UsageError(f"{option} prints the path of {what}: give no ID, --all or other path option with it")
            with output_to(output) as fh:
                fh.write(f"{files('kbcli.cite') / name}\n")
            return
    if not idents and not everything:
        raise UsageError("name at least one ID to cite, or --all for the whole base")
    if accessed is not None:
        parse_date(accessed, "--accessed")
    kb = open_kb(db, seed)
    cit = collect(kb, idents or [], accessed, everything=everything, quote=quote)
    for item in cit.restricted:  # a warning: never quiet
        say(f"kb: warning: {item.key} asks not to be cited: {item.citation_note}")
    if cit.restricted and style.value in HIDDEN:
        say(f"kb: warning: {HIDDEN[style.value]}")
    for key in unsafe_urls(cit):
        say(f"kb: warning: {key}: its URL is not an http(s) address and is left out")
    for key, missing in gaps(cit):
        note(f"note: {key} is printed without {missing}")
    if accessed and cit.without_url:
        say(f"kb: warning: --accessed applies only to sources with a URL; not printed for "
            f"{', '.join(i.key for i in cit.without_url)}")
    if strict and cit.restricted:
        raise RestrictedSourceError(
            f"--strict: {len(cit.restricted)} cited source(s) ask not to be cited: "
            + ", ".join(i.key for i in cit.restricted))
    # the database may hold anything: citations print through the same sanitiser as data
    text = clean(render(cit, style.value, quote=quote, ref_style=ref_style.value))
    with output_to(output) as fh:
        fh.write(text)
