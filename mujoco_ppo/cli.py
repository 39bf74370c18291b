"""What every command line of the package shares: the one way its main ends."""
import sys

from .errors import UserError


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
