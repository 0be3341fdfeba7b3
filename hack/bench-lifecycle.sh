#!/usr/bin/env bash
# Lifecycle benchmark at the lifecycle issue's scales (one repository with
# 10, 1,000 and 10,000 published revisions; BENCH_SCALES / BENCH_ITERATIONS
# override): p50/p99 of create, update+render, propose, approve,
# propose-delete and delete, and the git CLI floor. Prints its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/install-deps.sh build
cargo bench --locked -p porch-server --bench lifecycle
