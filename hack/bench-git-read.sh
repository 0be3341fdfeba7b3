#!/usr/bin/env bash
# Git read path benchmark at the git issue's scale (100 repositories × 20
# packages × 5 revisions; BENCH_REPOS / BENCH_PACKAGES / BENCH_REVISIONS
# override). Prints its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/install-deps.sh build
cargo bench --locked -p porch-server --bench git_read
