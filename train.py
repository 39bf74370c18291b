"""Train PARL 1.x's MuJoCo PPO: python train.py --env HalfCheetah-v2 --loss_type CLIP
or PARL 2.x's PPO:              python train.py --algo parl2 --env BreakoutNoFrameskip-v4

The loops are mujoco_ppo/parl1/train_loop.py (PARL 1.x's) and mujoco_ppo/parl2/train_loop.py
(PARL 2.x's), chosen by --algo in mujoco_ppo/algorithms.py; the run's bookkeeping, shared by
both, is mujoco_ppo/run/.
"""
import signal
import sys


def main(argv=None):
    from mujoco_ppo.algorithms import split_algo

    spec, argv = split_algo(sys.argv[1:] if argv is None else argv)
    return spec.train(argv)


if __name__ == "__main__":
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("train.py")
    # SIGINT/SIGTERM wait while Paddle and PARL import (an exception raised inside an extension
    # module's initialisation becomes "ImportError: initialization failed", and Paddle installs
    # a SIGTERM handler that dumps a C++ stack); the loop's main installs this package's
    # handlers, then lets them through.
    from mujoco_ppo.run.signals import STOP_SIGNALS

    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    from mujoco_ppo.errors import UserError
    from mujoco_ppo.run.run_ending import FAILURES, failure_sentence
    from mujoco_ppo.run.train_log import Transcript

    sys.stdout = Transcript(sys.stdout)  # train.log gets what PARL prints at import too
    try:
        sys.exit(main())
    except UserError as exc:
        print(f"train.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except FAILURES as exc:  # before the run's directory is known
        sentence, status = failure_sentence(exc)
        print(sentence, file=sys.stderr)
        sys.exit(status)
