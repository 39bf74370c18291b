"""The stop signals of a run: the first asks the loop to stop after its iteration (and save a
checkpoint), the second stops at once; and their handling in processes the run starts."""
import os
import signal
import time

from ..errors import Interrupted

# SIGHUP: the terminal was closed, a stop like the others
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
_pending_stop = None  # (signal, time.monotonic() of its arrival) of the stop requested


class StopRequest:
    """A stop signal asks the training loop to stop after the current iteration (and save a
    checkpoint); a second signal stops at once, leaving the last checkpoint as it is."""

    def __init__(self):
        global _pending_stop
        self.signal, _pending_stop = None, None
        for sig in STOP_SIGNALS:
            signal.signal(sig, in_this_process_only(self._handle))

    def _handle(self, signum, frame):
        global _pending_stop
        if self.signal is not None:
            raise Interrupted(signum)
        self.signal, _pending_stop = signum, (signum, time.monotonic())


def pending_stop():
    """(signal, time.monotonic() of its arrival) of the stop a StopRequest was asked for, or
    None: what a wait for sampling workers gives up for (mujoco_ppo/parl1/local_workers.py)."""
    return _pending_stop


def accept_stop_signals():
    """Once Paddle and PARL are imported: stop signals stop at once (stop_at_once, replacing
    the handler Paddle installs), and those that arrived while train.py held them blocked during
    the imports are delivered now. Returns the function that puts back, once the run has
    ended, the signal mask of before and the handlers of the signals it did not block; those
    train.py held blocked stay ignored (ignore_stop_signals) until the process has exited with
    the status it has said: a mask is a thread's, and Paddle's threads started since would
    take them, with Python's default action once it finalises."""
    handlers = {signum: signal.signal(signum, in_this_process_only(stop_at_once))
                for signum in STOP_SIGNALS}
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def restore():
        global _pending_stop
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for signum, handler in handlers.items():
            if signum not in mask:  # None: a handler set in C (Paddle's), not restorable
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        _pending_stop = None

    return restore


def ignore_stop_signals():
    """Once a run says how it ended: its exit status is decided, and a signal must not cut
    short the closing (sampling workers ignore stop signals and are ended by it)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def in_this_process_only(handler):
    """``handler`` for this process; in a child forked from it, the signal's default action.

    A forked child inherits Python's signal handlers: PARL's heartbeat server process, which
    multiprocessing ends with SIGTERM when the run exits, would raise Interrupted in the middle
    of PARL's loop and print its traceback. There the signal ends the child quietly instead."""
    owner = os.getpid()

    def handle(signum, frame):
        if os.getpid() == owner:
            return handler(signum, frame)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    return handle


def stop_status(exc):
    """(signal number, exit status 128 + it) of a stop signal that raised ``exc``: Interrupted
    (stop_at_once, a StopRequest's second signal), or KeyboardInterrupt (Python's own SIGINT
    handler, before this package's is installed)."""
    signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
    return signum, 128 + signum


def stop_at_once(signum, frame):
    """The stop signals' handler outside the training loop (before StopRequest): nothing to
    finish, so stop now, with the exit status 128 + signum."""
    raise Interrupted(signum)
