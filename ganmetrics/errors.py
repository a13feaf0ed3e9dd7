"""The package's exception types. Every message names the culprit (a file, an argument).

The CLI turns any ``GanmetricsError`` into one line on stderr and exit code 2.
"""


class GanmetricsError(Exception):
    """Base class: a problem the user can fix (bad input, missing weights, ...)."""


class InputError(GanmetricsError, ValueError):
    """An input (folder, image, array file, stats file, argument) cannot be used."""


class WeightsError(GanmetricsError):
    """Model weights are missing, corrupt, or fail their hash check."""


class IncompatibleStatsError(GanmetricsError):
    """Two statistics were produced by different extractors or preprocessing."""


class DownloadError(GanmetricsError):
    """A file could not be downloaded, or its hash did not match."""


class ReferenceStatsError(GanmetricsError):
    """A named reference cannot be used: unknown, untrusted, offline, or a hash mismatch."""



def _escape_controls(text: str) -> str:
    out = []
    for ch in text:
        o = ord(ch)
        if o < 32 or o == 127 or 0x80 <= o < 0xA0 or ch in "\u2028\u2029\x85":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{o:02x}" if o < 256 else f"\\u{o:04x}"))
        elif 0xDC80 <= o <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
            out.append(f"\\x{o - 0xDC00:02x}")
        else:
            out.append(ch)
    return "".join(out)


def display_name(name) -> str:
    """A file name (or any user-supplied text) made safe to print inside a one-line message.

    Control characters (newline, carriage return, escape, ...), the Unicode line separators and
    undecodable bytes are written as Python escapes (``\\n``, ``\\x1b``, ``\\u2028``), so a
    crafted name can neither split a message in two nor drive the terminal. With
    ``GITHUB_ACTIONS=true`` a ``::`` is written ``:\\:``, so that no name can read as a workflow
    command (``::error``, ``::set-output``) in a CI log. Messages that name a file use this
    helper; the CLI passes every whole message through :func:`one_line` as well.
    """
    import os
    text = os.fsdecode(name) if isinstance(name, (bytes, os.PathLike)) else str(name)
    text = _escape_controls(text)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        text = text.replace("::", ":\\:")
    return text


def one_line(message) -> str:
    """A whole message made one safe line (control characters escaped as in
    :func:`display_name`; under ``GITHUB_ACTIONS=true`` a leading ``::`` is broken)."""
    import os
    text = _escape_controls(str(message))
    if os.environ.get("GITHUB_ACTIONS") == "true" and text.lstrip().startswith("::"):
        text = text.replace("::", ":\\:", 1)
    return text
