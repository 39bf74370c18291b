"""A run's model, algorithm and agent built from its flags, in one place: train.py builds them
for training, evaluate.py from a run's config.json, scripts/bench.py for its measurements."""
from .agent import MujocoAgent
from .algorithm import PPO
from .config import with_defaults
from .model import MujocoModel
from .objectives import TRPO as TRPO_LOSS
from .trpo import TRPO


def build_agent(settings, obs_dim, act_dim, discrete=False, rng=None):
    """MujocoAgent over PPO or TRPO (by ``settings["loss_type"]``) over a MujocoModel with a
    Gaussian policy, or a categorical one over ``act_dim`` actions if ``discrete``.
    ``settings``: train.py's flags as a dict; a setting it lacks (a run older than the flag)
    takes its default (config.py)."""
    flags = with_defaults(settings)
    model = MujocoModel(obs_dim, act_dim, discrete=discrete)
    if flags["loss_type"] == TRPO_LOSS:
        alg = TRPO(model, model.value_lr, max_kl=flags["max_kl"], cg_iters=flags["cg_iters"],
                   cg_damping=flags["cg_damping"], backtrack_ratio=flags["ls_backtrack_ratio"],
                   max_tries=flags["ls_max_tries"])
    else:
        alg = PPO(model, act_dim, model.policy_lr, model.value_lr, epsilon=flags["clip_epsilon"])
    return MujocoAgent(alg, kl_targ=flags["kl_targ"], loss_type=flags["loss_type"],
                       beta=flags["beta"], rng=rng)
