"""The exceptions that the command-line tools turn into one sentence and a non-zero exit."""


class UserError(Exception):
    """Bad input from the user (exit status 2)."""


class TrainingDiverged(Exception):
    """A loss, KL or reward became NaN or infinite (exit status 1)."""


class SamplingError(Exception):
    """A sampling worker failed or died (exit status 1)."""


class WriteFailed(Exception):
    """A file of the run could not be written: a full disk, a read-only file system, no
    permission (exit status 1)."""

    def __init__(self, path, reason):
        super().__init__(f"cannot write {path} ({reason})")
        self.path, self.reason = path, reason


class Interrupted(KeyboardInterrupt):
    """A signal that stops the run at once (exit status 128 + the signal's number)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum
