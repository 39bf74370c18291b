"""Checkpoints of PARL 2.x's PPO, in the first PPO's files (mujoco_ppo.run.checkpoint: a
directory of ``arrays.safetensors`` and ``state.json``, written atomically, two kept).

Taken between updates, in the middle of episodes, a checkpoint holds what the next update
depends on: the model's weights, Adam's moments and step powers and its learning rate, the
learning-rate schedule's step, the observation and done flags the next rollout starts from,
every environment's exact state (env_state: simulator, wrappers, observation normalisation,
random streams), the agent's minibatch shuffling stream, Paddle's random stream (actions are
sampled by paddle.distribution), and the run's counters.
"""
import numpy as np

from ..run.checkpoint import (ARRAYS, FORMAT, RNG_STATE, Checkpointer, _optimizer_arrays,
                               _restore_optimizer)
from ..run.schema import NUMBER
from . import env_state

# state.json as capture() and Checkpointer.save() write it (the environments' entries vary
# with their kind and are checked where env_state restores them)
STATE_SCHEMA = {
    "format": int, "algo": str, "lr": NUMBER, "lr_step": (int, type(None)),
    "counters": {"iteration": int, "steps": int, "episodes": int, "test_flag": int,
                 "wall_time": NUMBER},
    "agent_rng": RNG_STATE, "paddle_rng": [list], "sha256": {ARRAYS: str}, "checksum": str,
}
REQUIRED_ARRAYS = ("rollout/obs", "rollout/done")


def checkpointer(output_dir):
    """The run's Checkpointer, checking what this module writes."""
    import os
    return Checkpointer(os.path.join(output_dir, "checkpoints"), STATE_SCHEMA, REQUIRED_ARRAYS)


def capture(agent, envs, eval_env, obs, done, counters):
    """(arrays, state) of a run between two updates."""
    import paddle
    model, optimizer = agent.alg.model, agent.alg.optimizer
    arrays = {f"model/{k}": v.numpy() for k, v in model.state_dict().items()}
    arrays.update(_optimizer_arrays(optimizer, model, "adam"))
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


def restore(agent, envs, eval_env, arrays, state):
    """Put a captured run back; returns (obs, done, counters)."""
    import paddle
    from paddle.base.libpaddle import GeneratorState
    model, optimizer = agent.alg.model, agent.alg.optimizer
    model.set_state_dict({k[len("model/"):]: paddle.to_tensor(v)
                          for k, v in arrays.items() if k.startswith("model/")})
    _restore_optimizer(optimizer, model, "adam", arrays)
    optimizer.set_lr(state["lr"])
    if agent.lr_scheduler:
        agent.lr_scheduler.cur_step = state["lr_step"]
    agent.rng.bit_generator.state = state["agent_rng"]
    generators = []
    for saved in state["paddle_rng"]:
        generator = GeneratorState.__new__(GeneratorState)
        generator.__setstate__(tuple(saved))
        generators.append(generator)
    paddle.set_rng_state(generators)
    envs.set_state([(arrays, state)] * envs.env_num)  # each reads its own env{i} entries
    env_state.restore(eval_env, f"env{envs.env_num}", arrays, state)
    return arrays["rollout/obs"], arrays["rollout/done"], state["counters"]
