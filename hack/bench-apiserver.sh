#!/usr/bin/env bash
# Apiserver benchmark at the foundation issue's scale (10,000 Repositories;
# BENCH_OBJECTS / BENCH_WATCHERS override). Prints its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/install-deps.sh build
cargo bench --locked -p porch-server --bench apiserver
