"""``postrun suggest``: print the note the worker would write, from a JSON file or stdin."""

from __future__ import annotations

import json
import sys

import click

from coaching.document import InputError
from coaching.document import suggest_from_document


class NotJson(ValueError):
    """The text is not a JSON document ``postrun suggest`` can read."""


def _decode(text: str) -> object:
    """``json.loads``, with its two non-syntax failures turned into one line each."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise NotJson(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:  # [[[[... nested deeper than the interpreter's stack
        raise NotJson("nested too deeply") from None
    except ValueError:  # an integer over Python's 4,300-digit conversion limit
        raise NotJson("a number has too many digits") from None


def _read(source: str) -> str:
    # click.open_file reads stdin for "-" (and leaves it open).
    with click.open_file(source, "rb") as handle:
        raw = handle.read()
    if _is_track(source, raw):
        _fail(f"{source} is a GPX or FIT file: use postrun gpx {source} to read it and suggest")
    return raw.decode("utf-8")


def _is_track(source: str, raw: bytes) -> bool:
    """A GPX or FIT file, by its name or its first bytes (a FIT header says ".FIT" at 8)."""
    if source.lower().endswith((".gpx", ".fit")):
        return True
    head = raw[:512].lstrip()
    return raw[8:12] == b".FIT" or (head.startswith(b"<") and b"<gpx" in head)


@click.command("suggest")
@click.argument("source", default="-", metavar="[FILE|-]")
@click.option("--json", "as_json", is_flag=True, help="Print the whole suggestion as JSON.")
def suggest(source: str, as_json: bool) -> None:
    """Print the note for the latest run in SOURCE (a JSON document; '-' reads stdin).

    The document: {"athlete": {...}, "today": "YYYY-MM-DD", "runs": [...]}; see
    coaching/document.py. Bad input prints one line and exits with status 2.
    """
    try:
        doc = _decode(_read(source))
        suggestion = suggest_from_document(doc)
    except OSError as error:
        _fail(f"cannot read {source}: {error.strerror or error}")
    except UnicodeDecodeError:
        _fail(f"cannot read {source}: not UTF-8 text")
    except NotJson as error:
        _fail(f"not JSON: {error}")
    except InputError as error:
        _fail(str(error))
    else:
        if as_json:
            click.echo(json.dumps(suggestion.to_dict(), indent=2, ensure_ascii=False))
        else:
            click.echo(suggestion.text)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
