"""Environments of PARL 2.x's PPO example (examples/PPO/env_utils.py and the wrappers of
parl.env), built on Gymnasium and ale-py; PARL's ParallelEnv is in parallel_env.py.

Atari (PARL's wrap_deepmind, innermost first):
  RecordEpisodeStatistics      full-game return and length in info["episode"] (PARL's MonitorEnv)
  AtariPreprocessing           up to 30 no-op starts, frame skip 4 with the max of the last two
                               frames, 84x84 grey (PARL's NoopResetEnv, MaxAndSkipEnv, WarpFrame)
  EpisodicLife                 a lost life ends the training episode; the game resets only when
                               it is over (PARL's EpisodicLifeEnv; Gymnasium has none; wrappers.py)
  FireReset                    FIRE, then action 2, after every reset (PARL's FireResetEnv)
  TransformReward(sign)        rewards clipped to their sign (PARL's ClipRewardEnv)
  FrameStackObservation(4)     the last 4 frames, shape (4, 84, 84) uint8 (PARL's FrameStack NCHW)
MuJoCo (PARL's wrap_rms): RecordEpisodeStatistics (raw returns), NormalizeObservation and a clip to
±10, the reward divided by the running deviation of the discounted return (gamma 0.99) and a clip
to ±10; that return restarts at every episode end as in PARL (EpisodeNormalizeReward), or at
termination only as in Gymnasium's NormalizeReward (RETURN_RESETS). The evaluation environment
normalises observations with the training statistics, frozen, and its rewards are raw.
Classic control: RecordEpisodeStatistics only.
"""
import warnings

import gymnasium as gym
import numpy as np

from ..envs.make import environment_code
from ..envs.player import play
from ..errors import UserError
from .wrappers import EpisodeNormalizeReward, EpisodicLife, FireReset

try:
    import ale_py
    gym.register_envs(ale_py)  # the ALE/… and …NoFrameskip-v4 ids
except ImportError:  # Atari ids are then unknown ids, refused by resolve_env_id
    ale_py = None

CLIP_OBS = CLIP_REWARD = 10.0  # PARL's VecNormalizeEnv clipob, cliprew
GAMMA = 0.99  # the discount of PARL's reward normalisation (env_utils.GAMMA)
FRAME_SKIP = 4  # Atari frames an agent step takes (PARL's wrap_deepmind)
# --return_reset: when the discounted return that scales MuJoCo rewards restarts from 0
RETURN_RESETS = {"episode_end": EpisodeNormalizeReward,  # PARL's VecNormalizeEnv
                 "termination": gym.wrappers.NormalizeReward}  # Gymnasium's


def _make(env_id, **kwargs):
    """gym.make, with ALE's own frame skip off (AtariPreprocessing skips and max-pools)."""
    spec = gym.spec(env_id.rpartition(":")[2])  # `module:EnvId`: resolve_env_id imported module
    if spec.entry_point == "ale_py.env:AtariEnv" and spec.kwargs.get("frameskip", 1) != 1:
        kwargs["frameskip"] = 1  # ALE/…-v5 skips 4 frames itself, without max-pooling
    try:
        with warnings.catch_warnings(), environment_code(env_id):
            warnings.simplefilter("ignore")  # Gymnasium's "v4 is out of date" notice
            return gym.make(env_id, **kwargs)
    except gym.error.Error as exc:
        raise UserError(f"cannot create {env_id}: {exc}") from None


def env_kind(env_id):
    """'atari', 'mujoco' or 'classic' (which config and model apply); UserError otherwise."""
    env = _make(env_id)
    obs_space, act_space = env.observation_space, env.action_space
    atari = env.spec.entry_point == "ale_py.env:AtariEnv"
    env.close()
    if atari and isinstance(act_space, gym.spaces.Discrete):
        return "atari"
    flat = isinstance(obs_space, gym.spaces.Box) and len(obs_space.shape) == 1
    if flat and isinstance(act_space, gym.spaces.Box) and len(act_space.shape) == 1:
        return "mujoco"
    if flat and isinstance(act_space, gym.spaces.Discrete):
        return "classic"
    raise UserError(f"{env_id} has a {type(obs_space).__name__}{obs_space.shape} observation and "
                    f"a {type(act_space).__name__} action space; --algo parl2 needs Atari images "
                    f"with discrete actions, or a flat observation with discrete or 1-D Box "
                    f"actions.")


def make_env(env_id, kind, evaluation=False, return_reset="episode_end", **make_kwargs):
    """The environment of ``kind`` with PARL's wrappers (module docstring); ``return_reset`` is a
    key of RETURN_RESETS; ``make_kwargs`` go to gym.make (render_mode, ...)."""
    env = gym.wrappers.RecordEpisodeStatistics(_from_zero(_make(env_id, **make_kwargs)))
    if kind == "atari":
        env = gym.wrappers.AtariPreprocessing(env, noop_max=30, frame_skip=FRAME_SKIP, screen_size=84)
        env = EpisodicLife(env)
        if "FIRE" in env.unwrapped.get_action_meanings():
            env = FireReset(env)
        env = gym.wrappers.TransformReward(env, lambda r: float(np.sign(r)))
        env = gym.wrappers.FrameStackObservation(env, 4)
    elif kind == "mujoco":
        env = gym.wrappers.NormalizeObservation(env)
        if evaluation:
            env.update_running_mean = False
        env = gym.wrappers.TransformObservation(
            env, lambda obs: np.clip(obs, -CLIP_OBS, CLIP_OBS).astype(np.float32),
            gym.spaces.Box(-CLIP_OBS, CLIP_OBS, env.observation_space.shape, np.float32))
        if not evaluation:
            env = RETURN_RESETS[return_reset](env, gamma=GAMMA)
            env = gym.wrappers.TransformReward(
                env, lambda r: float(np.clip(r, -CLIP_REWARD, CLIP_REWARD)))
    return env


def _from_zero(env):
    """``env`` taking the actions 0..n-1 that PARL's models output, whatever the first of its
    Discrete(n, start) actions."""
    space = env.action_space
    if not isinstance(space, gym.spaces.Discrete) or space.start == 0:
        return env
    start = int(space.start)
    return gym.wrappers.TransformAction(env, lambda action: start + int(action),
                                        gym.spaces.Discrete(space.n))


def obs_rms(env):
    """The observation statistics of a MuJoCo environment's NormalizeObservation (None for
    other kinds)."""
    while isinstance(env, gym.Wrapper):
        if isinstance(env, gym.wrappers.NormalizeObservation):
            return env.obs_rms
        env = env.env
    return None


def run_evaluate_episodes(agent, eval_env, eval_episodes):
    """Mean raw return of ``eval_episodes`` deterministic episodes (Atari: whole games, over
    the lives that end training episodes), as PARL's run_evaluate_episodes."""
    def whole_game(env):
        while True:  # a lost life ends an episode, not the game that the return is of
            obs, _ = env.reset()
            done = False
            while not done:
                obs, _, terminated, truncated, info = env.step(agent.predict(obs[None])[0])
                done = terminated or truncated
            if "episode" in info:
                return float(info["episode"]["r"])

    return float(np.mean(list(play(eval_env, whole_game, eval_episodes))))
