"""What every command line of the package shares: a parser whose errors are one sentence, the
value types of its flags, and the one way its main ends."""
import argparse
import math
import sys

from .errors import UserError


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse that reports bad input as one sentence (no usage dump) and exits with status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}.\n")


def whole_number(text):
    """A whole number, also written as 1e6 or 1_000_000."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(value)


def on_off(text):
    """true/false, also written as 1/0, yes/no or on/off."""
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def run_command(main, prog, failures=None, argv=None):
    """Exit with ``main(argv)``'s status; a UserError is one line, "PROG: error: SENTENCE", and
    exit status 2, never a traceback. ``failures`` maps further exception classes (tried in
    order) to ``exception -> (sentence, exit status)``, for the commands that end on them."""
    try:
        sys.exit(main(argv))
    except UserError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except BaseException as exc:
        for kind, describe in (failures or {}).items():
            if isinstance(exc, kind):
                sentence, status = describe(exc)
                print(f"{prog}: {sentence}", file=sys.stderr)
                sys.exit(status)
        raise
