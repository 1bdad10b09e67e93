"""`softmax sample` through the real entry point: kept tokens, presets, chains, explain, draws."""

from __future__ import annotations

import json

import numpy as np
import pytest

from softmax_cli.cli.app import ExitStatus


def rows(csv_text: str) -> list[list[str]]:
    return [line.split(",") for line in csv_text.strip().splitlines()]


def test_only_the_kept_tokens_sorted_by_probability(cli):
    run = cli("sample", "2", "1", "1", "0", "--top-k", "2", "--format", "csv")
    assert run.code == 0 and run.err == ""
    head, *body = rows(run.out)
    assert head == ["row", "token", "logit", "prob", "logprob"]
    assert [r[1] for r in body] == ["0", "1", "2"]  # the tie with the 2nd logit stays (hf rule)
    p = np.array([float(r[3]) for r in body], dtype=np.float32)
    e = np.exp(np.array([2.0, 1.0, 1.0]) - 2.0)
    assert np.allclose(p, e / e.sum(), rtol=2e-7)
    assert np.allclose([float(r[4]) for r in body], np.log(e / e.sum()), rtol=2e-7)


def test_presets_differ_where_the_servers_do(cli):
    vllm = cli("sample", "0", "0", "0", "0", "--preset", "vllm", "--top-p", "0.5", "-f", "csv")
    llama = cli("sample", "0", "0", "0", "0", "--preset", "llama.cpp", "--top-p", "0.5",
                "--top-k", "4", "--min-p", "0", "-f", "csv")  # fmt: skip
    assert [r[1] for r in rows(vllm.out)[1:]] == ["2", "3"]
    assert [r[1] for r in rows(llama.out)[1:]] == ["0", "1"]


def test_llama_cpp_temperature_comes_last_and_its_defaults_apply(cli):
    run = cli("sample", "2", "1", "1", "0", "--preset", "llama.cpp", "--top-k", "2", "-f", "csv")
    body = rows(run.out)[1:]
    assert [r[1] for r in body] == ["0", "1"]  # exactly k
    assert [float(r[2]) for r in body] == [2.5, 1.25]  # divided by the default τ = 0.8


def test_chain_order_and_all(cli):
    run = cli("sample", "3", "2", "1", "0", "--chain", "top_k,temperature", "--top-k", "2",
              "--temperature", "0.5", "--all", "-f", "json")  # fmt: skip
    recs = json.loads(run.out)
    assert [r["token"] for r in recs] == [0, 1, 2, 3]
    assert [r["logit"] for r in recs] == [6, 4, "-inf", "-inf"]
    assert [r["prob"] for r in recs][2:] == [0, 0]


def test_explain_writes_one_record_per_step(cli):
    run = cli("sample", "3", "2", "1", "0", "--top-p", "0.9", "--temperature", "0.5",
              "--explain", "-f", "jsonl")  # fmt: skip
    recs = [json.loads(line) for line in run.out.splitlines()]
    assert [r["kept"] for r in recs] == [4, 2]
    assert recs[1]["step"].startswith("top_p(top_p=0.9")


def test_draws_are_seeded_and_reproducible(cli):
    a = cli("sample", "3", "2", "1", "0", "--draws", "6", "--seed", "5", "-f", "csv")
    b = cli("sample", "3", "2", "1", "0", "--draws", "6", "--seed", "5", "-f", "csv")
    assert a.out == b.out and len(rows(a.out)) == 7
    kept = cli("sample", "3", "2", "1", "0", "--top-k", "2", "--draws", "50", "--seed", "1",
               "-f", "csv")  # fmt: skip
    assert {r[2] for r in rows(kept.out)[1:]} <= {"0", "1"}


def test_rows_from_stdin_with_ids_and_history(cli):
    run = cli("sample", "-", "--id-column", "id", "--repetition-penalty", "2",
              "--history", "0", "-f", "csv", stdin="id,a,b\nr1,2,1\nr2,-1,0\n")  # fmt: skip
    body = rows(run.out)[1:]
    assert [r[0] for r in body] == ["r1", "r1", "r2", "r2"]
    logits = {(r[0], r[1]): float(r[2]) for r in body}
    assert logits[("r1", "0")] == 1.0 and logits[("r2", "0")] == -2.0


def test_table_on_a_terminal_shows_the_kept_count_and_entropy(cli):
    run = cli("sample", "1", "2", "3", "--top-k", "2", "--format", "table")
    assert "2 of 3 tokens kept" in run.out and "entropy" in run.out


@pytest.mark.parametrize(
    ("args", "status", "text"),
    [
        (["--top-k", "0"], ExitStatus.USAGE, "--top-k must be an integer >= 1"),
        (["--preset", "hf", "--presence-penalty", "1"], ExitStatus.USAGE, "--presence-penalty"),
        (["--preset", "nope"], ExitStatus.USAGE, "unknown preset 'nope'"),
        (["--chain", "top_k"], ExitStatus.USAGE, "--top-k"),
        (["--temperature", "0"], ExitStatus.USAGE, "--temperature 0 is greedy"),
        (["--history", "x"], ExitStatus.USAGE, "--history must be token ids"),
        (["--presence-penalty", "1", "--history", "9"], ExitStatus.USAGE, "--history names"),
        (["--preset", "vllm", "--min-tokens-to-keep", "2"], ExitStatus.USAGE, "vllm has no"),
    ],
)
def test_bad_options_exit_2_with_one_line(cli, args, status, text):
    run = cli("sample", "1", "2", *args)
    assert run.code == status and run.out == "" and run.err.count("\n") == 1
    assert text in run.err


def test_nan_logit_is_bad_input(cli):
    run = cli("sample", "1", "nan")
    assert run.code == ExitStatus.INPUT and "token 1 of row 1 is nan" in run.err


def _logit_rows(n: int, width: int = 100) -> str:
    x = np.random.default_rng(14).normal(0, 2, (n, width))
    return "".join(",".join(f"{v:.3f}" for v in row) + "\n" for row in x)


def test_sample_streams_each_batch_out_before_reading_the_next(cli, monkeypatch):
    # 2,000 rows of 100 logits: the reader gives several batches (about 65,536 values each);
    # each batch's records are written before the next batch is processed
    from softmax_cli.cli import sample as cmd
    from softmax_cli.io.records import RecordWriter

    events: list[tuple[str, int]] = []
    process, emit = cmd.sampling.process, RecordWriter._emit_lines

    def logged_process(x, *a, **k):
        events.append(("process", x.shape[0]))
        return process(x, *a, **k)

    def logged_emit(self, text):  # every CSV line goes out through here
        events.append(("write", text.count("\n") + 1))
        return emit(self, text)

    monkeypatch.setattr(cmd.sampling, "process", logged_process)
    monkeypatch.setattr(RecordWriter, "_emit_lines", logged_emit)
    run = cli("sample", "--top-k", "3", "-f", "csv", stdin=_logit_rows(2000))
    assert run.code == 0, run.err
    kinds = [k for i, (k, _) in enumerate(events) if i == 0 or events[i - 1][0] != k]
    assert kinds.count("process") >= 2
    assert kinds == ["process", "write"] * (len(kinds) // 2)  # alternate: nothing accumulates
    rows_in = sum(n for k, n in events if k == "process")
    assert rows_in == 2000
    numbers = [int(line.split(",")[0]) for line in run.out.splitlines()[1:]]
    assert sorted(set(numbers)) == list(range(1, 2001)) and numbers == sorted(numbers)
    assert len(numbers) >= 3 * 2000  # every row, in order, 3 kept tokens at least (ties stay)


def test_history_column_gives_each_row_its_own_penalties(cli, tmp_path):
    # vLLM/OpenAI additive penalties: x - 0.5·count - 0.25·[count > 0], per row's history
    path = tmp_path / "h.csv"
    path.write_text('history,a,b,c,d\n"0 0 2",2,1,1,0\n,2,1,1,0\n3;3,2,1,1,0\n')
    run = cli("sample", "--input", str(path), "--history-column", "history", "--preset",
              "vllm", "--frequency-penalty", "0.5", "--presence-penalty", "0.25", "--all",
              "-f", "csv")  # fmt: skip
    assert run.code == 0, run.err
    body = rows(run.out)
    assert body[0] == ["row", "token", "logit", "prob", "logprob"]  # no history in the output
    logits = [[float(r[2]) for r in body[1:] if r[0] == str(n)] for n in (1, 2, 3)]
    assert logits == [[2 - 1.0 - 0.25, 1, 1 - 0.5 - 0.25, 0], [2, 1, 1, 0], [2, 1, 1, -1.25]]


def test_history_field_of_json_rows_as_a_list(cli):
    # Hugging Face's repetition penalty θ = 2: x/θ for x > 0, x·θ otherwise, once per token
    text = '{"h": [0, 0, 3], "a": 2, "b": -1, "c": 1, "d": -0.5}\n{"h": [], "a": 2, "b": -1, "c": 1, "d": -0.5}\n'  # noqa: E501
    run = cli("sample", "--history-column", "h", "--repetition-penalty", "2", "--all",
              "-f", "jsonl", stdin=text)  # fmt: skip
    assert run.code == 0, run.err
    recs = [json.loads(line) for line in run.out.splitlines()]
    assert [r["logit"] for r in recs if r["row"] == 1] == [1, -1, 1, -1]
    assert [r["logit"] for r in recs if r["row"] == 2] == [2, -1, 1, -0.5]


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (("--history-column", "h", "--repetition-penalty", "2"), "h,a,b\n7,1,2\n",
         ExitStatus.INPUT, "row 1: the history column holds '7', which is not a token id"),
        (("--history-column", "h", "--repetition-penalty", "2"), "h,a,b\n1 x,1,2\n",
         ExitStatus.INPUT, "holds 'x'"),
        (("--history-column", "h", "--history", "0"), "h,a,b\n1,1,2\n",
         ExitStatus.USAGE, "--history-column and --history both give the token history"),
        (("--history-column", "h", "--id-column", "a"), "h,a,b\n1,1,2\n",
         ExitStatus.USAGE, "--history-column and --id-column cannot be combined yet"),
    ],
)  # fmt: skip
def test_history_column_errors_are_one_line(cli, args, stdin, code, message):
    run = cli("sample", *args, stdin=stdin)
    assert run.code == code
    assert message in run.err and run.err.count("\n") == 1 and run.out == ""
