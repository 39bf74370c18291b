"""What many test files need: running the command lines as a user would, reading a run's
progress.csv, and the assertions about what a command line prints when it refuses."""
import contextlib
import csv
import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# tests/faulty_envs.py is importable by the child process: `--env faulty_envs:...` (and this
# checkout's mujoco_ppo, as conftest.py puts it for every command line)
TEST_ENVS = {"PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "tests"), ROOT])}


def python_command(script, *args):
    """``python SCRIPT ARGS``, the script named relative to ROOT (or absolute)."""
    return [sys.executable, os.path.join(ROOT, script), *map(str, args)]


def script(name):
    """scripts/NAME.py as a module (the scripts are programs, not a package)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "scripts", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child_environment(env=None):
    """One thread a process (a test machine runs several at once), plus ``env``'s variables."""
    return dict(os.environ, OMP_NUM_THREADS="1", **(env or {}))


def run_python(script, *args, env=None, timeout=600):
    """Run a script of the repository from ROOT; returns the CompletedProcess (text mode)."""
    return subprocess.run(python_command(script, *args), cwd=ROOT, env=child_environment(env),
                          capture_output=True, text=True, timeout=timeout)


def run_train(*args, env=None, timeout=600):
    """Run train.py as a user would."""
    return run_python("train.py", *args, env=env, timeout=timeout)


def popen_train(*args, env=None, **kwargs):
    """Start train.py as a user would, to signal or watch it while it runs."""
    return subprocess.Popen(python_command("train.py", *args), cwd=ROOT, text=True,
                            env=child_environment(env), **kwargs)


def read_progress(output_dir):
    with open(os.path.join(output_dir, "progress.csv"), newline="") as f:
        return list(csv.DictReader(f))


def eval_rewards(output_dir):
    return [float(row["eval_reward"]) for row in read_progress(output_dir) if row["eval_reward"]]


def without_timings(rows):
    """progress.csv rows without the timing columns (sps, *_time), which differ between any two
    runs of the same settings."""
    return [{k: v for k, v in row.items() if k != "sps" and not k.endswith("_time")}
            for row in rows]


def assert_no_traceback(*outputs):
    """None of ``outputs`` (a process's stderr, its stdout) holds a Python traceback."""
    for output in outputs:
        assert "Traceback" not in output, output


def assert_one_sentence(proc, status, phrase):
    """The command exited with ``status`` and wrote one line to stderr, holding ``phrase``."""
    assert proc.returncode == status, (proc.returncode, proc.stderr)
    assert_no_traceback(proc.stderr, proc.stdout)
    assert "FatalError" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and phrase in lines[0], proc.stderr


@contextlib.contextmanager
def tmpfs(mount, size):
    """A real tmpfs of ``size`` (mount's -o size=) mounted on the directory ``mount``; the test
    is skipped where mounting needs a root this process is not."""
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def resume_command(run_dir):
    """The command a stopped or failed run of train.py (run from ROOT) says continues it."""
    from mujoco_ppo.cli import shortest_path
    return f"{shortest_path(sys.executable, ROOT)} train.py --resume {run_dir}"


def compare_table(capsys, *argv):
    """compare_parl.py run in-process: (the lines it prints before its table, which say what each
    PARL log was read as; the table's rows, each split on two or more spaces)."""
    from mujoco_ppo.comparison import compare
    assert compare.main([*map(str, argv)]) is None
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("task "))
    return lines[:header], [[cell.strip() for cell in line.split("  ") if cell.strip()]
                            for line in lines[header + 1:] if not line.startswith("wrote ")]


# A cluster session's own mark: set in the environment of the command that starts it, and so
# inherited by every process it starts (PARL's master, worker, monitor, log server and jobs, and
# the train.py a job runs). Other clusters on the machine (a user's own, a second checkout's
# tests) carry another value or none, so a test counts its own processes and no one else's.
SESSION_MARKER = "MUJOCO_PPO_TEST_SESSION"


def marked_environment(marker):
    """This process's environment with ``marker`` as the session's mark."""
    return dict(os.environ, **{SESSION_MARKER: str(marker)})


def marked_processes(marker):
    """[(pid, command line)] of the processes on this machine whose environment carries
    ``marker`` as the session's mark (the processes of other users, which this one may not read,
    are not this session's)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        with contextlib.suppress(psutil.Error):  # ended meanwhile, a zombie, or not ours to read
            if proc.environ().get(SESSION_MARKER) == str(marker):
                found.append((proc.info["pid"], " ".join(proc.info["cmdline"] or [])))
    return found
