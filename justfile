# The one entry point for people and CI. `just` lists the recipes.

cargo := env_var_or_default("CARGO", "cargo")
# Where CI and e2e put their Python virtualenv (just, the AWS CLI, moto).
venv := env_var_or_default("CWLOGS_VENV", justfile_directory() / "target" / "venv")

# List the recipes.
default:
    @just --list

# Build every crate and target.
build:
    {{cargo}} build --workspace --all-targets --locked

# Run the test suite: the README's test command.
test:
    {{cargo}} test --workspace --locked

# Formatting, clippy with warnings as errors, and docs with warnings as errors.
lint:
    {{cargo}} fmt --all --check
    {{cargo}} clippy --workspace --all-targets --locked -- -D warnings
    RUSTDOCFLAGS=-Dwarnings {{cargo}} doc --workspace --no-deps --locked

# Fail if token-core's normal dependencies include a runtime, an HTTP stack or an AWS crate.
purity:
    #!/usr/bin/env bash
    set -euo pipefail
    deps=$({{cargo}} tree -p token-core -e normal --prefix none --locked | awk '{print $1}' | sort -u)
    forbidden=$(printf '%s\n' "$deps" | grep -E '^(tokio|tokio-.*|async-std|smol|hyper|hyper-.*|http|http-body|http-body-util|h2|reqwest|ureq|isahc|surf|curl|aws-.*)$' || true)
    if [ -n "$forbidden" ]; then
        echo "token-core must stay pure, but its normal dependencies include:"
        printf '  %s\n' $forbidden
        exit 1
    fi
    echo "token-core is pure: $(printf '%s\n' "$deps" | wc -l) crate(s) in its normal dependency tree"

# Python virtualenv with the AWS CLI, for the end-to-end tests.
venv:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -x "{{venv}}/bin/aws" ]; then
        python3 -m venv "{{venv}}"
        "{{venv}}/bin/pip" install --quiet --disable-pip-version-check awscli
    fi

# End-to-end tests with real clients (the AWS CLI) against a running cwlogs-mock.
e2e: venv
    {{cargo}} build --release --locked -p mock-server -p sdk-adapter --bins
    PATH="{{venv}}/bin:$PATH" bash tests/e2e/run.sh target/release

# Benchmarks: token-core's criterion benches, cwlogs-load against cwlogs-mock and moto (ratio),
# sdk-adapter vs a plain SDK loop, the mock's memory; rewrites the generated part of BENCHMARKS.md.
bench:
    CARGO={{cargo}} bash tests/bench/run.sh

# Run cwlogs-mock in the foreground (in-memory store, 127.0.0.1). Extra flags pass through.
mock *ARGS:
    {{cargo}} run --release --locked -p mock-server --bin cwlogs-mock -- {{ARGS}}

# Everything CI checks.
ci: lint purity test e2e
