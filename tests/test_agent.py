"""MujocoAgent (mujoco_ppo/parl1/agent.py): the β rule, policy_learn's 20 steps and what it
reports, the value buffer and value_learn bit for bit against the loop it replaced, the threaded
value update equal to the serial one."""
import numpy as np
import paddle
import pytest

from mujoco_ppo.parl1.agent import MujocoAgent, adapt_beta, value_minibatches
from mujoco_ppo.parl1.algorithm import PPO
from mujoco_ppo.parl1.model import MujocoModel

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("kl, expected", [
    (0.0061, 1.5),        # above 2 * 0.003: x1.5
    (0.0014, 1 / 1.5),    # below 0.003 / 2: /1.5
    (0.003, 1.0),         # in the band: unchanged
    (0.006, 1.0),         # the band's edges are inside it
    (0.0015, 1.0),
])
def test_beta_rule(kl, expected):
    assert adapt_beta(1.0, kl, 0.003) == pytest.approx(expected)


def test_beta_has_no_bound():
    beta = 1.0
    for _ in range(60):
        beta = adapt_beta(beta, 1.0, 0.003)
    assert beta == pytest.approx(1.5 ** 60)


class RecordingPPO(PPO):
    """The real algorithm, keeping what each call received and returned."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy_calls, self.value_calls = [], []

    def policy_learn(self, obs, actions, advantages, beta=None):
        out = super().policy_learn(obs, actions, advantages, beta)
        self.policy_calls.append((beta, out))
        return out

    def value_learn(self, obs, targets):
        self.value_calls.append((obs.numpy().copy(), targets.numpy().copy()))
        return super().value_learn(obs, targets)


def make_agent(loss_type="KLPEN", kl_targ=0.003, seed=5):
    paddle.seed(seed)
    model = MujocoModel(4, 2)
    alg = RecordingPPO(model, act_dim=2, policy_lr=model.policy_lr, value_lr=model.value_lr)
    return MujocoAgent(alg, kl_targ=kl_targ, loss_type=loss_type,
                       rng=np.random.default_rng(seed))


def policy_batch(n=200):
    rng = np.random.default_rng(7)
    return (rng.normal(size=(n, 4)).astype("float32"),
            rng.uniform(-1, 1, size=(n, 2)).astype("float32"),
            rng.normal(size=n).astype("float32"))


def test_policy_learn_takes_20_steps_and_returns_their_mean_loss_and_kl():
    agent = make_agent("CLIP")
    loss, kl, clip_fraction = agent.policy_learn(*policy_batch())
    calls = agent.alg.policy_calls
    assert len(calls) == 20
    assert all(beta is None for beta, _ in calls)
    stats = np.array([out for _, out in calls])
    assert loss == pytest.approx(stats[:, 0].mean())
    assert kl == pytest.approx(stats[:, 1].mean())
    assert clip_fraction == pytest.approx(stats[:, 2].mean())
    assert stats[0, 1] == pytest.approx(0.0, abs=1e-7)  # the first step starts at the old policy
    assert agent.beta == 1.0  # CLIP never touches beta


def test_beta_follows_the_kl_of_the_last_step_not_the_mean():
    probe = make_agent()
    probe.policy_learn(*policy_batch())
    kls = np.array([out[1] for _, out in probe.alg.policy_calls])
    last, mean = kls[-1], kls.mean()
    assert last > mean  # KL grows from 0 as the policy moves away from the frozen copy
    # A target whose upper edge 2*targ lies between the mean and the last KL:
    targ = (last + mean) / 4
    agent = make_agent(kl_targ=targ)
    agent.policy_learn(*policy_batch())
    assert [out[1] for _, out in agent.alg.policy_calls][-1] == pytest.approx(last)
    assert agent.beta == pytest.approx(1.5)  # the mean KL alone would have left it at 1.0
    assert all(beta == 1.0 for beta, _ in agent.alg.policy_calls)  # beta changes only after


def test_value_minibatches_stop_at_the_current_batch_size():
    ids = value_minibatches(current_size=600, combined_size=1000, batch_size=256,
                            rng=np.random.default_rng(0))
    assert [len(b) for b in ids] == [256, 256, 256]  # starts 0, 256, 512 < 600
    assert len(np.unique(np.concatenate(ids))) == 768
    assert np.concatenate(ids).max() >= 600  # drawn from the whole combined set
    first = value_minibatches(300, 300, 256, np.random.default_rng(0))
    assert [len(b) for b in first] == [256, 44]


def test_value_learn_trains_on_the_previous_batch_too():
    agent = make_agent()
    obs1 = np.full((600, 4), 1.0, "float32")
    obs2 = np.full((300, 4), 2.0, "float32")
    agent.value_learn(obs1, np.ones(600, "float32"))
    first = agent.alg.value_calls
    assert [len(o) for o, _ in first] == [256, 256, 88] * 10  # no previous batch yet
    agent.alg.value_calls = []
    agent.value_learn(obs2, 2 * np.ones(300, "float32"))
    second = agent.alg.value_calls
    assert [len(o) for o, _ in second] == [256, 256] * 10  # 900 rows, starts 0 and 256 < 300
    rows = np.concatenate([o for o, _ in second])
    targets = np.concatenate([v for _, v in second])
    assert set(np.unique(rows[:, 0])) == {1.0, 2.0}  # both batches are drawn on
    np.testing.assert_array_equal(targets, rows[:, 0])  # rows keep their own targets
    assert agent.value_learn_buffer[0] is obs2  # now the previous batch


def test_unknown_loss_type_is_refused():
    model = MujocoModel(4, 2)
    alg = PPO(model, act_dim=2, policy_lr=1e-3, value_lr=1e-3)
    with pytest.raises(ValueError, match="loss_type"):
        MujocoAgent(alg, loss_type="PPO2")


@pytest.mark.parametrize("loss_type, betas", [("KLFIXED", {3.0}), ("NONE", {0.0}),
                                               ("CLIP", {None})])
def test_the_other_objectives_pass_a_fixed_beta(loss_type, betas):
    paddle.seed(5)
    model = MujocoModel(4, 2)
    alg = RecordingPPO(model, act_dim=2, policy_lr=model.policy_lr, value_lr=model.value_lr)
    agent = MujocoAgent(alg, kl_targ=1e-9, loss_type=loss_type, beta=3.0)
    for _ in range(2):
        agent.policy_learn(*policy_batch())
    assert {beta for beta, _ in alg.policy_calls} == betas
    assert agent.beta == 3.0  # only KLPEN adapts it (kl_targ 1e-9 would have raised it)


def reference_value_learn(agent, optimizer, obs, targets):
    """value_learn written plainly, as it was before its minibatches were gathered in one
    index_select: per minibatch, index the rows, one Adam step, one float() per step."""
    current_size = len(obs)
    previous = agent.value_learn_buffer
    train_obs = obs if previous is None else np.concatenate([obs, previous[0]])
    train_targets = targets if previous is None else np.concatenate([targets, previous[1]])
    agent.value_learn_buffer = (obs, targets)
    obs_t, targets_t = paddle.to_tensor(train_obs), paddle.to_tensor(train_targets)
    value_model = agent.alg.model.value_model
    losses = []
    for _ in range(agent.value_learn_times):
        for ids in value_minibatches(current_size, len(train_obs), agent.value_batch_size,
                                     agent.rng):
            ids_t = paddle.to_tensor(ids)
            loss = paddle.mean(paddle.square(value_model.value(obs_t[ids_t]) - targets_t[ids_t]))
            optimizer.clear_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss))
    return float(np.mean(losses))


def test_value_learn_is_the_reference_minibatch_loop_to_float_tolerance():
    """Same permutations, same minibatches, same Adam updates: after three batches of 10 epochs
    (the first without a previous batch, ragged last minibatches) the weights and Adam's moments
    equal the per-minibatch loop's bit for bit (earlier runs repeat), and the mean loss to 1e-6."""
    def agent_on(seed_model=3):
        paddle.seed(seed_model)
        model = MujocoModel(18, 6)
        alg = PPO(model, act_dim=6, policy_lr=model.policy_lr, value_lr=model.value_lr)
        return MujocoAgent(alg, rng=np.random.default_rng(11))
    fast, slow = agent_on(), agent_on()
    slow_adam = paddle.optimizer.Adam(learning_rate=slow.alg.model.value_lr,
                                      parameters=slow.alg.model.value_model.parameters())
    data = np.random.default_rng(2)
    for size in (1000, 1300, 700):
        obs = data.normal(size=(size, 18)).astype("float32")
        targets = data.normal(size=size).astype("float32") + obs[:, 0]
        assert fast.value_learn(obs, targets) == pytest.approx(
            reference_value_learn(slow, slow_adam, obs, targets), rel=1e-5)
    fast_params = fast.alg.model.value_model.parameters()
    slow_params = slow.alg.model.value_model.parameters()
    assert any(np.abs(p.numpy()).max() > 0 for p in fast_params[1::2])  # biases did move
    for p_fast, p_slow in zip(fast_params, slow_params):
        np.testing.assert_array_equal(p_fast.numpy(), p_slow.numpy())
    fast_state = sorted(v.numpy().ravel()[0] for k, v in
                        fast.alg.value_optimizer.state_dict().items() if "moment2" in k)
    slow_state = sorted(v.numpy().ravel()[0] for k, v in
                        slow_adam.state_dict().items() if "moment2" in k)
    np.testing.assert_array_equal(fast_state, slow_state)


def test_value_update_in_a_thread_is_the_serial_one_draw_for_draw():
    """start/finish_value_learn with actions drawn from the agent's rng meanwhile (as worker 0
    does while sampling the next batch) = value_learn, then the same draws: same weights, same
    loss, same draws."""
    serial, overlapped = make_agent(seed=4), make_agent(seed=4)
    data = np.random.default_rng(8)
    for size in (700, 500):
        obs = data.normal(size=(size, 4)).astype("float32")
        targets = data.normal(size=size).astype("float32")
        serial_loss = serial.value_learn(obs, targets)
        serial_draws = serial.rng.standard_normal(1000)
        overlapped.start_value_learn(obs, targets)
        overlapped_draws = overlapped.rng.standard_normal(1000)
        assert overlapped.finish_value_learn() == serial_loss
        np.testing.assert_array_equal(overlapped_draws, serial_draws)
    for p_serial, p_overlapped in zip(serial.alg.model.value_model.parameters(),
                                      overlapped.alg.model.value_model.parameters()):
        np.testing.assert_array_equal(p_overlapped.numpy(), p_serial.numpy())
