"""Run a grid of train.py runs (environments x objectives x seeds) and aggregate it.

    python scripts/ablate.py run GRID_DIR --env HalfCheetah-v2 Hopper-v2 --loss_type CLIP KLPEN \\
        --seeds 0 1 2 3 4 --steps 1e6
    python scripts/ablate.py run GRID_DIR --config grid.json
    python scripts/ablate.py run GRID_DIR --algo parl2 --env CartPole-v1 HalfCheetah-v4 --seeds 0 1 2
    python scripts/ablate.py aggregate GRID_DIR
    python scripts/ablate.py report GRID_DIR --normalise reference

Settings: each --loss_type crossed with its own parameter list: CLIP with every --clip_epsilon,
KLPEN with every --kl_targ, KLFIXED with every --beta, NONE alone (the rows of the PPO paper's
comparison of surrogate objectives), and TRPO with every --max_kl. Without --loss_type, a
parameter list implies its objective (--kl_targ 0.003 0.01: KLPEN only; --kl_targ and --beta:
KLPEN and KLFIXED); with neither, CLIP and KLPEN. The plan (every environment, setting and seed,
and where each run stands: to start, to resume, done) is printed before the first run starts; then a
line as each run starts ("k of N") and as it ends ("done k/N", with the time left, estimated from
the runs finished so far), and, once every run is done, the aggregate and report commands. A JSON --config holds the same
keys (algo, env, loss_type, clip_epsilon, kl_targ, beta, max_kl, seeds, steps, jobs, train_args);
flags given on the command line win. With --algo parl2 (PARL 2.x's PPO) each environment has one
setting, ``parl2``, with its config's defaults (--train_args changes them), and without --steps
each run trains its config's --train_total_steps.

Each run is train.py with its own output directory GRID_DIR/runs/<env>/<setting>/seed<N>, as
many at once as --jobs (default: the number of cores), each then sampling with one worker and
learning on one thread, since the grid already keeps every core busy. Running the same command
again skips finished runs (also those whose progress.csv reached --steps without a checkpoint,
as committed evidence is), resumes killed ones from their newest intact checkpoint, and starts
over the ones killed before they wrote a progress.csv row. A run that has rows or checkpoints but no
intact checkpoint, or a damaged progress.csv, is never overwritten ('kept', for its owner to look
at), nor is a run that another process writes ('busy'). One grid runner runs a grid at a time,
and decides each run again as it starts, under the run's lock (a run finished meanwhile by hand
is not redone). SIGINT or SIGTERM stops the runs under way, each saving a checkpoint, and then
the grid runner, with 128 + the signal.

With --xparl_addr HOST:PORT every run is a job on that xparl cluster instead, one cluster CPU
each, its files arriving in GRID_DIR as it goes (grid/cluster.py, docs/xparl.md).

`aggregate` writes, under GRID_DIR: summary.md, summary.csv and across_environments.csv (per
environment and setting: the final evaluation reward, averaged over the last 10% of each run's
steps, with the seeds and evaluation episodes behind it, mean +- sd over seeds and a 95%
bootstrap confidence interval with 3 seeds or more, the range of the runs with fewer; the
normalised score, random policy = 0 and best setting of the grid = 1 as in the PPO paper, or a
published PARL curve = 1 with --normalise reference; across environments, rliable's IQM, mean,
median and optimality gap with stratified-bootstrap intervals) and curves_<env>.png with the
series drawn in curves_<env>.csv. `report` does the same and writes GRID_DIR/report.md, one page
with those tables, the probability of improvement of every setting over every other, the
performance profile and the sample-efficiency curves (report_*.png; see analysis/report.py).
"""
import argparse
import signal
import sys

from ..algorithms import ALGORITHMS
from ..analysis.curves import add_smooth_flag
from ..analysis.scores import NORMALISATIONS
from ..analysis.stats import REPS
from ..cli import MAX_RESAMPLES, OneLineErrorParser, run_command, shown, whole_number
from ..errors import Interrupted, UserError, WriteFailed
from ..run.settings import MAX_TIMEOUT_S
from ..run.signals import STOP_SIGNALS, in_this_process_only, stop_at_once
from .plan import DEFAULTS, load_grid, plan_text
from .runner import PROG, run_grid


def main(argv=None):
    # one sentence for bad input, in the sub-commands' parsers too (add_parser makes them of p's
    # class)
    p = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run (or continue) a grid")
    run.add_argument("grid_dir")
    run.add_argument("--config", help="JSON file with the grid's keys")
    run.add_argument("--algo", choices=list(ALGORITHMS),
                     help="PARL 1.x's PPO (default) or PARL 2.x's (train.py --algo)")
    run.add_argument("--env", nargs="+", help=f"environment ids (default: {DEFAULTS['env']})")
    run.add_argument("--loss_type", nargs="+", help=f"objectives (default: {DEFAULTS['loss_type']})")
    run.add_argument("--clip_epsilon", nargs="+", type=float,
                     help=f"CLIP ranges (default: {DEFAULTS['clip_epsilon'][0]})")
    run.add_argument("--kl_targ", nargs="+", type=float,
                     help=f"KLPEN targets (default: {DEFAULTS['kl_targ'][0]})")
    run.add_argument("--beta", nargs="+", type=float,
                     help=f"KLFIXED coefficients (default: {DEFAULTS['beta'][0]})")
    run.add_argument("--max_kl", nargs="+", type=float,
                     help=f"TRPO KL radii (default: {DEFAULTS['max_kl'][0]})")
    run.add_argument("--seeds", nargs="+", type=int, help=f"seeds (default: {' '.join(map(str, DEFAULTS['seeds']))})")
    run.add_argument("--steps", type=float,
                     help="env steps per run, at most 1e12 (default: 1e6; parl2: its config's)")
    run.add_argument("--jobs", type=int, help="runs at once, at most 256 (default: the number of "
                                               "cores, or with --xparl_addr the cluster's free "
                                               "CPUs)")
    run.add_argument("--xparl_addr", metavar="HOST:PORT",
                     help="run every run as a job on the xparl cluster whose master listens "
                          "there, one cluster CPU each (docs/xparl.md)")
    run.add_argument("--xparl_timeout", type=float, default=60.0,
                     help="with --xparl_addr: seconds a job's actor may take to answer before "
                          "its run is started again elsewhere from its newest checkpoint, at "
                          "most 1e6 (default: %(default)g)")
    run.add_argument("--train_args", nargs=argparse.REMAINDER,
                     help="further train.py flags, given to every run (last on the line)")
    for name, text in (("aggregate", "tables and curves of a grid's runs"),
                       ("report", "one page of a grid: tables, statistics and figures")):
        sub_parser = sub.add_parser(name, help=text)
        sub_parser.add_argument("grid_dir")
        add_smooth_flag(sub_parser)
        sub_parser.add_argument("--normalise", choices=NORMALISATIONS, default="best",
                                help="score 1 per environment: the grid's best setting (the PPO "
                                     "paper's) or PARL's published curve at the runs' length, "
                                     "where one exists (default: %(default)s)")
        sub_parser.add_argument("--reps", type=resamples, default=REPS,
                                help="bootstrap resamples of every interval, at least 100 and "
                                     "at most 100,000 (default: %(default)s)")
    args = p.parse_args(argv)
    if args.command == "run":
        grid = load_grid(args)
        print(plan_text(grid), flush=True)
        cluster = None
        if args.xparl_addr:
            if not 0 < args.xparl_timeout <= MAX_TIMEOUT_S:
                raise UserError(f"--xparl_timeout must be a positive number of seconds, at "
                                f"most {MAX_TIMEOUT_S:.0f}, got {args.xparl_timeout:g}.")
            from .cluster import ClusterJobs

            cluster = ClusterJobs(args.xparl_addr, args.jobs, args.xparl_timeout)
        return run_grid(args.grid_dir, grid, cluster)
    if args.command == "report":
        from ..analysis.report import report
        report(args.grid_dir, sys.argv[1:] if argv is None else list(argv), args.smooth,
               args.normalise, args.reps)
        return 0
    from ..analysis.aggregate import aggregate

    aggregate(args.grid_dir, args.smooth, args.normalise, args.reps)  # bad input: exit 2
    return 0


def resamples(text):
    count = whole_number(text)
    if count < 100:
        raise argparse.ArgumentTypeError(f"--reps must be at least 100 resamples, got {count}")
    if count > MAX_RESAMPLES:
        raise argparse.ArgumentTypeError(f"--reps must be at most {shown(MAX_RESAMPLES)} "
                                         f"resamples, got {shown(count)}")
    return count


def command():
    """The command line: scripts/ablate.py and mujoco-ppo ablate."""
    for signum in STOP_SIGNALS:  # run_grid stops its runs first
        signal.signal(signum, in_this_process_only(stop_at_once))
    run_command(main, PROG, {
        WriteFailed: lambda exc: (f"{exc}.", 1),
        Interrupted: lambda exc: (f"interrupted by signal {exc.signum}; run the same command "
                                  f"again.", 128 + exc.signum)})
