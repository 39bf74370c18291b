"""The checkpoint store of a run, for both PPOs: everything needed to continue a run exactly
where it stopped. What goes into a checkpoint is each PPO's (mujoco_ppo/parl1/checkpoint.py,
mujoco_ppo/parl2/checkpoint.py); this module stores it.

A checkpoint is a directory ``checkpoints/iter_NNNNNN`` holding
- ``arrays.safetensors``: named arrays (safetensors: plain tensors, nothing to unpickle);
- ``state.json``: counters, random streams' states and the PPO's other values.
It is written into ``iter_NNNNNN.tmp`` and renamed, then ``checkpoints/latest`` (one line naming
it) is replaced atomically, so a kill at any moment leaves the previous checkpoint usable. The
two newest intact checkpoints (by iteration number) are kept (Checkpointer.rotate).

``state.json`` records the sha256 of ``arrays.safetensors`` and a checksum of itself (sha256 of
its canonical JSON without that field), and is checked against the keys and types its PPO writes
(the schema and the arrays its checkpointer() gives the Checkpointer):
loading (train.py --resume, evaluate.py, scripts/ablate.py alike) takes the newest checkpoint
that passes, saying which newer ones it skipped and why; a resume takes the newest that
progress.csv's rows also reach (resume_point).
"""
import errno
import hashlib
import json
import os
import re
import shutil

from safetensors import SafetensorError
from safetensors.numpy import load as arrays_from_bytes
from safetensors.numpy import save_file

from ..errors import UserError, WriteFailed
from .run_log import complete_rows, open_regular, writing
from .schema import check, one_of, whole_in

FORMAT = 2  # 2: state.json records the sha256 of arrays.safetensors and its own checksum
KEEP = 2


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path, write):
    with open(path, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


def check_counter_per_iteration(counters, path, name, per_iteration, source):
    """UserError unless counters[name] is counters.iteration times ``per_iteration``, what one
    iteration of this run adds (set by the flags ``source`` names)."""
    expected = counters["iteration"] * per_iteration
    if counters[name] != expected:
        raise UserError(f"checkpoint {path} does not fit this run: its counters.{name} is "
                        f"{counters[name]}, and {counters['iteration']} iterations of {source} "
                        f"make {expected}.")


_ITER = re.compile(r"^iter_(\d+)$")
ARRAYS, STATE = "arrays.safetensors", "state.json"
# NumPy's PCG64 (default_rng's, Gymnasium's np_random), with the bounds its setter needs
UINT128 = whole_in(0, 2**128, "a whole number in [0, 2**128)")
RNG_STATE = {"bit_generator": one_of("PCG64"), "state": {"state": UINT128, "inc": UINT128},
             "has_uint32": one_of(0, 1), "uinteger": whole_in(0, 2**32)}


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state_checksum(state):
    """sha256 of state.json's content without its own ``checksum`` field, in canonical form."""
    body = {k: v for k, v in state.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def with_checksum(state):
    """state with its ``checksum`` field (re)computed."""
    return {**state, "checksum": _state_checksum(state)}


def with_checksums(state, arrays_path):
    """state plus the sha256 of the arrays file and its own checksum, as save() writes it."""
    return with_checksum({**state, "sha256": {ARRAYS: _sha256_file(arrays_path)}})


class Checkpointer:
    """The checkpoints of one run: ``root/iter_NNNNNN`` directories (at least six digits; the
    number orders them, not the name), and ``root/latest`` naming the newest."""

    def __init__(self, root, schema, required_arrays):
        """``schema``/``required_arrays``: what load() checks, the state.json and the arrays
        of the PPO whose checkpoints these are (its checkpointer() passes them)."""
        self.root, self.schema, self.required_arrays = root, schema, required_arrays

    def save(self, iteration, arrays, state):
        """Write checkpoint ``iteration``; WriteFailed naming the file if a write fails (the
        partial copy is removed, the earlier checkpoints stay as they were)."""
        def fill(tmp):
            try:
                save_file(arrays, os.path.join(tmp, ARRAYS))
            except SafetensorError as exc:  # its own error type for a failed write
                raise OSError(errno.EIO, str(exc), os.path.join(tmp, ARRAYS)) from None
            with open(os.path.join(tmp, ARRAYS), "rb+") as f:
                os.fsync(f.fileno())
            checked = with_checksums(state, os.path.join(tmp, ARRAYS))
            _write(os.path.join(tmp, STATE), lambda f: f.write(json.dumps(checked).encode()))

        return self._commit(iteration, fill)

    def store(self, iteration, files):
        """Write checkpoint ``iteration`` from the files of one that save() wrote elsewhere
        ({file name: bytes}; a grid's job on a cluster sends them), byte for byte, through the
        same steps as save(): the same guarantees, and the same WriteFailed."""
        def fill(tmp):
            for name, data in files.items():
                _write(os.path.join(tmp, name), lambda f, data=data: f.write(data))

        return self._commit(iteration, fill)

    def _commit(self, iteration, fill):
        """``fill(tmp)`` writes the checkpoint's files into ``iter_NNNNNN.tmp``, which is then
        renamed into place, named by ``latest``, and the older ones rotated."""
        name = f"iter_{iteration:06d}"
        final, tmp = os.path.join(self.root, name), os.path.join(self.root, name + ".tmp")
        try:
            with writing(tmp):
                os.makedirs(self.root, exist_ok=True)
                shutil.rmtree(tmp, ignore_errors=True)
                os.makedirs(tmp)
                fill(tmp)
                _fsync_dir(tmp)
                shutil.rmtree(final, ignore_errors=True)
                os.replace(tmp, final)
                _write(os.path.join(self.root, "latest.tmp"),
                       lambda f: f.write(f"{name}\n".encode()))
                os.replace(os.path.join(self.root, "latest.tmp"),
                           os.path.join(self.root, "latest"))
                _fsync_dir(self.root)
                self.rotate(iteration)
        except WriteFailed:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def rotate(self, iteration):
        """Keep checkpoint ``iteration``, just saved, and the newest intact one before it;
        remove the older intact ones. A damaged directory (an empty iter_999999) is neither
        counted nor removed: counted, it would displace an intact checkpoint; its owner may
        want to look at it. Nor is a checkpoint numbered above ``iteration``: the run was
        resumed from an older one, since progress.csv's rows did not reach it (resume_point),
        and counted, it would displace the one its rows agree with; the run replaces it when
        it reaches its iteration again."""
        ours = [path for number, path in self.intact_checkpoints() if number <= iteration]
        for old in ours[KEEP:]:
            shutil.rmtree(old, ignore_errors=True)

    def checkpoints(self):
        """[(iteration, path)] of the checkpoint directories, newest (highest number) first;
        UserError if ``root`` exists but is not a directory."""
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            raise UserError(f"{self.root} is a file; a run keeps its checkpoints in a "
                            f"directory of that name.") from None
        except OSError as exc:  # a symlink loop, no permission
            raise UserError(f"{self.root} is unreadable ({exc.strerror}).") from None
        numbered = [(int(m[1]), os.path.join(self.root, n)) for n in names if (m := _ITER.match(n))]
        return sorted(numbered, reverse=True)

    def intact_checkpoints(self):
        """[(iteration, path)] of the checkpoints that pass load(), newest first."""
        return [(iteration, path) for iteration, path in self.checkpoints() if self._passes(path)]

    def _passes(self, path):
        try:
            load(path, self.schema, self.required_arrays)
            return True
        except UserError:
            return False

    def load_newest_intact(self, unfit=None):
        """(path, arrays, state, skipped) of the newest checkpoint that passes load() (and that
        ``unfit(path, state)``, if given, finds no fault with: it returns None, or the reason in
        a few words); ``skipped`` says, one sentence each, which newer ones were damaged (or
        unfit) and why. UserError if there is no checkpoint or none is intact (or fit)."""
        latest = os.path.join(self.root, "latest")
        if os.path.lexists(latest) and not os.path.isfile(latest):
            raise UserError(f"{latest} is not a file (it names the newest checkpoint); "
                            f"remove it and resume again.")
        damaged, unfitting, skipped = [], [], []
        for _, path in self.checkpoints():
            try:
                arrays, state = load(path, self.schema, self.required_arrays)
            except UserError as exc:
                damaged.append(str(exc).rstrip("."))
                skipped.append(f"skipped a damaged checkpoint: {damaged[-1]}")
                continue
            fault = unfit(path, state) if unfit is not None else None
            if fault is not None:
                unfitting.append(f"{os.path.basename(path)}: {fault}")
                skipped.append(f"skipped checkpoint {os.path.basename(path)} (left as it "
                               f"is): {fault}")
                continue
            return path, arrays, state, [f"{note}; using {os.path.basename(path)}."
                                         for note in skipped]
        if unfitting:
            raise UserError(f"no checkpoint in {self.root} fits the run's rows ("
                            f"{'; '.join(unfitting)}); nothing was changed: put back the rows "
                            f"of progress.csv, or start the run over with --overwrite.")
        if not damaged:
            raise UserError(f"no checkpoint in {self.root} (the run saved none yet).")
        raise UserError(f"no intact checkpoint in {self.root}: {'; '.join(damaged)}.")


def resume_point(checkpoints, progress_path, columns):
    """(path, arrays, state, skipped, rows) of what ``train.py --resume`` continues, for both
    PPOs: the newest intact checkpoint of the Checkpointer ``checkpoints`` that progress.csv
    (``progress_path``, of ``columns``) agrees with, its rows reaching the checkpoint's
    iteration, and ``rows``, those rows. A newer checkpoint that
    they do not reach (a progress.csv cut short by a crash of an older version or by an
    editor) is skipped, said in ``skipped``, and left as it is (Checkpointer.rotate): resuming
    from it would leave a gap in the rows, and its rotation would remove the checkpoint that
    the rows agree with. UserError where no checkpoint agrees (progress.csv emptied or
    removed), or a line of progress.csv that the newest checkpoint needs is damaged."""
    rows = {}

    def unfit(path, state):
        iteration = state["counters"]["iteration"]
        if "all" not in rows:  # the newest intact checkpoint's: a damaged line is refused
            rows["all"] = complete_rows(progress_path, iteration, columns)
        kept = rows["all"][:iteration]
        if len(kept) < iteration:
            return f"{progress_path} holds {len(kept)} of its {iteration} iterations' rows"
        rows["kept"] = kept  # whether they are its run's: restoring it checks its counters
        return None

    path, arrays, state, skipped = checkpoints.load_newest_intact(unfit)
    return path, arrays, state, skipped, rows["kept"]


def load(path, schema, required_arrays):
    """(arrays, state) of a checkpoint directory; UserError naming the file and what is wrong
    if a file is missing, not a regular file, unreadable, fails its checksum or does not hold
    what its PPO's capture() and save() write (state.json of ``schema``, the arrays
    ``required_arrays``)."""
    state_path, arrays_path = os.path.join(path, STATE), os.path.join(path, ARRAYS)
    for file in (state_path, arrays_path):
        if not os.path.lexists(file):
            raise UserError(f"checkpoint {path} is incomplete: {file} is missing.")
    try:
        state = json.loads(_read(state_path).decode())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{state_path} is unreadable ({type(exc).__name__}: {exc}).") from None
    if not isinstance(state, dict) or state.get("format") not in (1, FORMAT):
        raise UserError(f"{state_path} is not a mujoco_ppo checkpoint of format {FORMAT}.")
    data = _read(arrays_path)
    if state["format"] == FORMAT:  # format 1 (before checksums) is read as it is
        if state.get("checksum") != _state_checksum(state):
            raise UserError(f"{state_path} is damaged: its checksum does not match its content.")
        check(state, schema, state_path)
        if state["sha256"][ARRAYS] != hashlib.sha256(data).hexdigest():
            raise UserError(f"{arrays_path} is damaged: its sha256 differs from the one "
                            f"recorded in state.json.")
    else:
        check(state, {k: v for k, v in schema.items() if k not in ("sha256", "checksum")},
              state_path)
    try:
        arrays = arrays_from_bytes(data)
    except SafetensorError as exc:
        raise UserError(f"{arrays_path} is unreadable ({type(exc).__name__}: {exc}).") from None
    missing = [name for name in required_arrays if name not in arrays]
    if missing:
        raise UserError(f"{arrays_path} is damaged: it has no {missing[0]}.")
    return arrays, state


def _read(path):
    """The bytes of one file of a checkpoint; UserError if it is not a regular file or
    unreadable."""
    try:
        with open_regular(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise UserError(f"{path} is unreadable ({type(exc).__name__}: {exc}).") from None
