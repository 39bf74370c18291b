"""Evaluation and training reward against env steps, for one or many runs.

    python scripts/plot.py runs/* --out curves.png

Runs with the same setting (environment, loss type, gamma, lambda, kl_targ, clip_epsilon, beta,
episodes per batch) are one curve: the mean over the seeds that have a point at that step, with a
min-max band, the number of seeds written where it changes, and every single point as a dot. Each
run is first smoothed by a trailing mean over --smooth steps of its own points (0: none), never
over more than a tenth of the shortest run (the caption then says so). One row
of panels (evaluation, training) per environment, at most 6 settings to a panel. The series drawn
are also written as CSV beside the PNG (same name, .csv).
"""
from ..cli import OneLineErrorParser, run_command
from .curves import (
    add_smooth_flag,
    draw_panel,
    fitted_window,
    output_paths,
    panel_grid,
    save_figure,
    smoothing_text,
    split_settings,
)
from .results import group_by_setting, load_runs, note

KINDS = (("eval", "evaluation"), ("train", "training"))
PROG = "plot.py"

def main(argv=None):
    import matplotlib

    matplotlib.use("Agg")
    p = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="output directories of train.py")
    p.add_argument("--out", default="curves.png", help="PNG to write; the CSV goes beside it "
                   "(default: %(default)s)")
    add_smooth_flag(p)
    args = p.parse_args(argv)
    png, csv_path = output_paths(args.out)
    runs = load_runs(args.runs)
    smooth = fitted_window(args.smooth, runs)
    groups, labels = group_by_setting(runs)
    for key, runs in groups.items():
        seeds = [run["seed"] for run in runs]
        shared = sorted({seed for seed in seeds if seeds.count(seed) > 1}, key=str)
        if shared:
            note(f"{labels[key]}: {len(runs)} runs but seed{'s' if len(shared) > 1 else ''} "
                 f"{', '.join(map(str, shared))} more than once; every run is counted.")
    panels = []  # (title, y label, settings, kind, panel name in the CSV): evaluation, training
    for env_id in sorted({key[0] for key in groups}):
        settings = [(labels[key].split(" ", 1)[1], groups[key])
                    for key in sorted(k for k in groups if k[0] == env_id)]
        for title, part in split_settings(env_id, settings):
            panels += [(f"{title}: {name} reward", f"{name} reward", part, kind, f"{env_id} {name}")
                       for kind, name in KINDS]
    fig, axes = panel_grid(len(panels), columns=2)
    series, bins = [], set()
    for ax, (title, ylabel, part, kind, panel) in zip(axes, panels):
        drawn, bin_steps = draw_panel(ax, title, ylabel, part, kind, smooth)
        series += [(panel, label, curve) for label, curve in drawn]
        bins.add(bin_steps)
    caption = smoothing_text(smooth, max(bins), asked=args.smooth,
                             shortest=min(run["last_step"] for run in runs),
                             band=any((curve["seeds"] > 1).any() for _, _, curve in series))
    save_figure(fig, caption, png, csv_path, series)


def command():
    """The command line: scripts/plot.py and mujoco-ppo plot."""
    run_command(main, PROG)
