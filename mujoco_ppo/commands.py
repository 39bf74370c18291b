"""`mujoco-ppo COMMAND ...` and `python -m mujoco_ppo COMMAND ...`: every command of the package
under one name, working from any directory with the package installed (`pip install .`). Each
is also its own program in a checkout (train.py, evaluate.py, scripts/ablate.py, ...), the same
main behind both."""
import difflib
import os
import shutil
import sys

from .cli import invoked_as
from .dependencies import require

# name: (module whose command() runs it, the command's own name, what it does). The modules are
# imported only once chosen: training blocks the stop signals before Paddle loads.
COMMANDS = {
    "train": ("mujoco_ppo.training", "train.py",
              "train PARL 1.x's PPO (--algo parl2: PARL 2.x's); --resume DIR continues a run"),
    "evaluate": ("mujoco_ppo.evaluation.command", "evaluate.py",
                 "deterministic episodes of a run's checkpoint, optionally recorded as a video"),
    "ablate": ("mujoco_ppo.grid.ablate", "ablate.py",
               "run a grid of runs (here or on an xparl cluster), aggregate it, report on it"),
    "compare": ("mujoco_ppo.comparison.compare", "compare_parl.py",
                "runs' evaluation reward against PARL's logs and published curves"),
    "plot": ("mujoco_ppo.analysis.plot", "plot.py",
             "evaluation and training reward against env steps, for one run or many"),
    "steps-to-reward": ("mujoco_ppo.analysis.steps_to_reward", "steps_to_reward.py",
                        "the first step at which each run's evaluation reward reaches a level"),
    "step-sizes": ("mujoco_ppo.analysis.step_sizes", "step_sizes.py",
                   "how far each setting's policy moves per batch (KL, clipped fraction)"),
    "xparl": ("mujoco_ppo.xparl.cluster", "python -m mujoco_ppo.xparl",
              "PARL's xparl cluster (start, connect, status, stop), listening on one address"),
}


def usage(prog):
    width = max(map(len, COMMANDS))
    listed = "\n".join(f"  {name:<{width}}  {what}" for name, (_, _, what) in COMMANDS.items())
    return (f"usage: {prog} COMMAND [ARGS ...]\n\nPARL 1.x's MuJoCo PPO and PARL 2.x's PPO on "
            f"Paddle 3, PARL 2.2.1 and Gymnasium.\n\ncommands:\n{listed}\n\n"
            f"`{prog} COMMAND --help` lists a command's flags.\n")


def refusal(prog, argv):
    """The sentence for a command line without a known command."""
    names = ", ".join(COMMANDS)
    if not argv:
        return f"{prog}: error: name a command: {names} ({prog} --help says what each does)."
    close = difflib.get_close_matches(argv[0], list(COMMANDS), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"{prog}: error: no command {argv[0]!r}; {hint}the commands are {names}."


def main(argv=None, module_form=False):
    """Run the command that ``argv`` (default: sys.argv[1:]) names with the arguments after it;
    ``module_form``: started as `python -m mujoco_ppo`, not as the `mujoco-ppo` script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    prog = "python -m mujoco_ppo" if module_form else "mujoco-ppo"
    if argv[:1] in (["-h"], ["--help"]):
        sys.stdout.write(usage(prog))
        sys.exit(0)
    if not argv or argv[0] not in COMMANDS:
        print(refusal(prog, argv), file=sys.stderr)
        sys.exit(2)
    name, args = argv[0], argv[1:]
    module, own_name, _ = COMMANDS[name]
    typed = f"{prog} {name}"
    # one sentence, not a traceback, where this Python lacks the packages (a --no-deps install)
    require(typed)
    invoked_as(own_name, typed, again(module_form) + [name])
    sys.argv = [typed, *args]  # argv[0] names the program, its arguments follow (config.json)
    __import__(module, fromlist=["command"]).command()


def again(module_form):
    """The words that start this package's command again: the interpreter with -m where it was
    started so (a bare `python` may be another); the script by name where that name finds this
    script, else by its path."""
    if module_form:
        return [sys.executable, "-m", "mujoco_ppo"]
    script = os.path.abspath(sys.argv[0])
    found = shutil.which(os.path.basename(script))
    if found and os.path.realpath(found) == os.path.realpath(script):
        return [os.path.basename(script)]
    return [script]
