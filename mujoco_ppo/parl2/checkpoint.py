"""What a checkpoint of PARL 2.x's PPO holds (stored by mujoco_ppo.run.checkpoint: a directory
of ``arrays.safetensors`` and ``state.json``, written atomically, two kept).

Taken between updates, in the middle of episodes, a checkpoint holds what the next update
depends on: the model's weights, Adam's moments and step powers and its learning rate, the
learning-rate schedule's step, the observation and done flags the next rollout starts from,
every environment's exact state (env_state: simulator, wrappers, observation normalisation,
random streams), the agent's minibatch shuffling stream, Paddle's random stream (actions are
sampled by paddle.distribution), and the run's counters.
"""
import contextlib
import os
import re

import numpy as np

from ..errors import UserError
from ..run.checkpoint import ARRAYS, FORMAT, RNG_STATE, Checkpointer, check_counter_per_iteration
from ..run.counters import COUNTERS_SCHEMA
from ..run.schema import NUMBER
from ..run.weights import (
    check_weights_fit,
    load_weights,
    optimizer_arrays,
    restore_optimizer,
    weight_arrays,
)
from . import env_state

# state.json as capture() and Checkpointer.save() write it (the environments' entries vary
# with their kind and are checked where env_state restores them)
STATE_SCHEMA = {
    "format": int, "algo": str, "lr": NUMBER, "lr_step": (int, type(None)),
    "counters": COUNTERS_SCHEMA, "agent_rng": RNG_STATE, "paddle_rng": [list],
    "sha256": {ARRAYS: str}, "checksum": str,
}
REQUIRED_ARRAYS = ("rollout/obs", "rollout/done")
# the first training environment's observation statistics (MuJoCo's NormalizeObservation)
_OBS_RMS = re.compile(r"^env0/.*NormalizeObservation\.obs_rms\.mean$")


def checkpointer(output_dir):
    """The run's Checkpointer, checking what this module writes."""
    return Checkpointer(os.path.join(output_dir, "checkpoints"), STATE_SCHEMA, REQUIRED_ARRAYS)


def policy_arrays(arrays, state):
    """(arrays, info) that evaluation reads of a checkpoint: the model whole (``policy/NAME``:
    its actor and critic are one layer, a shared trunk on Atari) and, on MuJoCo, the training
    observation statistics (``obs_rms/mean``, ``obs_rms/var``); Atari has none."""
    kept = {f"policy/{k[len('model/'):]}": v for k, v in arrays.items() if k.startswith("model/")}
    info = {"steps": state["counters"]["steps"]}
    mean_name = next((k for k in arrays if _OBS_RMS.match(k)), None)
    if mean_name is not None:
        base = mean_name[:-len(".mean")]
        kept["obs_rms/mean"], kept["obs_rms/var"] = arrays[mean_name], arrays[f"{base}.var"]
        info["obs_rms_count"] = state[f"{base}.count"]
    return kept, info


def capture(agent, envs, eval_env, obs, done, counters):
    """(arrays, state) of a run between two updates; ``counters`` as state.json holds them."""
    import paddle
    model, optimizer = agent.alg.model, agent.alg.optimizer
    arrays = {**weight_arrays(model, "model"), **optimizer_arrays(optimizer, model, "adam")}
    arrays["rollout/obs"], arrays["rollout/done"] = obs, done
    state = {"format": FORMAT, "algo": "parl2", "counters": counters,
             "lr": optimizer.get_lr(),
             "lr_step": agent.lr_scheduler.cur_step if agent.lr_scheduler else None,
             "agent_rng": agent.rng.bit_generator.state,
             "paddle_rng": [list(s.__getstate__()) for s in paddle.get_rng_state()]}
    # the training environments (local or xparl actors) as env0.., the evaluation one last
    for env_arrays, env_values in envs.get_state() + [
            env_state.capture(eval_env, f"env{envs.env_num}")]:
        arrays.update(env_arrays)
        state.update(env_values)
    return {k: np.array(v, order="C") for k, v in arrays.items()}, state  # 0-d stays 0-d


def restore(agent, envs, eval_env, path, arrays, state):
    """Put the run captured in checkpoint ``path`` back; returns (obs, done), where the next
    rollout starts.
    UserError if it does not fit this run (another environment, other flags, a damaged file)."""
    import paddle
    model, optimizer = agent.alg.model, agent.alg.optimizer
    check_fits(agent, path, arrays, state)
    load_weights(model, arrays, "model")
    restore_optimizer(optimizer, model, "adam", arrays)
    optimizer.set_lr(state["lr"])
    if agent.lr_scheduler:
        agent.lr_scheduler.cur_step = state["lr_step"]
    agent.rng.bit_generator.state = state["agent_rng"]
    with fitting(path):
        paddle.set_rng_state(_paddle_generators(state["paddle_rng"]))
        envs.set_state([(arrays, state)] * envs.env_num)  # each reads its own env{i} entries
        env_state.restore(eval_env, f"env{envs.env_num}", arrays, state)
    return arrays["rollout/obs"], arrays["rollout/done"]


def check_fits(agent, path, arrays, state):
    """UserError unless the checkpoint's weights, rollout and counters are those of this
    run's model and flags."""
    config, counters = agent.config, state["counters"]
    check_weights_fit(arrays, agent.alg.model, path)
    check_counter_per_iteration(counters, path, "steps", config["batch_size"],
                                f"--env_num x --step_nums = {config['batch_size']} steps")
    for name in ("rollout/obs", "rollout/done"):
        if len(arrays[name]) != config["env_num"]:
            raise UserError(f"checkpoint {path} does not fit this run: its {name} holds "
                            f"{len(arrays[name])} environments, --env_num is "
                            f"{config['env_num']}.")
    decays = agent.lr_scheduler is not None
    expected = counters["iteration"] if decays else None  # the schedule steps once an update
    if state["lr_step"] != expected:
        raise UserError(f"checkpoint {path} does not fit this run: its lr_step is "
                        f"{state['lr_step']}, and after {counters['iteration']} updates "
                        f"{'with' if decays else 'without'} --lr_decay it is {expected}.")


@contextlib.contextmanager
def fitting(path):
    """UserErrors of the block name checkpoint ``path`` as what does not fit."""
    try:
        yield
    except UserError as exc:
        raise UserError(f"checkpoint {path} does not fit this run: {exc}") from None


def _paddle_generators(saved_states):
    from paddle.base.libpaddle import GeneratorState
    generators = []
    for saved in saved_states:
        generator = GeneratorState.__new__(GeneratorState)
        try:
            generator.__setstate__(tuple(saved))
        except RuntimeError:  # pybind11's answer to any content it cannot take
            raise UserError(f"state.json: paddle_rng holds no Paddle random state "
                            f"({str(saved):.40})") from None
        generators.append(generator)
    return generators
