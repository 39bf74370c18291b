"""Running episodes (PARL examples/PPO/train.py: run_train_episode, run_evaluate_episode,
collect_trajectories), and the EpisodeWorker that runs a share of a batch's episodes: in a child
process of the local sampler (local_workers.py) or as an xparl actor (mujoco_ppo/xparl/).

Every observation gets a time-step feature appended (0, 1e-3, 2e-3, ... within the episode),
then is centred and scaled with the scaler's statistics from before this batch. Sampled actions
are clipped to [-1, 1] (the policy mean is tanh-bounded but the Gaussian noise is not) and mapped
linearly onto the environment's bounds; a discrete action (an index drawn from the categorical
policy) goes to the environment as it is.
"""
import gymnasium as gym
import numpy as np

from ..envs.make import make_env, map_action

TIME_STEP = 1e-3


def run_episode(env, act, scale, offset):
    """One whole episode; ``act(scaled_obs [1, obs_dim])`` -> actions in [-1, 1] of shape [1, k],
    or action indices of shape [1] for a discrete action space. Returns the per-step arrays obs
    (scaled, float32), actions (float32 [T, k], or int64 [T]), rewards and unscaled_obs."""
    discrete = isinstance(env.action_space, gym.spaces.Discrete)
    if discrete:
        start = int(env.action_space.start)  # Gymnasium's Discrete(n, start) has start..start+n-1
        to_env, action_dtype = (lambda a: start + int(a)), "int64"  # noqa: E731
    else:
        low, high = env.action_space.low, env.action_space.high
        to_env, action_dtype = (lambda a: map_action(a, low, high)), "float32"  # noqa: E731
    observes, actions, rewards, unscaled = [], [], [], []
    obs, _ = env.reset()
    time_feature, done = 0.0, False
    while not done:
        raw = np.empty(len(obs) + 1)
        raw[:-1], raw[-1] = obs, time_feature
        scaled = ((raw - offset) * scale).astype("float32")
        action = act(scaled[None, :])[0]
        obs, reward, terminated, truncated, _ = env.step(to_env(action))
        unscaled.append(raw)
        observes.append(scaled)
        actions.append(action)
        rewards.append(reward)
        time_feature += TIME_STEP
        done = terminated or truncated
    return {"obs": np.stack(observes), "actions": np.stack(actions).astype(action_dtype),
            "rewards": np.asarray(rewards, dtype="float64"), "unscaled_obs": np.stack(unscaled)}


def run_train_episodes(env, policy, rng, scale, offset, count):
    """``count`` episodes with actions sampled from ``policy`` (a NumpyPolicy), clipped."""
    act = lambda obs: policy.explore(obs, rng)  # noqa: E731
    return [run_episode(env, act, scale, offset) for _ in range(count)]


def run_evaluate_episode(env, agent, scaler):
    """Undiscounted return of one episode with the deterministic action (mean or arg-max)."""
    scale, offset = scaler.get()
    return float(np.sum(run_episode(env, agent.policy_predict, scale, offset)["rewards"]))


def rng_state(env, rng=None):
    """The random states of an environment and, if given, of a NumPy stream."""
    state = {"env_rng": env.unwrapped.np_random.bit_generator.state}
    if rng is not None:
        state["rng"] = rng.bit_generator.state
    return state


def set_rng_state(env, state, rng=None):
    env.unwrapped.np_random.bit_generator.state = state["env_rng"]
    if rng is not None:
        rng.bit_generator.state = state["rng"]


class EpisodeWorker:
    """One environment and one random stream, running the episodes it is given: the sampling
    worker of a child process (local_workers.py), and the actor of an xparl cluster
    (mujoco_ppo/xparl/actors.py)."""

    def __init__(self, env_id, seed):
        self.env = make_env(env_id, seed)
        self.rng = np.random.default_rng(seed)

    def run(self, policy, scale, offset, count):
        return run_train_episodes(self.env, policy, self.rng, scale, offset, count)

    def get_state(self):
        return rng_state(self.env, self.rng)

    def set_state(self, state):
        set_rng_state(self.env, state, self.rng)

    def close(self):
        self.env.close()


def episode_shares(episodes, n_workers):
    """How many of a batch's episodes each worker runs: worker w runs episodes w, w+W, ..."""
    return [len(range(w, episodes, n_workers)) for w in range(n_workers)]


def merge_batch(per_worker, scaler):
    """The workers' episodes back in episode order, then one scaler update from all their
    unscaled observations."""
    n_workers, episodes = len(per_worker), sum(len(share) for share in per_worker)
    ordered = [per_worker[e % n_workers][e // n_workers] for e in range(episodes)]
    scaler.update(np.concatenate([t.pop("unscaled_obs") for t in ordered]))
    return ordered
