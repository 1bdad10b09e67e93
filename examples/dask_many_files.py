"""softmax over many files at once with Dask: the library applied to each block.

``softmax compute`` streams one input on one machine. When the logits are spread over
many files (shards of an evaluation run, a directory of ``.npy`` dumps) or more than one
machine should work on them, let Dask split the work and call the same library function
on each block: rows are independent, so a block of whole rows is all a mapping needs.

Run from the repository root (``pip install 'dask[array,dataframe]'``)::

    python examples/dask_many_files.py 'shards/*.csv' --id-column id --output probs.csv
    python examples/dask_many_files.py 'shards/*.npy' --method sparsemax --output probs.npy

CSV shards become one Dask dataframe (``dd.read_csv``, one partition per file or block)
and :func:`csv_probabilities` maps each partition through the library with
``map_partitions``; ``.npy`` shards become one Dask array of row blocks (each block spans
whole rows: ``chunks=(rows, -1)``) mapped with ``map_blocks`` in :func:`npy_probabilities`.
The output is one CSV (id column first) or one ``.npy`` written block by block, so memory
holds a few blocks, not the data. ``tests/test_examples.py`` runs this on a few small files
and checks the bits against the library on the files concatenated.
"""

from __future__ import annotations

import argparse
import glob
import sys
from typing import Any

import numpy as np

import softmax_cli as sm


def mapping(name: str) -> Any:
    """The library function of the mapping called ``name`` (softmax, log-softmax, ...)."""
    return sm.method(name).func


def csv_probabilities(pattern: str | list[str], id_column: str | None, method: str) -> Any:
    """A Dask dataframe: the CSV files' rows mapped by ``method``, the id column kept.

    Every column but the id column holds logits (as ``softmax compute`` reads a CSV
    with a header). They are read as text and converted by numpy, correctly rounded
    whatever the pandas version (pandas 2's default parser could miss by an ulp), so
    the bits are those of ``softmax compute``.
    """
    import dask.dataframe as dd

    frame = dd.read_csv(pattern, dtype=str, keep_default_na=False)
    func = mapping(method)

    def one_partition(part: Any) -> Any:
        logits = part.drop(columns=[id_column]) if id_column else part
        out = func(np.asarray(logits.to_numpy(dtype=object), dtype=np.float64), axis=-1)
        result = logits.copy()
        result[list(logits.columns)] = out  # same names, same order, the mapped values
        if id_column:
            result.insert(0, id_column, part[id_column])
        return result

    meta = frame._meta  # the empty frame of the columns (what each partition gives back)
    meta = meta[[id_column, *(c for c in meta.columns if c != id_column)]] if id_column else meta
    meta = meta.astype({c: np.float64 for c in meta.columns if c != id_column})
    return frame.map_partitions(one_partition, meta=meta)


def npy_probabilities(paths: list[str], method: str, rows: int = 65536) -> Any:
    """A Dask array: the ``.npy`` files' rows (2-D, same width) mapped by ``method``.

    Each file is memory-mapped, cut into blocks of ``rows`` whole rows, and the blocks
    of all files are concatenated; ``map_blocks`` calls the library on each block.
    """
    import dask.array as da

    parts = [np.load(p, mmap_mode="r") for p in paths]
    stacked = da.concatenate([da.from_array(p, chunks=(rows, -1)) for p in parts])
    meta = np.empty((0, 0), dtype=stacked.dtype)  # what a block gives back: no trial call
    return stacked.map_blocks(mapping(method), axis=-1, dtype=stacked.dtype, meta=meta)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pattern", help="files: a glob such as 'shards/*.csv' or '*.npy'")
    parser.add_argument("--method", default="softmax", help="a mapping of `softmax methods`")
    parser.add_argument("--id-column", help="CSV: the column of row labels, passed through")
    parser.add_argument("--output", required=True, help="one .csv or .npy file")
    parser.add_argument("--scheduler", default="threads", help="threads, processes, sync")
    args = parser.parse_args(argv)
    import dask

    paths = sorted(glob.glob(args.pattern))
    if not paths:
        print(f"error: no file matches {args.pattern!r}", file=sys.stderr)
        return 1
    with dask.config.set(scheduler=args.scheduler):
        if paths[0].endswith(".npy"):
            result = npy_probabilities(paths, args.method)
            out = np.lib.format.open_memmap(
                args.output, mode="w+", dtype=result.dtype, shape=result.shape
            )
            result.store(out)  # block by block into the output file
            out.flush()
        else:
            frame = csv_probabilities(paths, args.id_column, args.method)
            frame.to_csv(args.output, single_file=True, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
