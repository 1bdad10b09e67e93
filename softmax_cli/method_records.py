"""The registry's table: the records of every mapping and every loss.

:data:`MAPPINGS` (:class:`~softmax_cli.records.Mapping` records) and :data:`LOSSES`
(:class:`~softmax_cli.records.Loss` records, by name), with the parameters they take.
:mod:`softmax_cli.registry` looks them up, and adds and removes records at run time;
import them from there.
"""

from __future__ import annotations

from . import derivative_forms, exp_family, losses, params, sparse, variants
from .records import ELEMENTWISE, LOG_DISTRIBUTION, SCALAR, Loss, Mapping, Param

__all__ = ["LOSSES", "MAPPINGS"]

_ALPHA = Param(
    "alpha", float, 1.5, "entmax α ≥ 1 (1 = softmax, 2 = sparsemax)", "--alpha", params.check_alpha
)
_TOP_K = Param("k", int, None, "keep the k largest logits", "--top-k", params.check_top_k)
_TOP_P = Param(
    "p", float, None, "keep the smallest set with softmax mass ≥ p", "--top-p", params.check_top_p
)
_ORDER = Param("order", int, 2, "even Taylor order k ≥ 2", "--order", params.check_order)
_NOISE = Param(
    "noise",
    str,
    "normal",
    "perturbation noise",
    "--noise",
    params.check_noise,
    choices=params.NOISES,
)
_SEED = Param(
    "seed", int, None, "random seed (omit for fresh randomness)", "--seed", params.check_seed
)

_EXP = "softmax_cli.oracle.exp_family"
_COND = "softmax_cli.analysis.compare.conditioning"
_TRACE = "softmax_cli.analysis.compare.traces"
_SPARSE = "softmax_cli.oracle.sparse"
_VARIANTS = "softmax_cli.oracle.variants"

MAPPINGS: tuple[Mapping, ...] = (
    Mapping(
        "softmax",
        exp_family.softmax,
        "exp(x/τ) normalised; accurate to a few ULP",
        naive=exp_family.softmax_naive,
        shifted=exp_family.softmax_shifted,
        oracle=f"{_EXP}:softmax",
        derivative=derivative_forms.softmax_form,
        condition=f"{_COND}:softmax",
        log_probs=exp_family.log_softmax,
        fit_loss=("ce", {}),
        traces={
            "naive": ("exp(x) / Σ exp(x)", f"{_TRACE}:softmax_naive"),
            "shifted": ("exp(x − m) / Σ exp(x − m), m = max x", f"{_TRACE}:softmax_shifted"),
            "accurate": ("t / (1 + r), r = Σ t but the max's 1", f"{_TRACE}:softmax_accurate"),
        },
    ),
    Mapping(
        "log-softmax",
        exp_family.log_softmax,
        "log of softmax, x/τ − LSE(x/τ), with log1p",
        output=LOG_DISTRIBUTION,
        aliases=("log_softmax", "logsoftmax"),
        naive=exp_family.log_softmax_naive,
        shifted=exp_family.log_softmax_shifted,
        oracle=f"{_EXP}:log_softmax",
        derivative=derivative_forms.log_softmax_form,
        condition=f"{_COND}:log_softmax",
        traces={
            "naive": ("log(exp(x) / Σ exp(x))", f"{_TRACE}:log_softmax_naive"),
            "shifted": ("(x − m) − log Σ exp(x − m)", f"{_TRACE}:log_softmax_shifted"),
            "accurate": (
                "(q − log1p(r)) + e, r = Σ t but the max's 1",
                f"{_TRACE}:log_softmax_accurate",
            ),
        },
    ),
    Mapping(
        "logsumexp",
        exp_family.logsumexp,
        "τ·log Σ exp(x/τ): the smooth maximum",
        output=SCALAR,
        aliases=("lse",),
        naive=exp_family.logsumexp_naive,
        shifted=exp_family.logsumexp_shifted,
        oracle=f"{_EXP}:logsumexp",
        shift_invariant=False,
        derivative=derivative_forms.logsumexp_form,
        condition=f"{_COND}:logsumexp",
        traces={
            "naive": ("log Σ exp(x)", f"{_TRACE}:logsumexp_naive"),
            "shifted": ("m + log Σ exp(x − m)", f"{_TRACE}:logsumexp_shifted"),
            "accurate": ("m + log1p(r), r = Σ t but the max's 1", f"{_TRACE}:logsumexp_accurate"),
        },
    ),
    Mapping(
        "soft-max",
        exp_family.soft_max,
        "softmax(x/τ)ᵀx: a smooth maximum ≤ max x",
        output=SCALAR,
        aliases=("soft_max",),
        oracle=f"{_EXP}:soft_max",
        shift_invariant=False,
        derivative=derivative_forms.soft_max_form,
    ),
    Mapping(
        "sparsemax",
        sparse.sparsemax,
        "Euclidean projection onto the simplex: exact zeros",
        oracle=f"{_SPARSE}:sparsemax",
        sparse=True,
        derivative=derivative_forms.sparsemax_form,
        fit_loss=("sparsemax", {}),
    ),
    Mapping(
        "entmax15",
        sparse.entmax15,
        "1.5-entmax, exact sort-based solution",
        aliases=("entmax-1.5",),
        oracle=f"{_SPARSE}:entmax15",
        sparse=True,
        derivative=derivative_forms.entmax15_form,
        fit_loss=("entmax", {"alpha": 1.5}),
    ),
    Mapping(
        "entmax",
        sparse.entmax_bisect,
        "α-entmax by bisection to the dtype's precision",
        params=(_ALPHA,),
        aliases=("entmax-alpha", "entmax_bisect"),
        oracle=f"{_SPARSE}:entmax",
        sparse=True,
        derivative=derivative_forms.entmax_form,
        example={"alpha": 1.3},
        fit_loss=("entmax", {}),
    ),
    Mapping(
        "sparse-softmax",
        sparse.sparse_softmax,
        "softmax over the top-k logits or the top-p nucleus, 0 elsewhere",
        params=(_TOP_K, _TOP_P),
        aliases=("sparse_softmax", "top-k", "top-p"),
        oracle=f"{_SPARSE}:sparse_softmax",
        sparse=True,
        derivative=derivative_forms.sparse_softmax_form,
        example={"k": 2},
    ),
    Mapping(
        "taylor",
        variants.taylor_softmax,
        "Taylor softmax: Σ_{m≤k} x^m/m! normalised; heavier tails",
        params=(_ORDER,),
        aliases=("taylor-softmax", "taylor_softmax"),
        oracle=f"{_VARIANTS}:taylor_softmax",
        shift_invariant=False,
        monotone=False,
        derivative=derivative_forms.taylor_form,
    ),
    Mapping(
        "sigsoftmax",
        variants.sigsoftmax,
        "exp(x)·σ(x) normalised (Kanai et al. 2018)",
        oracle=f"{_VARIANTS}:sigsoftmax",
        shift_invariant=False,
        derivative=derivative_forms.sigsoftmax_form,
    ),
    Mapping(
        "perturbmax",
        variants.perturbmax,
        "P[argmax(x + noise) = i], by deterministic quadrature",
        params=(_NOISE,),
        aliases=("perturb-max",),
        oracle=f"{_VARIANTS}:perturbmax",
        derivative=derivative_forms.perturbmax_form,
        oracle_ulp=1e6,  # quadrature to |error| ≤ 1e-12 (variants.PERTURBMAX_TOLERANCE)
    ),
    Mapping(
        "gumbel-softmax",
        variants.gumbel_softmax,
        "softmax((x + Gumbel noise)/τ): a seeded random relaxation",
        params=(_SEED,),
        aliases=("gumbel_softmax",),
        oracle=f"{_VARIANTS}:gumbel_softmax",
        monotone=False,
        stochastic=True,
        example={"seed": 0},
    ),
    Mapping(
        "sigmoid",
        exp_family.sigmoid,
        "logistic function, elementwise: softmax([z, 0])[0]",
        output=ELEMENTWISE,
        aliases=("logistic",),
        oracle=f"{_EXP}:sigmoid",
        shift_invariant=False,
        derivative=derivative_forms.sigmoid_form,
    ),
    Mapping(
        "argmax",
        exp_family.hardmax,
        "one-hot of the maximum, ties shared: the τ → 0 limit",
        aliases=("hardmax", "onehot"),
        oracle=f"{_EXP}:hardmax",
        sparse=True,
        derivative=derivative_forms.hardmax_form,
    ),
)

_SMOOTHING = Param(
    "label_smoothing",
    float,
    0.0,
    "ε in [0, 1]: target (1−ε)·onehot + ε/n",
    "--label-smoothing",
    losses.check_smoothing,
)
_SCALE = Param("scale", float, 30.0, "s > 0: the logits are s·(c − m·onehot)", "--scale",
               losses.check_scale)  # fmt: skip
_MARGIN = Param("margin", float, 0.35, "the additive margin m", "--margin", losses.check_margin)

_LOSS_ORACLE = "softmax_cli.oracle.losses"

LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "ce",
            losses.cross_entropy,
            "softmax",
            "cross-entropy LSE(x/τ) − x_t/τ",
            "(p − y)/τ, y = (1−ε)·onehot(t) + ε/n",
            f"{_LOSS_ORACLE}:cross_entropy",
            params=(_SMOOTHING,),
            aliases=("cross-entropy", "cross_entropy", "crossentropy", "xent"),
            title="cross-entropy",
            naive=losses.cross_entropy_naive,
            shifted=losses.cross_entropy_shifted,
            condition=f"{_COND}:cross_entropy",
            traces={
                "naive": ("−log(exp(x_t) / Σ exp(x))", f"{_TRACE}:cross_entropy_naive"),
                "shifted": (
                    "−((x_t − m) − log Σ exp(x − m))",
                    f"{_TRACE}:cross_entropy_shifted",
                ),
                "accurate": (
                    "−((q_t − log1p(r)) + e_t), r = Σ t but the max's 1",
                    f"{_TRACE}:cross_entropy_accurate",
                ),
            },
            example={"label_smoothing": 0.1},
        ),
        Loss(
            "neg-prob",
            losses.neg_prob,
            "softmax",
            "−p_t, a smooth accuracy",
            "−p_t·(onehot(t) − p)/τ",
            f"{_LOSS_ORACLE}:neg_prob",
            aliases=("neg_prob",),
        ),
        Loss(
            "am-softmax",
            losses.am_softmax,
            "softmax",
            "additive-margin softmax on cosines: CE of s·(c − m·onehot(t))",
            "s·(p − onehot(t))",
            f"{_LOSS_ORACLE}:am_softmax",
            params=(_SCALE, _MARGIN),
            temperature=False,
            aliases=("am_softmax",),
            example={"scale": 8.0, "margin": 0.2},
        ),
        Loss(
            "sparsemax",
            losses.sparsemax_loss,
            "sparsemax",
            "sparsemax loss ½ − z_t + Σ_S ½(z_i² − λ²)",
            "(p − onehot(t))/τ",
            f"{_LOSS_ORACLE}:sparsemax_loss",
            aliases=("sparsemax_loss",),
            title="sparsemax-loss",
            relative=False,
        ),
        Loss(
            "entmax",
            losses.entmax_loss,
            "entmax",
            "entmax Fenchel–Young loss (p − onehot)ᵀz + H_α(p)",
            "(p − onehot(t))/τ",
            f"{_LOSS_ORACLE}:entmax_loss",
            params=(_ALPHA,),
            aliases=("entmax_loss",),
            title="entmax-loss",
            example={"alpha": 1.3},
            relative=False,
        ),
    )
}
