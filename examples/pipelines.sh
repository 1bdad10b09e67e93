#!/usr/bin/env bash
# Pipelines a user would type. Run from the repository root: bash examples/pipelines.sh
# (tests/test_examples.py runs this script and checks what it prints).
set -euo pipefail

echo "## softmax over every row, the id column passed through"
softmax compute --input examples/logits.csv --id-column id --format csv

echo "## sparsemax from a pipe: exact zeros"
cat examples/logits.csv | softmax compute - --id-column id --method sparsemax

echo "## log-softmax of a TSV file, as JSON lines"
softmax compute --input examples/logits.tsv --method log-softmax --format jsonl

echo "## JSON in, one logsumexp per row out"
softmax compute --input examples/logits.json --method logsumexp --format csv

echo "## two steps chained: probabilities, then their entmax-1.5 re-mapping (JSON through)"
softmax compute --input examples/logits.json | softmax compute - --method entmax15
