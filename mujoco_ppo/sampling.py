"""Running episodes (PARL examples/PPO/train.py: run_train_episode, run_evaluate_episode,
collect_trajectories).

Every observation gets a time-step feature appended (0, 1e-3, 2e-3, ... within the episode),
then is centred and scaled with the scaler's current statistics. Sampled actions are clipped to
[-1, 1] (the policy mean is tanh-bounded but the Gaussian noise is not) and mapped linearly onto
the environment's bounds.
"""
import numpy as np

from .envs import map_action

TIME_STEP = 1e-3


def _run_episode(env, act, scaler):
    """One episode with act(scaled_obs [1, obs_dim]) -> action in [-1, 1], shape [1, act_dim].
    Returns the per-step arrays of scaled obs, actions, rewards and unscaled obs."""
    scale, offset = scaler.get()
    low, high = env.action_space.low, env.action_space.high
    observes, actions, rewards, unscaled = [], [], [], []
    obs, _ = env.reset()
    time_feature = 0.0
    while True:
        raw = np.append(obs, time_feature)[None, :]
        unscaled.append(raw)
        scaled = ((raw - offset) * scale).astype("float32")
        observes.append(scaled)
        action = act(scaled)
        actions.append(action)
        obs, reward, terminated, truncated, _ = env.step(map_action(action[0], low, high))
        rewards.append(reward)
        time_feature += TIME_STEP
        if terminated or truncated:
            break
    return {
        "obs": np.concatenate(observes),
        "actions": np.concatenate(actions).astype("float32"),
        "rewards": np.asarray(rewards, dtype="float64"),
        "unscaled_obs": np.concatenate(unscaled),
    }


def run_train_episode(env, agent, scaler):
    return _run_episode(env, lambda obs: np.clip(agent.policy_sample(obs), -1.0, 1.0), scaler)


def run_evaluate_episode(env, agent, scaler):
    """Undiscounted return of one episode with the deterministic (mean) action."""
    return float(np.sum(_run_episode(env, agent.policy_predict, scaler)["rewards"]))


def collect_trajectories(env, agent, scaler, episodes):
    """``episodes`` whole episodes, then one scaler update from all their unscaled observations."""
    trajectories = [run_train_episode(env, agent, scaler) for _ in range(episodes)]
    scaler.update(np.concatenate([t.pop("unscaled_obs") for t in trajectories]))
    return trajectories
