"""TRPO (mujoco_ppo/parl1/trpo.py): the conjugate-gradient solver, the Fisher-vector product
against an explicit Fisher matrix, the KL radius and the line search, the flags, checkpoints."""
import numpy as np
import paddle
import pytest

from helpers import read_progress, run_train, without_timings

from mujoco_ppo.errors import UserError
from mujoco_ppo.parl1.build import build_agent
from mujoco_ppo.parl1.flags import parse_args
from mujoco_ppo.parl1.model import MujocoModel
from mujoco_ppo.parl1.trpo import TRPO, conjugate_gradient


def t(x, dtype="float32"):
    return paddle.to_tensor(np.asarray(x, dtype=dtype))


@pytest.mark.unit
def test_conjugate_gradient_solves_a_2x2_system_by_hand():
    # [[4, 1], [1, 3]] x = [1, 2]  =>  x = [1/11, 7/11]; CG is exact in 2 iterations.
    matrix = np.array([[4.0, 1.0], [1.0, 3.0]])
    x = conjugate_gradient(lambda v: matrix @ v, np.array([1.0, 2.0]), iters=2)
    np.testing.assert_allclose(x, [1 / 11, 7 / 11], rtol=1e-12)


@pytest.mark.unit
def test_conjugate_gradient_on_a_random_spd_system():
    rng = np.random.default_rng(0)
    root = rng.normal(size=(8, 8))
    matrix = root @ root.T + 0.5 * np.eye(8)
    b = rng.normal(size=8)
    x = conjugate_gradient(lambda v: matrix @ v, b, iters=8)
    np.testing.assert_allclose(x, np.linalg.solve(matrix, b), rtol=1e-6, atol=1e-9)
    # fewer iterations than dimensions: an approximation that already reduces the residual
    x3 = conjugate_gradient(lambda v: matrix @ v, b, iters=3)
    assert np.linalg.norm(matrix @ x3 - b) < np.linalg.norm(b)


def _jacobian(outputs, params):
    """d outputs[i, j] / d params, one first-order backward pass per entry: [N, k, n_params]."""
    n, k = outputs.shape
    rows = np.zeros((n, k, sum(int(np.prod(p.shape)) for p in params)))
    for i in range(n):
        for j in range(k):
            grads = paddle.grad(outputs[i, j], params, retain_graph=True, allow_unused=True)
            rows[i, j] = np.concatenate([
                (g.numpy() if g is not None else np.zeros(p.shape)).ravel()
                for g, p in zip(grads, params)])
    return rows


def explicit_fisher(model, obs):
    """The Fisher matrix of the mean KL written out, without double backpropagation:
    mean_i J_i' M_i J_i over samples, with J_i the Jacobian of the network's outputs and M_i the
    Fisher matrix of the distribution in its own coordinates: diag(1/var) for Gaussian means,
    1/2 for each logvar; diag(p) - p p' for categorical logits."""
    params = model.policy_model.parameters()
    outputs = model.policy(obs)
    n = obs.shape[0]
    if model.distribution.discrete:
        jac = _jacobian(outputs[0], params)
        probs = paddle.nn.functional.softmax(outputs[0], axis=1).numpy().astype(np.float64)
        return sum(jac[i].T @ (np.diag(probs[i]) - np.outer(probs[i], probs[i])) @ jac[i]
                   for i in range(n)) / n
    means, logvars = outputs
    jac = _jacobian(means, params)
    inv_var = np.exp(-logvars.numpy().astype(np.float64))
    fisher = sum(jac[i].T @ np.diag(inv_var) @ jac[i] for i in range(n)) / n
    # logvars are parameters themselves: their block is 1/2 * I (d2/dl2 of 1/2 e^(l_old - l))
    index = next(i for i, p in enumerate(params) if p is model.policy_model.logvars)
    offset = sum(int(np.prod(p.shape)) for p in params[:index])
    block = slice(offset, offset + logvars.shape[0])
    fisher[block, block] += 0.5 * np.eye(logvars.shape[0])
    return fisher


@pytest.mark.unit
@pytest.mark.parametrize("discrete", [False, True])
def test_fisher_vector_product_equals_the_explicit_fisher_matrix(discrete):
    paddle.seed(3)
    model = MujocoModel(3, 2, discrete=discrete)
    alg = TRPO(model, model.value_lr, cg_damping=0.0)
    alg.sync_old_policy()
    rng = np.random.default_rng(3)
    obs = t(rng.normal(size=(5, 3)))
    actions = t(rng.integers(0, 2, size=5), "int64") if discrete else t(rng.normal(size=(5, 2)))
    fisher = explicit_fisher(model, obs)
    product = alg.fisher_vector_product(obs, actions)
    for _ in range(3):
        v = rng.normal(size=fisher.shape[0])
        np.testing.assert_allclose(product(v), fisher @ v, rtol=2e-4,
                                   atol=2e-4 * np.abs(fisher @ v).max())
    damped = TRPO(model, model.value_lr, cg_damping=0.1)
    damped.sync_old_policy()
    v = rng.normal(size=fisher.shape[0])
    np.testing.assert_allclose(damped.fisher_vector_product(obs, actions)(v), fisher @ v + 0.1 * v,
                               rtol=2e-4, atol=2e-4 * np.abs(fisher @ v).max())


def policy_batch(discrete, seed=0, n=64):
    rng = np.random.default_rng(seed)
    obs = t(rng.normal(size=(n, 4)))
    actions = (t(rng.integers(0, 3, size=n), "int64") if discrete
               else t(np.clip(rng.normal(size=(n, 2)), -1, 1)))
    advantages = rng.normal(size=n)
    return obs, actions, t((advantages - advantages.mean()) / advantages.std())


def make_trpo(discrete, cls=TRPO, **kwargs):
    paddle.seed(7)
    model = MujocoModel(4, 3 if discrete else 2, discrete=discrete)
    alg = cls(model, model.value_lr, **kwargs)
    alg.sync_old_policy()
    return alg


def flat_policy(alg):
    return np.concatenate([p.numpy().ravel() for p in alg.model.policy_model.parameters()])


@pytest.mark.unit
@pytest.mark.parametrize("discrete", [False, True])
def test_an_accepted_step_stays_in_the_kl_radius_and_improves_the_surrogate(discrete):
    alg = make_trpo(discrete, max_kl=0.01)
    obs, actions, advantages = policy_batch(discrete)
    with paddle.no_grad():
        old_surrogate = float(alg.surrogate(obs, actions, advantages)[0])
    before = flat_policy(alg)
    loss, kl, fraction = alg.policy_learn(obs, actions, advantages)
    assert fraction > 0.0
    with paddle.no_grad():
        surrogate, new_kl = map(float, alg.surrogate(obs, actions, advantages))
    assert loss == pytest.approx(-surrogate) and kl == pytest.approx(new_kl)
    assert 0.0 < kl <= 0.01
    assert surrogate > old_surrogate
    assert not np.array_equal(before, flat_policy(alg))
    if not discrete:  # every policy parameter moves, logvars included
        assert not np.allclose(alg.model.policy_model.logvars.numpy(), -1.0)


class OverconfidentTRPO(TRPO):
    """TRPO whose curvature is underestimated 10^4 times, so that the full step's KL is about
    10^4 times the radius: the line search has to shrink it about 100 times."""

    def fisher_vector_product(self, obs, actions):
        product = super().fisher_vector_product(obs, actions)
        return lambda v: 1e-4 * product(v)


@pytest.mark.unit
def test_a_step_that_breaks_the_radius_is_backtracked():
    alg = make_trpo(False, cls=OverconfidentTRPO, max_kl=0.01, backtrack_ratio=0.5, max_tries=10)
    _, kl, fraction = alg.policy_learn(*policy_batch(False))
    assert 0.0 < fraction <= 0.5 ** 6  # the full step and at least the next five were refused
    assert 0.0 < kl <= 0.01


@pytest.mark.unit
def test_when_every_try_fails_no_step_is_taken():
    alg = make_trpo(False, cls=OverconfidentTRPO, max_kl=0.01, backtrack_ratio=0.5, max_tries=3)
    obs, actions, advantages = policy_batch(False)
    with paddle.no_grad():
        old_surrogate = float(alg.surrogate(obs, actions, advantages)[0])
    before = flat_policy(alg)
    loss, kl, fraction = alg.policy_learn(obs, actions, advantages)
    assert (fraction, kl) == (0.0, 0.0)
    assert loss == pytest.approx(-old_surrogate)
    np.testing.assert_array_equal(flat_policy(alg), before)


@pytest.mark.unit
def test_zero_advantages_take_no_step():
    alg = make_trpo(True)
    obs, actions, _ = policy_batch(True)
    before = flat_policy(alg)
    assert alg.policy_learn(obs, actions, t(np.zeros(64)))[2] == 0.0
    np.testing.assert_array_equal(flat_policy(alg), before)


@pytest.mark.unit
def test_agent_takes_one_trpo_step_and_no_clip_fraction():
    paddle.seed(2)
    agent = build_agent({"loss_type": "TRPO", "max_kl": 0.02}, 4, 2, rng=np.random.default_rng(0))
    obs, actions, advantages = (x.numpy() for x in policy_batch(False))
    loss, kl, clip_fraction = agent.policy_learn(obs, actions, advantages)
    assert clip_fraction is None and 0.0 < kl <= 0.02 and agent.step_fraction > 0.0
    assert not hasattr(agent.alg, "policy_optimizer")  # no Adam on the policy


@pytest.mark.unit
@pytest.mark.parametrize("flag, value, phrase", [
    ("--max_kl", "0", "--max_kl must be a positive number"),
    ("--cg_iters", "0", "--cg_iters must be at least 1"),
    ("--cg_damping", "-1", "--cg_damping must be a non-negative number"),
    ("--ls_backtrack_ratio", "1", "--ls_backtrack_ratio must be in (0, 1)"),
    ("--ls_max_tries", "0", "--ls_max_tries must be at least 1"),
    ("--cg_iters", "1e300", "--cg_iters must be at most 1,000, got 1.00e.300"),
    ("--ls_max_tries", "1001", "--ls_max_tries must be at most 1,000, got 1,001"),
])
def test_bad_trpo_flags_are_refused(flag, value, phrase):
    with pytest.raises(UserError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        parse_args(["--loss_type", "TRPO", flag, value])


@pytest.mark.unit
def test_trpo_flag_defaults():
    args = parse_args(["--loss_type", "trpo"])
    assert (args.loss_type, args.max_kl, args.cg_iters, args.cg_damping,
            args.ls_backtrack_ratio, args.ls_max_tries) == ("TRPO", 0.01, 10, 0.1, 0.5, 10)


RUN = ["--env", "CartPole-v1", "--loss_type", "TRPO", "--seed", 3, "--test_every_steps", 500,
       "--num_workers", 2, "--episodes_per_batch", 4, "--checkpoint_every", 3]


@pytest.mark.e2e
def test_trpo_run_stopped_and_resumed_equals_the_uninterrupted_one(tmp_path):
    """Checkpoints of a TRPO run with a categorical policy (no policy Adam, no logvars)."""
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert run_train(*RUN, "--train_total_steps", 3000, "--output_dir", whole).returncode == 0
    assert run_train(*RUN, "--train_total_steps", 1500, "--output_dir", part).returncode == 0
    proc = run_train("--resume", part, "--train_total_steps", 3000)
    assert proc.returncode == 0, proc.stderr
    rows = read_progress(whole)
    assert without_timings(read_progress(part)) == without_timings(rows)
    assert all(r["line_search_failures"] == "0" for r in rows)
    assert all(r["clip_fraction"] == "" for r in rows)


@pytest.mark.unit
def test_grid_runner_takes_trpo_with_its_max_kl_values():
    import argparse
    import os

    from mujoco_ppo.analysis.results import group_by_setting
    from mujoco_ppo.grid.plan import grid_runs, load_grid

    grid = load_grid(argparse.Namespace(
        config=None, env=["Hopper-v2"], loss_type=["CLIP", "TRPO"], clip_epsilon=None,
        kl_targ=None, beta=None, max_kl=[0.01, 0.02], seeds=[0], steps=1e6, jobs=None,
        train_args=None))
    runs = dict(grid_runs(grid))
    assert sorted(runs) == [os.path.join("Hopper-v2", s, "seed0")
                            for s in ("CLIP_clip_epsilon0.2", "TRPO_max_kl0.01", "TRPO_max_kl0.02")]
    assert runs[os.path.join("Hopper-v2", "TRPO_max_kl0.02", "seed0")] == [
        "--env", "Hopper-v2", "--loss_type", "TRPO", "--max_kl", "0.02", "--seed", "0"]
    # aggregate tells the two radii apart, and labels them by max_kl only
    fake = [{"config": {"env_id": "Hopper-v4", "args": {"loss_type": lt, "max_kl": kl}}}
            for lt, kl in [("TRPO", 0.01), ("TRPO", 0.02), ("CLIP", 0.01)]]
    _, labels = group_by_setting(fake)
    assert sorted(labels.values()) == ["Hopper-v4 CLIP", "Hopper-v4 TRPO max_kl=0.01",
                                       "Hopper-v4 TRPO max_kl=0.02"]


@pytest.mark.unit
def test_the_line_search_count_goes_through_a_checkpoint_and_nothing_else_does():
    """TRPO's count is PARL 1.x's own counter: state.json holds it beside the shared ones, a
    resumed run reads it back, a PPO run's state has no such key, and a key no RunKind names is
    not carried into the next checkpoint."""
    from mujoco_ppo.parl1.train_loop import RUNS
    from mujoco_ppo.run.counters import Counters

    trpo = Counters(iteration=3, steps=300, episodes=7, next_evaluation=1, wall_time=2.5,
                    algorithm_counts={"line_search_failures": 2})
    state = trpo.to_state()
    assert state == {"iteration": 3, "steps": 300, "episodes": 7, "test_flag": 1,
                     "wall_time": 2.5, "line_search_failures": 2}
    assert Counters.from_state(state, RUNS.algorithm_counts) == trpo
    assert "line_search_failures" not in Counters(iteration=3).to_state()
    assert Counters.from_state({**state, "stray": 9}, RUNS.algorithm_counts).to_state() == state
    assert Counters.from_state(state).algorithm_counts == {}
