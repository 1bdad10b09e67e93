"""Running a registry mapping over blocks of rows: what ``softmax compute`` computes."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import registry

__all__ = ["method_columns", "output_columns", "row_params", "run_mapping"]

#: (mapping, its checked parameters) for each method of a run, in the order given
Methods = list[tuple[registry.Mapping, dict[str, Any]]]


def run_mapping(
    mapping: registry.Mapping,
    values: np.ndarray,
    *,
    axis: int,
    temperature: float,
    params: dict[str, Any],
    where: np.ndarray | None = None,
) -> np.ndarray:
    """Apply ``mapping`` to a 2-D block; reductions come back as a column (or a row for axis 0).

    ``where`` (a boolean array of the block's shape) masks entries out, as the
    library's ``where=`` does.

    Examples
    --------
    >>> run_mapping(registry.get("logsumexp"), np.zeros((2, 2)), axis=-1, temperature=1.0,
    ...             params={}).shape
    (2, 1)
    """
    masked = {} if where is None else {"where": where}
    out = mapping.func(values, axis=axis, temperature=temperature, **masked, **params)
    if mapping.output == registry.SCALAR:
        out = out[:, None] if axis != 0 else out[None, :]
    return out


def row_params(mapping: registry.Mapping, params: dict[str, Any], index: int) -> dict[str, Any]:
    """Parameters for block (or row) ``index``: a seeded stochastic map draws fresh noise each.

    The first block keeps the seed as given; later ones get a seed derived from
    it and the index, so the output does not repeat and is reproducible.
    """
    seed = params.get("seed")
    if not mapping.stochastic or seed is None or index == 0:
        return params
    state = np.random.SeedSequence([seed, index]).generate_state(1)[0]
    return {**params, "seed": int(state)}


def output_columns(
    mapping: registry.Mapping, columns: list[str] | None, axis: int = -1
) -> list[str] | None:
    """Header of the output: the input's for per-entry maps, the method's name for reductions.

    With ``axis=0`` a reduction gives one value per input column: the input's header.
    """
    if mapping.output == registry.SCALAR and axis != 0:
        return [mapping.name] if columns is not None else None
    return columns


def method_columns(
    methods: Methods, columns: list[str] | None, width: int, axis: int = -1
) -> list[str] | None:
    """Header of the output of one or several methods.

    One method: :func:`output_columns`. Several: always a header, each column
    named ``METHOD:COLUMN`` (the input's header name, else its index from 0), a
    reduction's single column by the method's name alone: a pipe can pick a
    method's columns by the prefix.

    Examples
    --------
    >>> ms = [(registry.get("softmax"), {}), (registry.get("logsumexp"), {})]
    >>> method_columns(ms, None, 2)
    ['softmax:0', 'softmax:1', 'logsumexp']
    >>> method_columns(ms, ["a", "b"], 2, axis=0)
    ['softmax:a', 'softmax:b', 'logsumexp:a', 'logsumexp:b']
    """
    if len(methods) == 1:
        return output_columns(methods[0][0], columns, axis)
    names = columns if columns is not None else [str(j) for j in range(width)]
    out: list[str] = []
    for m, _ in methods:
        if m.output == registry.SCALAR and axis != 0:
            out.append(m.name)
        else:
            out += [f"{m.name}:{c}" for c in names]
    return out
