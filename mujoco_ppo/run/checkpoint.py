"""Checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint is a directory ``checkpoints/iter_NNNNNN`` holding
- ``arrays.safetensors``: the policy, value and frozen-policy weights, both Adam optimizers'
  moments (TRPO: the value one), the scaler's running statistics and the value buffer (safetensors:
  plain tensors, nothing to unpickle);
- ``state.json``: counters, beta, the scaler's count, and every random stream's state.
It is written into ``iter_NNNNNN.tmp`` and renamed, then ``checkpoints/latest`` (one line naming
it) is replaced atomically, so a kill at any moment leaves the previous checkpoint usable. The
two newest checkpoints are kept.

Checkpoints are taken between iterations, when every episode has ended: the environments'
physics state is not needed, only their random streams (the next reset draws from them).
Paddle's random stream is not saved because nothing draws from it after the weights are made.
"""
import json
import os
import shutil

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from ..errors import UserError

FORMAT = 1
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


def _optimizer_arrays(optimizer, layer, prefix):
    """Adam's state under the parameters' structural names (Paddle's own names, like
    linear_4.w_0, depend on how many layers the process created before)."""
    names = {param.name: name for name, param in layer.named_parameters()}
    arrays = {}
    for key, value in optimizer.state_dict().items():
        if not hasattr(value, "numpy"):
            continue  # learning-rate scheduler entries: the rate is constant
        owner = max((n for n in names if key.startswith(n + "_")), key=len)
        arrays[f"{prefix}/{names[owner]}/{key[len(owner) + 1:]}"] = value.numpy()
    return arrays


def _restore_optimizer(optimizer, layer, prefix, arrays):
    import paddle
    state = {}
    for name, param in layer.named_parameters():
        head = f"{prefix}/{name}/"
        for key, value in arrays.items():
            if key.startswith(head):
                state[f"{param.name}_{key[len(head):]}"] = paddle.to_tensor(value)
    optimizer.set_state_dict(state)


def capture(agent, scaler, sampler, eval_env, counters):
    """(arrays, state) of a run between two iterations."""
    alg, model = agent.alg, agent.alg.model
    arrays = {f"model/{k}": v.numpy() for k, v in model.state_dict().items()}
    arrays.update({f"old_policy/{k}": v.numpy()
                   for k, v in alg.old_policy_model.state_dict().items()})
    if hasattr(alg, "policy_optimizer"):  # PPO's; TRPO's policy step has no optimizer state
        arrays.update(_optimizer_arrays(alg.policy_optimizer, model.policy_model, "policy_adam"))
    arrays.update(_optimizer_arrays(alg.value_optimizer, model.value_model, "value_adam"))
    arrays["scaler/means"], arrays["scaler/vars"] = scaler.means, scaler.vars
    if agent.value_learn_buffer is not None:
        arrays["value_buffer/obs"], arrays["value_buffer/targets"] = agent.value_learn_buffer
    state = {
        "format": FORMAT, "counters": counters, "beta": agent.beta, "scaler_count": scaler.count,
        "agent_rng": agent.rng.bit_generator.state,
        "eval_env_rng": eval_env.unwrapped.np_random.bit_generator.state,
        "workers": sampler.get_state(),
    }
    return {k: np.ascontiguousarray(v) for k, v in arrays.items()}, state


def restore(agent, scaler, sampler, eval_env, arrays, state):
    """Put a captured run back; returns its counters."""
    import paddle
    alg, model = agent.alg, agent.alg.model
    if len(state["workers"]) != len(sampler.get_state()):
        raise UserError(f"the checkpoint has {len(state['workers'])} sampling workers and this "
                        f"run {len(sampler.get_state())}; resume with --num_workers "
                        f"{len(state['workers'])}.")
    model.set_state_dict({k[len("model/"):]: paddle.to_tensor(v)
                          for k, v in arrays.items() if k.startswith("model/")})
    alg.old_policy_model.set_state_dict({k[len("old_policy/"):]: paddle.to_tensor(v)
                                         for k, v in arrays.items() if k.startswith("old_policy/")})
    if hasattr(alg, "policy_optimizer"):
        _restore_optimizer(alg.policy_optimizer, model.policy_model, "policy_adam", arrays)
    _restore_optimizer(alg.value_optimizer, model.value_model, "value_adam", arrays)
    scaler.means, scaler.vars = arrays["scaler/means"], arrays["scaler/vars"]
    scaler.count = state["scaler_count"]
    if "value_buffer/obs" in arrays:
        agent.value_learn_buffer = (arrays["value_buffer/obs"], arrays["value_buffer/targets"])
    agent.beta = state["beta"]
    agent.rng.bit_generator.state = state["agent_rng"]
    agent.forget_numpy_policy()
    eval_env.unwrapped.np_random.bit_generator.state = state["eval_env_rng"]
    sampler.set_state(state["workers"])
    return state["counters"]


class Checkpointer:
    def __init__(self, root):
        self.root = root

    def save(self, iteration, arrays, state):
        name = f"iter_{iteration:06d}"
        final, tmp = os.path.join(self.root, name), os.path.join(self.root, name + ".tmp")
        os.makedirs(self.root, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        save_file(arrays, os.path.join(tmp, "arrays.safetensors"))
        with open(os.path.join(tmp, "arrays.safetensors"), "rb+") as f:
            os.fsync(f.fileno())
        _write(os.path.join(tmp, "state.json"), lambda f: f.write(json.dumps(state).encode()))
        _fsync_dir(tmp)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        _write(os.path.join(self.root, "latest.tmp"), lambda f: f.write(f"{name}\n".encode()))
        os.replace(os.path.join(self.root, "latest.tmp"), os.path.join(self.root, "latest"))
        _fsync_dir(self.root)
        for old in sorted(d for d in os.listdir(self.root) if d.startswith("iter_"))[:-KEEP]:
            shutil.rmtree(os.path.join(self.root, old), ignore_errors=True)
        return final

    def latest(self):
        """Path of the newest complete checkpoint; UserError if there is none."""
        try:
            with open(os.path.join(self.root, "latest")) as f:
                name = f.read().strip()
        except FileNotFoundError:
            raise UserError(f"no checkpoint in {self.root} (the run saved none yet).") from None
        path = os.path.join(self.root, name)
        if not name.startswith("iter_") or not os.path.isdir(path):
            raise UserError(f"{self.root}/latest names {name!r}, which is not a checkpoint.")
        return path


def load(path):
    """(arrays, state) of a checkpoint directory; UserError if missing or unreadable."""
    try:
        arrays = load_file(os.path.join(path, "arrays.safetensors"))
        with open(os.path.join(path, "state.json")) as f:
            state = json.load(f)
    except FileNotFoundError as exc:
        raise UserError(f"checkpoint {path} is incomplete: {exc.filename} is missing.") from None
    except (SafetensorError, json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise UserError(f"checkpoint {path} is unreadable ({type(exc).__name__}: {exc}).") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise UserError(f"checkpoint {path} is not a mujoco_ppo checkpoint of format {FORMAT}.")
    return arrays, state
