"""What every command line of the package shares: a parser whose errors are one sentence, and
the value types of its flags."""
import argparse
import math


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
