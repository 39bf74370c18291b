"""The exceptions that the command-line tools turn into one sentence and a non-zero exit."""


class UserError(Exception):
    """Bad input from the user (exit status 2)."""


class TrainingDiverged(Exception):
    """A loss, KL or reward became NaN or infinite (exit status 1)."""


class SamplingError(Exception):
    """A sampling worker failed or died (exit status 1)."""
