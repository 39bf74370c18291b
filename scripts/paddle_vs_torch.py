"""Does Paddle 3 compute PARL's update? An independent PyTorch version of the spec's learner,
run in lockstep with mujoco_ppo's Paddle agent on the same batches.

    pip install torch==2.13.0   # CPU build; not a dependency of the package
    python scripts/paddle_vs_torch.py [--env HalfCheetah-v2] [--iterations 50]

For each loss type (CLIP, KLPEN): the Paddle agent trains as train.py does (its own policy samples
the batches); a PyTorch learner written from ../shared/spec/parl-mujoco-ppo.md (policy and value
nets, the frozen old policy, 20 full-batch Adam steps on the CLIP or KLPEN objective, the beta
rule, the value buffer with the same shuffles) starts from the same weights and learns from the
same batches, never re-synchronised. After every iteration it records the largest difference
between the two sets of weights (relative to the largest weight), next to the size of that
iteration's update (same measure, Paddle's weights before and after policy_learn), the two
losses and KLs, and both betas. Identical math in float32 starts at rounding level (1e-7) and
drifts slowly (Adam's normalised steps amplify rounding in near-zero gradients) while staying far
below one update; a different gradient, Adam step, KL or beta rule would differ by about an
update from the first iteration on.

It also checks the initialisation against fluid's default for fc layers (Xavier uniform:
U(-a, a), a = sqrt(6 / (fan_in + fan_out)), zero bias).

Writes results/paddle_vs_torch/<env>_<loss>.csv, summary.json and lockstep.png.
"""
# ruff: noqa: E402  (the imports below come after the dependency check)
import argparse
import csv
import json
import os
import sys

# this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CHECKOUT)
from mujoco_ppo.dependencies import require  # the standard library only

# one sentence, not a traceback, where this Python lacks the packages
require("paddle_vs_torch.py", {"torch": "install it with `pip install torch==2.13.0` (the "
                                              "CPU build) into this Python"},
        checkout=CHECKOUT)

import mujoco_ppo  # noqa: F401  (PARL's environment variables, before paddle)

# isort: split
import numpy as np
import paddle
import torch

from mujoco_ppo.envs.make import make_env, resolve_env_id
from mujoco_ppo.parl1.agent import MujocoAgent
from mujoco_ppo.parl1.algorithm import PPO
from mujoco_ppo.parl1.data import build_train_data
from mujoco_ppo.parl1.local_workers import EpisodeSampler
from mujoco_ppo.parl1.model import MujocoModel
from mujoco_ppo.parl1.scaler import Scaler
from mujoco_ppo.run.run_log import write_json_atomic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def paddle_layers(net):
    return [(fc.weight.numpy(), fc.bias.numpy()) for fc in (net.fc1, net.fc2, net.fc3, net.fc4)]


class TorchLearner:
    """The spec's learner in PyTorch: four dense layers per net (x @ W + b, tanh between, tanh on
    the policy means, linear value), logvars of shape [act_dim], two Adam optimisers."""

    def __init__(self, policy_layers, logvars, value_layers, policy_lr, value_lr, kl_targ,
                 epsilon=0.2):
        def params(layers):
            return [torch.tensor(a, requires_grad=True) for pair in layers for a in pair]

        self.policy = params(policy_layers)
        self.logvars = torch.tensor(logvars, requires_grad=True)
        self.value = params(value_layers)
        self.policy_opt = torch.optim.Adam(self.policy + [self.logvars], lr=policy_lr,
                                           betas=(0.9, 0.999), eps=1e-8)
        self.value_opt = torch.optim.Adam(self.value, lr=value_lr, betas=(0.9, 0.999), eps=1e-8)
        self.kl_targ, self.epsilon, self.beta = kl_targ, epsilon, 1.0
        self.buffer = None

    @staticmethod
    def forward(params, x, squash_last):
        for i in range(0, len(params), 2):
            x = x @ params[i] + params[i + 1]
            if i < len(params) - 2 or squash_last:
                x = torch.tanh(x)
        return x

    @staticmethod
    def logprob(actions, means, logvars):
        return -0.5 * logvars.sum() - 0.5 * ((actions - means) ** 2 / logvars.exp()).sum(dim=1)

    def policy_learn(self, obs, actions, advantages, loss_type):
        obs, actions, advantages = (torch.tensor(a) for a in (obs, actions, advantages))
        with torch.no_grad():  # the frozen old policy
            old_means = self.forward(self.policy, obs, True)
            old_logvars = self.logvars.clone()
            old_logp = self.logprob(actions, old_means, old_logvars)
        losses, kls = [], []
        for _ in range(20):
            means = self.forward(self.policy, obs, True)
            logp = self.logprob(actions, means, self.logvars)
            kl = 0.5 * (((means - old_means) ** 2 / self.logvars.exp()).sum(dim=1)
                        + self.logvars.sum() - old_logvars.sum()
                        + (old_logvars - self.logvars).exp().sum() - len(self.logvars)).mean()
            ratio = (logp - old_logp).exp()
            if loss_type == "CLIP":
                clipped = ratio.clamp(1 - self.epsilon, 1 + self.epsilon)
                loss = -torch.minimum(advantages * ratio, advantages * clipped).mean()
            else:
                loss = -(advantages * ratio).mean() + self.beta * kl
            self.policy_opt.zero_grad()
            loss.backward()
            self.policy_opt.step()
            losses.append(loss.item())
            kls.append(kl.item())
        if loss_type == "KLPEN":
            if kls[-1] > 2 * self.kl_targ:
                self.beta *= 1.5
            elif kls[-1] < self.kl_targ / 2:
                self.beta /= 1.5
        return float(np.mean(losses)), float(np.mean(kls))

    def value_learn(self, obs, targets, rng):
        current = len(obs)
        both = (obs, targets) if self.buffer is None else (
            np.concatenate([obs, self.buffer[0]]), np.concatenate([targets, self.buffer[1]]))
        self.buffer = (obs, targets)
        x, y = torch.tensor(both[0]), torch.tensor(both[1])
        for _ in range(10):
            order = torch.tensor(rng.permutation(len(x)))
            for start in range(0, current, 256):
                ids = order[start:start + 256]
                loss = ((self.forward(self.value, x[ids], False)[:, 0] - y[ids]) ** 2).mean()
                self.value_opt.zero_grad()
                loss.backward()
                self.value_opt.step()

    def numpy_policy(self):
        return [p.detach().numpy() for p in self.policy] + [self.logvars.detach().numpy()]

    def numpy_value(self):
        return [p.detach().numpy() for p in self.value]


def max_relative_difference(ours, theirs):
    scale = max(float(np.abs(a).max()) for a in ours)
    return max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs)) / scale


def xavier_check(layers):
    """Largest |w| / a and std(w) / (a / sqrt(3)) over the layers (1 and about 1 for Xavier
    uniform), and the largest |bias|."""
    bounds, stds = [], []
    for weight, _ in layers:
        a = np.sqrt(6.0 / sum(weight.shape))
        bounds.append(np.abs(weight).max() / a)
        stds.append(weight.std() / (a / np.sqrt(3)))
    return {"max_abs_over_bound": float(max(bounds)), "std_over_uniform_std":
            [round(float(s), 3) for s in stds],
            "max_abs_bias": float(max(np.abs(b).max() for _, b in layers))}


def lockstep(env_id, loss_type, iterations, seed):
    paddle.seed(seed)
    env = make_env(env_id, seed)
    obs_dim, act_dim = env.observation_space.shape[0] + 1, env.action_space.shape[0]
    env.close()
    model = MujocoModel(obs_dim, act_dim)
    agent = MujocoAgent(PPO(model, act_dim, model.policy_lr, model.value_lr), loss_type=loss_type,
                        rng=np.random.default_rng(seed))
    init = {"policy": xavier_check(paddle_layers(model.policy_model)),
            "value": xavier_check(paddle_layers(model.value_model))}
    twin = TorchLearner(paddle_layers(model.policy_model), model.policy_model.logvars.numpy(),
                        paddle_layers(model.value_model), model.policy_lr, model.value_lr,
                        agent.kl_targ)
    sampler, scaler, rows = EpisodeSampler(env_id, [seed]), Scaler(obs_dim), []
    try:
        sampler.collect(agent, scaler, 5)  # the scaler's warm-up
        for iteration in range(1, iterations + 1):
            batch = build_train_data(sampler.collect(agent, scaler, 5), agent, 0.995, 0.98)
            obs, actions, advantages, targets = batch
            beta_used = agent.beta
            before = [a for pair in paddle_layers(model.policy_model) for a in pair]
            loss, kl, _ = agent.policy_learn(obs, actions, advantages)
            shuffles = np.random.default_rng()
            shuffles.bit_generator.state = agent.rng.bit_generator.state
            agent.value_learn(obs, targets)
            twin_loss, twin_kl = twin.policy_learn(obs, actions, advantages, loss_type)
            twin.value_learn(obs, targets, shuffles)
            policy = [a for pair in paddle_layers(model.policy_model) for a in pair]
            value = [a for pair in paddle_layers(model.value_model) for a in pair]
            rows.append({
                "iteration": iteration, "steps": len(obs),
                "policy_weights_rel_diff": max_relative_difference(
                    policy + [model.policy_model.logvars.numpy()], twin.numpy_policy()),
                "policy_update_rel": max_relative_difference(policy, before),
                "value_weights_rel_diff": max_relative_difference(value, twin.numpy_value()),
                "paddle_loss": loss, "torch_loss": twin_loss, "paddle_kl": kl, "torch_kl": twin_kl,
                "beta_used": beta_used, "paddle_beta": agent.beta, "torch_beta": twin.beta})
            print(f"{loss_type} it {iteration:3d}: weights differ by "
                  f"{rows[-1]['policy_weights_rel_diff']:.1e} (policy; update "
                  f"{rows[-1]['policy_update_rel']:.1e}) "
                  f"{rows[-1]['value_weights_rel_diff']:.1e} (value); KL {kl:.6f} vs "
                  f"{twin_kl:.6f}; beta {agent.beta:.3f} vs {twin.beta:.3f}")
    finally:
        sampler.close()
    return rows, init


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default="HalfCheetah-v2", help="environment (default: %(default)s)")
    p.add_argument("--iterations", type=int, default=50, help="iterations per loss type")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.join(ROOT, "results", "paddle_vs_torch"))
    args = p.parse_args(argv)
    env_id, _ = resolve_env_id(args.env)
    paddle.set_device("cpu")
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    summary = {"env": env_id, "iterations": args.iterations, "seed": args.seed,
               "versions": {"paddle": paddle.__version__, "torch": torch.__version__}}
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for loss_type in ("CLIP", "KLPEN"):
        rows, init = lockstep(env_id, loss_type, args.iterations, args.seed)
        with open(os.path.join(args.out, f"{env_id}_{loss_type}.csv"), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        summary[loss_type] = {
            "initialisation": init,
            "first_iteration_policy_weights_rel_diff": rows[0]["policy_weights_rel_diff"],
            "max_policy_weights_rel_diff": max(r["policy_weights_rel_diff"] for r in rows),
            "median_policy_update_rel": float(np.median([r["policy_update_rel"] for r in rows])),
            "max_value_weights_rel_diff": max(r["value_weights_rel_diff"] for r in rows),
            "max_kl_rel_diff": max(abs(r["paddle_kl"] - r["torch_kl"]) / abs(r["paddle_kl"])
                                   for r in rows),
            "beta_always_equal": all(abs(r["paddle_beta"] - r["torch_beta"]) < 1e-12
                                     for r in rows),
            "betas": sorted({round(r["paddle_beta"], 6) for r in rows})}
        for key, style, label in (("policy_weights_rel_diff", "-", "policy, Paddle - PyTorch"),
                                  ("value_weights_rel_diff", "--", "value, Paddle - PyTorch"),
                                  ("policy_update_rel", ":", "policy, one update")):
            ax.semilogy([r["iteration"] for r in rows], [r[key] for r in rows], style,
                        label=f"{loss_type}: {label}")
    ax.set_xlabel("iteration (5 episodes each)")
    ax.set_ylabel("max |difference| / max |weight|")
    ax.set_title(f"{env_id}: Paddle 3 agent against a PyTorch learner, same batches")
    ax.legend(fontsize=8)
    fig.savefig(os.path.join(args.out, "lockstep.png"), dpi=120, bbox_inches="tight")
    write_json_atomic(os.path.join(args.out, "summary.json"), summary)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
