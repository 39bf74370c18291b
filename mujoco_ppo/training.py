"""The training command: `train.py`, `mujoco-ppo train`, `python -m mujoco_ppo train`.

    python train.py --env HalfCheetah-v2 --loss_type CLIP         PARL 1.x's MuJoCo PPO
    python train.py --algo parl2 --env BreakoutNoFrameskip-v4     PARL 2.x's PPO

The loops are parl1/train_loop.py (PARL 1.x's) and parl2/train_loop.py (PARL 2.x's), chosen by
--algo in algorithms.py; the run's bookkeeping, shared by both, is run/. Nothing here imports
Paddle: ``command`` blocks the stop signals first.
"""
import signal
import sys

from .run.signals import STOP_SIGNALS


def main(argv=None):
    """The training loop of the PPO that ``--algo`` (or the resumed run) names; its exit status."""
    from .algorithms import split_algo

    spec, argv = split_algo(sys.argv[1:] if argv is None else argv)
    return spec.train(argv)


def command(argv=None):
    """Exit with the run's status. SIGINT/SIGTERM wait while Paddle and PARL import (an
    exception raised inside an extension module's initialisation becomes "ImportError:
    initialization failed", and Paddle installs a SIGTERM handler that dumps a C++ stack); the
    loop's main installs this package's handlers, then lets them through. Bad input ends in
    one sentence and exit status 2, a failure before the run's directory is known in one
    sentence with its own status."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    from .cli import program
    from .errors import UserError
    from .run.run_ending import FAILURES, failure_sentence
    from .run.train_log import Transcript

    sys.stdout = Transcript(sys.stdout)  # train.log gets what PARL prints at import too
    try:
        sys.exit(main(argv))
    except UserError as exc:
        print(f"{program('train.py')}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except FAILURES as exc:  # before the run's directory is known
        sentence, status = failure_sentence(exc)
        print(sentence, file=sys.stderr)
        sys.exit(status)
