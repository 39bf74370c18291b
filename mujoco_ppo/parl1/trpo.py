"""TRPO (Schulman et al. 2015, arXiv:1502.05477): one natural-gradient step per batch, in place of
PPO's 20 Adam steps, on the same model, sampling, scaler, GAE and value function.

With theta_old the policy's parameters (every one, ``logvars`` included), r = pi/pi_old:

    g      = grad mean(A * r)                      at theta_old, where r = 1
    F v    = grad( grad(mean KL(old || new)) . v )  the Hessian of the mean KL at theta_old is the
                                                    Fisher matrix; two backward passes (double
                                                    backpropagation), no matrix is formed;
                                                    (F + damping * I) v is what the solver uses
    x      ~ F^-1 g                                 conjugate gradient, ``cg_iters`` iterations
                                                    (the paper's appendix C)
    step   = sqrt(2 delta / x'Fx) * x               the step whose quadratic KL model is delta
    theta  = theta_old + ratio^k * step             for the first k < ``max_tries`` whose mean(A*r)
                                                    exceeds the old one and whose mean KL <= delta;
                                                    if none does, theta stays theta_old

The value function is PARL's, fitted by the agent with Adam as under PPO.
"""
import numpy as np
import paddle

from .algorithm import PolicyAlgorithm
from .config import DEFAULTS


def conjugate_gradient(matvec, b, iters, residual_tol=1e-10):
    """x with matvec(x) ~ b for a symmetric positive-definite operator, starting from x = 0:
    ``iters`` conjugate-gradient iterations, fewer once the squared residual is below
    ``residual_tol``."""
    x = np.zeros_like(b)
    residual = b.copy()
    direction = b.copy()
    residual_sq = residual @ residual
    for _ in range(iters):
        if residual_sq < residual_tol:
            break
        product = matvec(direction)
        alpha = residual_sq / (direction @ product)
        x += alpha * direction
        residual -= alpha * product
        new_residual_sq = residual @ residual
        direction = residual + (new_residual_sq / residual_sq) * direction
        residual_sq = new_residual_sq
    return x


def _flat(tensors):
    return np.concatenate([t.numpy().ravel() for t in tensors]).astype(np.float64)


class TRPO(PolicyAlgorithm):
    def __init__(self, model, value_lr, max_kl=DEFAULTS.max_kl, cg_iters=DEFAULTS.cg_iters,
                 cg_damping=DEFAULTS.cg_damping, backtrack_ratio=DEFAULTS.ls_backtrack_ratio,
                 max_tries=DEFAULTS.ls_max_tries):
        """model: a MujocoModel; max_kl: the radius delta of the mean KL."""
        super().__init__(model, value_lr)
        self.max_kl = max_kl
        self.cg_iters = cg_iters
        self.cg_damping = cg_damping
        self.backtrack_ratio = backtrack_ratio
        self.max_tries = max_tries

    def _policy_params(self):
        return self.model.policy_model.parameters()

    def _set_policy_params(self, flat):
        offset = 0
        for param in self._policy_params():
            size = int(np.prod(param.shape))
            param.set_value(flat[offset:offset + size].reshape(param.shape).astype(np.float32))
            offset += size

    def surrogate(self, obs, actions, advantages):
        """(mean(A * r), mean KL(old || new)) of the current policy."""
        ratio, kl = self.ratio_and_kl(obs, actions)
        return paddle.mean(advantages * ratio), kl

    def fisher_vector_product(self, obs, actions):
        """v -> (F + damping * I) v at the current parameters, F the Hessian of the batch-mean
        KL(old || new); the KL's gradient graph is built once and differentiated per call."""
        old_outputs, _ = self._old_policy_outputs(obs, actions)
        kl = paddle.mean(self.distribution.kl(old_outputs, self.model.policy(obs)))
        params = self._policy_params()
        grads = paddle.grad(kl, params, create_graph=True)
        flat_grad = paddle.concat([g.reshape([-1]) for g in grads])

        def product(vector):
            grad_dot_v = paddle.sum(flat_grad * paddle.to_tensor(vector.astype(np.float32)))
            return _flat(paddle.grad(grad_dot_v, params, retain_graph=True)) \
                + self.cg_damping * vector
        return product

    def policy_learn(self, obs, actions, advantages):
        """One TRPO step from the synced (old) policy. Returns (loss, kl, step_fraction): the
        surrogate loss -mean(A*r) and the mean KL of the accepted step, and the fraction of the
        full step taken (0 when the line search found none: the policy is unchanged)."""
        params = self._policy_params()
        old_surrogate, _ = self.surrogate(obs, actions, advantages)
        gradient = _flat(paddle.grad(old_surrogate, params))
        old_surrogate = float(old_surrogate)
        fvp = self.fisher_vector_product(obs, actions)
        direction = conjugate_gradient(fvp, gradient, self.cg_iters)
        curvature = direction @ fvp(direction)  # x'Fx, the quadratic model's 2 * KL of x
        theta_old = _flat(params)
        if np.isfinite(curvature) and curvature > 0.0:
            full_step = np.sqrt(2.0 * self.max_kl / curvature) * direction
            for k in range(self.max_tries):
                fraction = self.backtrack_ratio ** k
                self._set_policy_params(theta_old + fraction * full_step)
                with paddle.no_grad():
                    surrogate, kl = map(float, self.surrogate(obs, actions, advantages))
                if kl <= self.max_kl and surrogate > old_surrogate:
                    return -surrogate, kl, fraction
        self._set_policy_params(theta_old)
        return -old_surrogate, 0.0, 0.0
