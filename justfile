# The one entry point for people and CI. `just` lists the recipes.

cargo := env_var_or_default("CARGO", "cargo")
# Where CI and e2e put their Python virtualenv (just, the AWS CLI, moto).
venv := env_var_or_default("CWLOGS_VENV", justfile_directory() / "target" / "venv")

# List the recipes.
default:
    @{{just_executable()}} --list

# Build every crate and target.
build:
    {{cargo}} build --workspace --all-targets --locked

# Run the test suite: the README's test command.
test:
    {{cargo}} test --workspace --locked

# Formatting, clippy with warnings as errors, docs with warnings as errors, the mock's layers, and
# the two libraries as embedders build them (without the binaries' `cli` feature).
lint:
    python3 mock-server/tools/layers.py
    {{cargo}} fmt --all --check
    {{cargo}} clippy --workspace --all-targets --locked -- -D warnings
    {{cargo}} clippy -p mock-server -p sdk-adapter --no-default-features --lib --tests --locked -- -D warnings
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

# Regenerate the mock's operation catalogue from the pinned botocore service model (installed
# into target/model-venv; the pin is mock-server/catalogue/BOTOCORE_VERSION).
catalogue: model-venv
    target/model-venv/bin/python mock-server/catalogue/generate.py

# A virtualenv with exactly the pinned botocore, for the catalogue and its drift test.
model-venv:
    #!/usr/bin/env bash
    set -euo pipefail
    pinned=$(tr -d '[:space:]' < mock-server/catalogue/BOTOCORE_VERSION)
    have=$(target/model-venv/bin/python -c 'import botocore; print(botocore.__version__)' 2>/dev/null || true)
    if [ "$have" != "$pinned" ]; then
        python3 -m venv target/model-venv
        target/model-venv/bin/pip install --quiet --disable-pip-version-check "botocore==$pinned"
    fi

# Python virtualenv with the AWS CLI, boto3 and pytest at pinned versions (one botocore, the one
# the catalogue pins), for the end-to-end tests.
venv:
    #!/usr/bin/env bash
    set -euo pipefail
    pins="awscli==1.45.11 boto3==1.43.11 pytest==9.0.3"
    if [ "$(cat "{{venv}}/pins" 2>/dev/null || true)" != "$pins" ]; then
        python3 -m venv "{{venv}}"
        "{{venv}}/bin/pip" install --quiet --disable-pip-version-check $pins
        echo "$pins" > "{{venv}}/pins"
    fi

# `profile` is a cargo profile: `release` (the default, what users run) or `dev`, which reuses what
# `just test` built (same targets, so the same features) instead of compiling everything again.
# End-to-end tests with real clients (the AWS CLI, cwlogs-ship) against a running cwlogs-mock.
e2e profile="release": venv
    {{cargo}} build --profile {{profile}} --locked {{ if profile == "dev" { "--workspace --all-targets" } else { "-p mock-server -p sdk-adapter --bins" } }}
    PATH="{{venv}}/bin:$PATH" bash tests/e2e/run.sh target/{{ if profile == "dev" { "debug" } else { profile } }}

# Fails if the cases do not finish within `minutes`; CWLOGS_TIER1_CASES, CWLOGS_TIER2_CASES,
# CWLOGS_TIER3_CASES and CWLOGS_FUZZ_CASES override the case counts. Failing fuzz inputs land in
# mock-server/proptest-regressions/request_path_fuzz.txt: commit them with the fix.
# The chaos suite's tiers and the mock's request-path fuzz target, many more cases (release).
soak minutes="30":
    #!/usr/bin/env bash
    set -euo pipefail
    export CWLOGS_TIER1_CASES="${CWLOGS_TIER1_CASES:-50000}"
    export CWLOGS_TIER2_CASES="${CWLOGS_TIER2_CASES:-300}"
    export CWLOGS_TIER3_CASES="${CWLOGS_TIER3_CASES:-20000}"
    export CWLOGS_FUZZ_CASES="${CWLOGS_FUZZ_CASES:-200000}"
    {{cargo}} build --release --locked -p cwlogs-tests -p mock-server --tests
    echo "soak: tier 1 $CWLOGS_TIER1_CASES, tier 2 $CWLOGS_TIER2_CASES, tier 3 $CWLOGS_TIER3_CASES, fuzz $CWLOGS_FUZZ_CASES cases, at most {{minutes}} min"
    status=0
    timeout --signal=TERM "{{minutes}}m" bash -c '
        {{cargo}} test --release --locked -p mock-server --test it request_path_proptest &&
        {{cargo}} test --release --locked -p cwlogs-tests --test it' || status=$?
    if [ "$status" -eq 124 ]; then
        echo "soak: did not finish within {{minutes}} min; lower the CWLOGS_*_CASES counts or raise minutes"
    fi
    exit "$status"

# The run: token-core's criterion benches, cwlogs-load against cwlogs-mock and moto (ratio),
# sdk-adapter vs a plain SDK loop, the mock's memory.
# Benchmarks side by side with peers; rewrites the generated part of BENCHMARKS.md.
bench:
    CARGO={{cargo}} bash tests/bench/run.sh

# Run cwlogs-mock in the foreground (in-memory store, 127.0.0.1). Extra flags pass through.
mock *ARGS:
    {{cargo}} run --release --locked -p mock-server --bin cwlogs-mock -- {{ARGS}}

# The Python package (mock-server/python): builds the wheel with maturin (pinned), installs it in
# a clean virtualenv with boto3 and pytest, and runs its pytest suite through the plugin's
# fixtures. `profile` as for e2e: `dev` reuses what `just test` built.
python profile="release":
    #!/usr/bin/env bash
    set -euo pipefail
    tools=target/maturin-venv
    pin="maturin==1.15.0"
    if [ "$(cat "$tools/pins" 2>/dev/null || true)" != "$pin" ]; then
        python3 -m venv "$tools"
        "$tools/bin/pip" install --quiet --disable-pip-version-check "$pin"
        echo "$pin" > "$tools/pins"
    fi
    rm -rf target/wheels target/pytest-venv
    (cd mock-server/python && "../../$tools/bin/maturin" build --locked --profile {{profile}} --out ../../target/wheels)
    python3 -m venv target/pytest-venv
    target/pytest-venv/bin/pip install --quiet --disable-pip-version-check target/wheels/*.whl boto3==1.43.11 pytest==9.0.3
    (cd mock-server/python && ../../target/pytest-venv/bin/python -m pytest -q -p no:cacheprovider tests)

# Everything CI checks.
ci: model-venv lint purity test (e2e "dev") (python "dev")
