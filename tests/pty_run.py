"""kb in a real pseudo-terminal, as a person runs it in a terminal window of a given size."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
import time

from conftest import ROOT


def start(args: list[str], cols: int, rows: int, env: dict, stderr=None) -> tuple[int, subprocess.Popen]:
    """Start ``python -m kbcli ARGS`` with stdin and stdout (and stderr, unless ``stderr`` is given) on
    a new pseudo-terminal of ``cols`` × ``rows``, in a session of its own; the terminal's side and the process."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "kbcli", *args], stdin=slave, stdout=slave,
                            stderr=slave if stderr is None else stderr, env=env, cwd=ROOT, close_fds=True,
                            start_new_session=True)
    os.close(slave)
    return master, proc


def read_until_closed(master: int, timeout: float, already: bytes = b"") -> bytes:
    """Everything the terminal shows until the program closes its side (then the terminal is closed)."""
    chunks = [already]
    deadline = time.monotonic() + timeout
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed its side
            break
        if not data:
            break
        chunks.append(data)
        assert time.monotonic() < deadline, "kb took too long"
    os.close(master)
    return b"".join(chunks)
