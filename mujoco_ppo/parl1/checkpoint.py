"""What a checkpoint of PARL 1.x's PPO holds (stored by mujoco_ppo.run.checkpoint):
- arrays: the policy, value and frozen-policy weights, both Adam optimizers' moments (TRPO: the
  value one), the scaler's running statistics and the value buffer;
- state: the counters, beta, the scaler's count, and every random stream's state.

Checkpoints are taken between iterations, when every episode has ended: the environments'
physics state is not needed, only their random streams (the next reset draws from them).
Paddle's random stream is not saved because nothing draws from it after the weights are made.
"""
import os

import numpy as np

from ..errors import UserError
from ..run.checkpoint import (
    ARRAYS,
    FORMAT,
    RNG_STATE,
    Checkpointer,
    check_counter_per_iteration,
)
from ..run.counters import COUNTERS_SCHEMA
from ..run.schema import COUNT, NUMBER
from ..run.weights import (
    check_weights_fit,
    load_weights,
    optimizer_arrays,
    restore_optimizer,
    weight_arrays,
)

# its own counts beside the shared counters (TRPO's iterations whose line search took no step)
ALGORITHM_COUNTS = ("line_search_failures",)
# state.json as capture() and Checkpointer.save() write it
STATE_SCHEMA = {
    "format": int, "beta": NUMBER, "scaler_count": NUMBER,
    "counters": {**COUNTERS_SCHEMA, **{f"{name}?": COUNT for name in ALGORITHM_COUNTS}},
    "agent_rng": RNG_STATE, "eval_env_rng": RNG_STATE,
    "workers": [{"env_rng": RNG_STATE, "rng?": RNG_STATE}],
    "sha256": {ARRAYS: str}, "checksum": str,
}
REQUIRED_ARRAYS = ("scaler/means", "scaler/vars")
POLICY = "model/policy_model."  # the policy's weights among the arrays (the value net's beside)


def checkpointer(output_dir):
    """The run's Checkpointer, checking what this module writes."""
    return Checkpointer(os.path.join(output_dir, "checkpoints"), STATE_SCHEMA, REQUIRED_ARRAYS)


def policy_arrays(arrays, state):
    """(arrays, info) that evaluation reads of a checkpoint: the policy's weights
    (``policy/NAME``) and the scaler; the value network and the optimizers are left out."""
    kept = {f"policy/{k[len(POLICY):]}": v for k, v in arrays.items() if k.startswith(POLICY)}
    kept["scaler/means"], kept["scaler/vars"] = arrays["scaler/means"], arrays["scaler/vars"]
    return kept, {"steps": state["counters"]["steps"], "scaler_count": state["scaler_count"]}


def capture(agent, scaler, sampler, eval_env, counters):
    """(arrays, state) of a run between two iterations; ``counters`` as state.json holds them."""
    alg, model = agent.alg, agent.alg.model
    arrays = {**weight_arrays(model, "model"), **weight_arrays(alg.old_policy_model, "old_policy")}
    if hasattr(alg, "policy_optimizer"):  # PPO's; TRPO's policy step has no optimizer state
        arrays.update(optimizer_arrays(alg.policy_optimizer, model.policy_model, "policy_adam"))
    arrays.update(optimizer_arrays(alg.value_optimizer, model.value_model, "value_adam"))
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


def restore(agent, scaler, sampler, eval_env, path, arrays, state):
    """Put the run captured in checkpoint ``path`` back; UserError if it does not fit this run
    (another environment, other flags)."""
    alg, model = agent.alg, agent.alg.model
    check_fits(arrays, model, path)
    if len(state["workers"]) != len(sampler.get_state()):
        raise UserError(f"the checkpoint has {len(state['workers'])} sampling workers and this "
                        f"run {len(sampler.get_state())}; resume with --num_workers "
                        f"{len(state['workers'])}.")
    load_weights(model, arrays, "model")
    load_weights(alg.old_policy_model, arrays, "old_policy")
    if hasattr(alg, "policy_optimizer"):
        restore_optimizer(alg.policy_optimizer, model.policy_model, "policy_adam", arrays)
    restore_optimizer(alg.value_optimizer, model.value_model, "value_adam", arrays)
    scaler.means, scaler.vars = arrays["scaler/means"], arrays["scaler/vars"]
    scaler.count = state["scaler_count"]
    if "value_buffer/obs" in arrays:
        agent.value_learn_buffer = (arrays["value_buffer/obs"], arrays["value_buffer/targets"])
    agent.beta = state["beta"]
    agent.rng.bit_generator.state = state["agent_rng"]
    agent.forget_numpy_policy()
    eval_env.unwrapped.np_random.bit_generator.state = state["eval_env_rng"]
    sampler.set_state(state["workers"])


def check_batches_fit(path, counters, episodes_per_batch):
    """UserError unless the checkpoint's episodes are its iterations' batches of
    ``episodes_per_batch`` (a checkpoint of a run with another --episodes_per_batch)."""
    check_counter_per_iteration(counters, path, "episodes", episodes_per_batch,
                                f"--episodes_per_batch {episodes_per_batch}")


def check_fits(arrays, model, path):
    """UserError unless the checkpoint's weights and scaler have the shapes of ``model`` (a
    checkpoint of another environment has other observation or action sizes)."""
    check_weights_fit(arrays, model, path)
    obs_dim = model.state_dict()["policy_model.fc1.weight"].shape[0]
    for name in ("scaler/means", "scaler/vars"):
        if arrays[name].shape != (obs_dim,):
            raise UserError(f"checkpoint {path} does not fit this run's model: {name} has "
                            f"shape {list(arrays[name].shape)}, the model needs [{obs_dim}].")
