"""Drawing the relation graph of ``kbcli.query.graph``: DOT, Mermaid, node-link JSON, an edge list,
and SVG or PNG through Graphviz's ``dot`` (a system program, run only for those two).

Every label goes through ``kbcli.text.clean`` and then the target language's own
escaping, so names print literally: quotes and backslashes in DOT, entity codes
in Mermaid. Chinese names wrap onto several lines in the pictures; none is cut.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

from ..errors import KbError, UsageError
from ..paths import guard_output, open_output_pipe
from ..text import clean
from .output import Column, json_dumps

KIND_COLOUR = {"law": "#fde2c8", "pilot": "#e3d7f4", "model": "#d4ebf7", "practice": "#d9f0d3",
               "region": "#f2f2f2", "mechanism": "#f2f2f2", "instrument": "#f2f2f2", "blockage": "#f9d6d5"}
# fontconfig names tried in order by Graphviz (pango); the first installed one with Chinese glyphs is used
GRAPH_FONTS = "Noto Sans CJK SC,Source Han Sans SC,WenQuanYi Zen Hei,Noto Sans SC,Microsoft YaHei,PingFang SC,sans-serif"
SUFFIXES = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".json": "json", ".svg": "svg", ".png": "png"}

EDGE_COLUMNS = [Column("source"), Column("label", "relation"), Column("target"), Column("directed")]
NODE_COLUMNS = [Column("id"), Column("type"), Column("kind"), Column("depth", numeric=True), Column("name_zh"),
                Column("name_en")]


def _wrap_zh(s: str, width: int = 16) -> list[str]:
    """Split a name into lines of at most ``width`` characters (Chinese has no spaces to break at)."""
    if not s:
        return []
    if s.isascii():
        return textwrap.wrap(s, width * 2) or [s]
    return [s[i:i + width] for i in range(0, len(s), width)]


def _dot_str(s: str) -> str:
    return '"' + clean(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(g: dict) -> str:
    seeds = set(g["graph"].get("seeds", ()))
    lines = ["digraph kb {",
             f'  graph [rankdir=LR, fontname={_dot_str(GRAPH_FONTS)}, nodesep=0.25, ranksep=0.6];',
             f'  node [shape=box, style="rounded,filled", fontname={_dot_str(GRAPH_FONTS)}, fontsize=11];',
             f'  edge [fontname={_dot_str(GRAPH_FONTS)}, fontsize=9, color="#555555", decorate=true];']
    for n in g["nodes"]:
        label = "\n".join([n["id"] + (f"  [{n['kind']}]" if n.get("kind") else ""), *_wrap_zh(n.get("name_zh") or "")])
        attrs = [f"label={_dot_str(label)}", f'fillcolor="{KIND_COLOUR.get(n.get("kind") or "", "#ffffff")}"']
        if n["id"] in seeds:
            attrs.append("penwidth=2.5")
        if n.get("type") == "term":
            attrs.append('shape=ellipse, style="filled"')
        lines.append(f"  {_dot_str(n['id'])} [{', '.join(attrs)}];")
    for e in g["links"]:
        attrs = [f"label={_dot_str(e['label'])}"]
        if not e.get("directed", True):
            attrs += ["dir=none", "style=dashed"]
        elif e["rel"] in ("broader", "tagged"):
            attrs += ["style=dotted"]
        lines.append(f"  {_dot_str(e['source'])} -> {_dot_str(e['target'])} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mm_text(s: str) -> str:
    """Text inside a quoted Mermaid label, printed literally (Mermaid reads #NN; as a character code)."""
    s = clean(s).replace("\n", " ")
    for ch in "#\"<>&`|[](){}":
        s = s.replace(ch, f"#{ord(ch)};")
    return s


def to_mermaid(g: dict) -> str:
    ids = {n["id"]: f"n{i}" for i, n in enumerate(g["nodes"])}
    seeds = set(g["graph"].get("seeds", ()))
    lines = ["flowchart LR"]
    for n in g["nodes"]:
        parts = [_mm_text(n["id"] + (f" [{n['kind']}]" if n.get("kind") else ""))]
        parts += [_mm_text(x) for x in _wrap_zh(n.get("name_zh") or "")]
        label = "<br/>".join(parts)
        shape = ('(["', '"])') if n.get("type") == "term" else ('["', '"]')
        lines.append(f"  {ids[n['id']]}{shape[0]}{label}{shape[1]}")
    for e in g["links"]:
        arrow = "---" if not e.get("directed", True) else ("-.->" if e["rel"] in ("broader", "tagged") else "-->")
        lines.append(f'  {ids[e["source"]]} {arrow}|"{_mm_text(e["label"])}"| {ids[e["target"]]}')
    kinds = sorted({n.get("kind") or "" for n in g["nodes"]} - {""})
    for k in kinds:
        lines.append(f"  classDef {k} fill:{KIND_COLOUR.get(k, '#ffffff')},stroke:#555555")
        members = [ids[n["id"]] for n in g["nodes"] if n.get("kind") == k]
        lines.append(f"  class {','.join(members)} {k}")
    if seeds:
        lines.append("  classDef seed stroke-width:3px")
        lines.append(f"  class {','.join(ids[s] for s in seeds if s in ids)} seed")
    return "\n".join(lines) + "\n"


def to_json(g: dict) -> str:
    return json_dumps(g) + "\n"


def dot_program() -> str | None:
    return shutil.which("dot")


INSTALL_HINT = ("Graphviz's `dot` program is needed for .svg and .png and was not found on PATH; install Graphviz "
                "(Debian/Ubuntu: sudo apt-get install graphviz; Fedora: sudo dnf install graphviz; macOS: brew "
                "install graphviz; Windows: winget install graphviz), or write .dot, .mmd or .json instead")


def write_graph(g: dict, path: str) -> str:
    """Write the graph to ``path`` in the format its suffix names; returns that format."""
    fmt = SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(f"--output {path}: name a file ending in {', '.join(SUFFIXES)}")
    if fmt in ("dot", "mermaid", "json"):
        text = {"dot": to_dot, "mermaid": to_mermaid, "json": to_json}[fmt](g)
        _atomic_write(path, text.encode("utf-8"))
        return fmt
    dot = dot_program()
    if dot is None:
        raise KbError(INSTALL_HINT)
    args = [dot, f"-T{fmt}"] + (["-Gdpi=110"] if fmt == "png" else [])
    try:
        done = subprocess.run(args, input=to_dot(g).encode("utf-8"), capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        raise KbError("Graphviz took more than 120 s; lower --depth or choose relations with --rel") from None
    if done.returncode != 0 or not done.stdout:
        msg = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise KbError(f"Graphviz failed: {clean(msg[-1]) if msg else f'exit {done.returncode}'}")
    _atomic_write(path, done.stdout)
    return fmt


def _atomic_write(path: str, data: bytes) -> None:
    import stat

    target = Path(path)
    if not target.parent.is_dir():
        raise UsageError(f"--output {path}: folder {target.parent} does not exist")
    guard_output(path, "--output")
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    if stat.S_ISDIR(mode):
        raise UsageError(f"cannot write --output {path}: it is a directory")
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):  # a pipe or a device: written, not replaced
        fd = open_output_pipe(path, "--output") if stat.S_ISFIFO(mode) else os.open(path, os.O_WRONLY)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def cjk_font_installed() -> bool | None:
    """Whether fontconfig knows a font with Chinese glyphs (None when fc-list is not there to ask)."""
    fc = shutil.which("fc-list")
    if fc is None:
        return None
    try:
        out = subprocess.run([fc, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        return None
    return bool(out.stdout.strip())
