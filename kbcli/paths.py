"""Where the seed, the exclusions and the default database live; how kb reads an input file and
refuses to write over one.

* The seed ships inside the wheel (``kbcli/data/seed.yaml``); in a source
  checkout it is ``data/seed.yaml`` beside the package.
* ``--seed``/``KB_SEED`` and ``--db``/``KB_DB`` override the defaults.
* With no ``--db``, the database lives in the user's cache directory
  (``KB_CACHE_DIR``, else ``$XDG_CACHE_HOME/kbcli``, ``~/.cache/kbcli``,
  ``~/Library/Caches/kbcli`` or ``%LOCALAPPDATA%\\kbcli``), one file per seed.
* ``open_input`` opens an input once (``Input``): a regular file is read from that one open file,
  its size and mtime taken from it (``fstat``); a pipe or a device (``<(cat seed.yaml)``,
  ``/dev/stdin``) is read once into memory, up to a bound, so that it can be read again
  (hashed, then parsed); a directory, or anything else where the option wants a regular file, is
  refused with one line. Every input opened is noted (device and inode).
* ``guard_output``: a command that writes refuses, before writing anything, a target that is the
  same file (device and inode, through symbolic and hard links) as an input it reads.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Self

PACKAGE_DIR = Path(__file__).resolve().parent


def _data_file(name: str) -> Path:
    inside = PACKAGE_DIR / "data" / name
    if inside.exists():
        return inside
    return PACKAGE_DIR.parent / "data" / name


def packaged_seed() -> Path:
    return _data_file("seed.yaml")


def packaged_exclusions() -> Path:
    return _data_file("coverage-exclusions.yaml")


def seed_path(option: str | None = None) -> Path:
    if option is not None and not option.strip():
        from .errors import UsageError

        raise UsageError(f"a seed needs a file name, got {option!r}")
    value = option or os.environ.get("KB_SEED")
    path = Path(value) if value else packaged_seed()
    try:
        missing = not path.exists()
    except (OSError, ValueError):  # a name too long or holding NUL: reported where the file is opened
        missing = False
    if missing:  # a path the user gave that names nothing is a usage error, as a missing sources folder is
        from .errors import DataError, UsageError

        raise (UsageError if value else DataError)(f"no seed at {path}")
    return path


def cache_dir() -> Path:
    if os.environ.get("KB_CACHE_DIR"):
        return Path(os.environ["KB_CACHE_DIR"])
    if sys.platform == "win32":  # pragma: no cover
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "kbcli" / "Cache"
    if sys.platform == "darwin":  # pragma: no cover
        return Path.home() / "Library" / "Caches" / "kbcli"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kbcli"


def default_db(seed: Path, source: Input | None = None) -> Path:
    """The cache database for a seed: one file per seed location; for a seed read from a pipe or a
    device (open as ``source``), whose name says nothing lasting, one per content."""
    import hashlib

    if source is not None and not source.regular:
        return cache_dir() / f"kb-stream-{source.sha256()[:12]}.sqlite"
    key = hashlib.sha256(str(seed.resolve()).encode()).hexdigest()[:12]
    return cache_dir() / f"kb-{key}.sqlite"


# ---------------------------------------------------------------- inputs, read once

MAX_STREAM_BYTES = 256 * 1024 * 1024  # a seed or exclusions file read from a pipe or a device is held in memory
PIPE_WAIT = 5.0  # seconds kb waits for a process to open the other end of a named pipe (KB_PIPE_WAIT)
CHUNK = 1 << 20
# byte-order marks of UTF-16 and UTF-32, whose text holds NUL bytes
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")

# the files this process reads, (device, inode) -> (what, name): no output may be one of them
_READ: dict[tuple[int, int], tuple[str, str]] = {}


def _usage(message: str) -> Exception:
    from .errors import UsageError

    return UsageError(message)


def _refuse(what: str, name: str, reason: str, exit_code: int = 2) -> Exception:
    from .errors import InputError

    return InputError(what, name, reason, exit_code)


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def note_read(path: str | Path, what: str, st: os.stat_result | None = None) -> None:
    """Note that this process reads ``path`` (``what``: "the seed", "the database" ...), so that
    ``guard_output`` refuses to write over it."""
    try:
        st = st or os.stat(path)
    except (OSError, ValueError):
        return
    _READ.setdefault((st.st_dev, st.st_ino), (what, str(path)))


def forget_reads() -> None:
    """A new command starts (tests run many in one process): what earlier ones read no longer counts."""
    _READ.clear()


def guard_output(target: str | Path, option: str, inputs: Iterable[tuple[str, str | Path | Input]] = (),
                 noted: bool = True) -> None:
    """Refuse, before anything is written, to write ``target`` when it is the same file (device and
    inode: through symbolic and hard links) as an input: one of ``inputs`` (pairs of what and path)
    or, with ``noted``, any file this process has read (``note_read``: the seed, a source, the
    database). Every command that writes a file calls this first."""
    try:
        st = os.stat(target)
    except (OSError, ValueError):  # not there yet (or unreachable: reported where it is opened)
        return
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return  # /dev/null, /dev/stdout, a pipe: written, never replaced
    key = (st.st_dev, st.st_ino)
    found = _READ.get(key) if noted else None
    for what, path in inputs:
        if found is None:
            if isinstance(path, Input):
                if path.regular and path.key == key:
                    found = (what, path.name)
                continue
            try:
                other = os.stat(path)
            except (OSError, ValueError):
                continue
            if (other.st_dev, other.st_ino) == key:
                found = (what, str(path))
    if found is not None:
        what, name = found
        same = "" if os.path.abspath(name) == os.path.abspath(target) else f" ({name})"
        raise _usage(f"{option} {target} is {what}{same} that this command reads: writing it would destroy it; "
                     "write to another file")


def guard_stdout(fd: int = 1) -> None:
    """Refuse to print into a file this process reads (``kb export --db kb.sqlite >> kb.sqlite``)."""
    try:
        st = os.fstat(fd)
    except OSError:
        return
    if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) in _READ:
        what, name = _READ[(st.st_dev, st.st_ino)]
        raise _usage(f"the standard output is {what} ({name}) that this command reads: writing it would destroy "
                     "it; write to another file")


class Input:
    """An input file opened once. ``reader()`` reads it from the start (again), hashing what it
    reads (``digest``): the seed is hashed and parsed from the same bytes. ``size`` and
    ``mtime_ns`` are those of the open file (``fstat`` when it was opened), so a file renamed
    over it meanwhile changes neither; for a pipe or a device, whose size and time say nothing,
    ``mtime_ns`` is -1."""

    def __init__(self, name: str, fh: BinaryIO, st: os.stat_result, size: int, regular: bool):
        self.name, self.fh, self.size, self.regular = name, fh, size, regular
        self.mtime_ns = st.st_mtime_ns if regular else -1
        self.key = (st.st_dev, st.st_ino)
        self._sha256: str | None = None

    def reader(self) -> _Hashing:
        self.fh.seek(0)
        return _Hashing(self)

    def sha256(self) -> str:
        """The SHA-256 of the whole content (read through once, then kept)."""
        if self._sha256 is None:
            r = self.reader()
            while r.read(CHUNK):
                pass
            r.digest()
        assert self._sha256 is not None
        return self._sha256

    def close(self) -> None:
        self.fh.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Hashing:
    """A file object over an ``Input`` that hashes what is read from it: ``digest`` reads what is left,
    and the input's SHA-256 is then that of exactly the bytes read."""

    def __init__(self, source: Input):
        import hashlib

        self.source = source
        source._sha256 = None  # a new reading: the hash will be of what it reads
        self.h = hashlib.sha256()
        self._read = source.fh.read
        self.tell = source.fh.tell

    def read(self, size: int = -1) -> bytes:
        data = self._read(size)
        self.h.update(data)
        return data

    def digest(self) -> str:
        while data := self._read(CHUNK):
            self.h.update(data)
        self.source._sha256 = self.h.hexdigest()
        return self.source._sha256


def pipe_wait() -> float:
    value = os.environ.get("KB_PIPE_WAIT")
    try:
        return max(0.0, float(value)) if value else PIPE_WAIT
    except ValueError:
        return PIPE_WAIT


def _named_pipe(path: str | Path) -> bool:
    """A named pipe in the file system (mkfifo), not an anonymous one reached through /dev/stdin,
    /dev/fd/N or a shell's <(...), which has its writer already."""
    real = os.path.realpath(path)
    try:
        return stat.S_ISFIFO(os.lstat(real).st_mode)
    except OSError:
        return False


def open_input(path: str | Path, what: str = "the seed", regular_only: bool = False,
               limit: int = MAX_STREAM_BYTES, text: bool = True) -> Input:
    """Open the input ``path`` once. A regular file stays open, read from disk (at most ``limit``
    bytes when ``regular_only``). Otherwise: a directory is refused, and so is anything else when
    ``regular_only``; a pipe or device is read once into memory, at most ``limit`` bytes (a named pipe
    waits ``pipe_wait()`` seconds for a writer). ``text``: an input whose first bytes hold NUL (and no
    UTF-16 or UTF-32 byte-order mark) is refused as not text. Raises UsageError or DataError, one line."""
    name = str(path)
    try:
        st = os.stat(path)
    except (OSError, ValueError) as exc:
        raise _input_error(exc, what, name) from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise _refuse(what, name, "it is a directory, not a file")
    if not stat.S_ISREG(mode):
        if regular_only:
            raise _refuse(what, name, f"it is {_kind(mode)}, not a regular file")
        return _read_stream(path, what, name, mode, limit, text)
    if regular_only and st.st_size > limit:
        raise _refuse(what, name, f"it is larger than {limit // 2**20} MB", 1)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - the Input owns it
    except OSError as exc:
        raise _input_error(exc, what, name) from None
    st = os.fstat(fh.fileno())
    if not stat.S_ISREG(st.st_mode):  # replaced between the two looks
        fh.close()
        raise _refuse(what, name, f"it is {_kind(st.st_mode)}, not a regular file")
    if text:
        head = fh.read(4096)
        fh.seek(0)
        if b"\x00" in head and not head.startswith(_WIDE_BOMS):
            fh.close()
            raise _refuse(what, name, "it is not a text file (it holds NUL bytes)", 1)
    note_read(path, what, st)
    return Input(name, fh, st, st.st_size, regular=True)


def open_data(path: str | Path, what: str = "the seed") -> Input:
    """``open_input`` for a data file (the seed, the exclusions): a pipe or a device is read once
    with a size bound; any failure is one line, "cannot read WHAT NAME: why", exit 1."""
    from .errors import DataError, InputError

    try:
        return open_input(path, what)
    except InputError as exc:
        raise DataError(f"cannot read {what} {exc.name}: {exc.reason}") from None


def _input_error(exc: Exception, what: str, name: str) -> Exception:
    import errno

    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        return _usage(f"file name too long: {name}")
    if isinstance(exc, ValueError):  # a NUL in the name
        return _refuse(what, repr(name), "not a valid file name")
    if isinstance(exc, OSError) and exc.errno == errno.EISDIR:
        return _refuse(what, name, "it is a directory, not a file")
    if isinstance(exc, FileNotFoundError):
        return _refuse(what, name, "no such file", 1)
    return _refuse(what, name, str(getattr(exc, "strerror", None) or exc), 1)


def _read_stream(path: str | Path, what: str, name: str, mode: int, limit: int, text: bool) -> Input:
    """Read a pipe or a device once, into memory, at most ``limit`` bytes."""
    import io
    import select

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a named pipe with no writer: no wait here
    except OSError as exc:
        raise _input_error(exc, what, name) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISFIFO(st.st_mode) and _named_pipe(path):
            wait = pipe_wait()
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                raise _refuse(what, name, f"it is a named pipe and nothing was written to it in {wait:g} s "
                                          "(KB_PIPE_WAIT sets how long kb waits)")
        os.set_blocking(fd, True)
        buf = io.BytesIO()
        first = True
        while True:
            chunk = os.read(fd, CHUNK)
            if not chunk:
                break
            if first and text and b"\x00" in chunk[:4096] and not chunk.startswith(_WIDE_BOMS):
                raise _refuse(what, name, "it is not a text file (it holds NUL bytes)", 1)
            first = False
            buf.write(chunk)
            if buf.tell() > limit:
                raise _refuse(what, name, f"it is {_kind(mode)} that gives more than {limit // 2**20} MB; save "
                                          "it to a file and give that file", 1)
    except OSError as exc:
        raise _input_error(exc, what, name) from None
    finally:
        os.close(fd)
    size = buf.tell()
    buf.seek(0)
    return Input(name, buf, st, size, regular=False)


def read_text_input(path: str | Path, what: str, limit: int) -> str:
    """The whole of a regular text file of at most ``limit`` bytes, as UTF-8 (a source text)."""
    with open_input(path, what, regular_only=True, limit=limit) as f:
        data = f.fh.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(what, str(path), f"it is not UTF-8 text (byte {exc.start + 1})", 1) from None


def open_output_pipe(path: str | Path, option: str) -> int:
    """A descriptor open for writing on the named pipe ``path``, once a reader has opened it (kb waits
    ``pipe_wait()`` seconds for one, where a plain open would wait for ever)."""
    import errno
    import time

    deadline = time.monotonic() + pipe_wait()
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            if time.monotonic() >= deadline:
                raise _refuse(option, str(path), f"it is a named pipe and no process opened it for reading in "
                                                 f"{pipe_wait():g} s (KB_PIPE_WAIT sets how long kb waits)") from None
            time.sleep(0.05)
            continue
        os.set_blocking(fd, True)
        return fd
