//! The checked-in operation catalogue (`src/catalogue/model.rs`) is exactly what
//! `catalogue/generate.py` makes from the pinned botocore's service model.
//!
//! The generator needs botocore at the version in `catalogue/BOTOCORE_VERSION`. `.ci/run` installs
//! it into `target/model-venv`; elsewhere the test looks for it in `CWLOGS_MODEL_PYTHON`, that
//! virtualenv or `python3`, and when none has the pinned botocore it says so and passes, unless
//! `CI` is set, where a missing model is a failure: CI must always check the table.

use std::path::PathBuf;
use std::process::Command;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A Python whose botocore is the pinned version, if there is one.
fn python_with_pinned_botocore() -> Option<PathBuf> {
    let pinned = std::fs::read_to_string(manifest_dir().join("catalogue/BOTOCORE_VERSION"))
        .expect("the pin file");
    let pinned = pinned.trim();
    let venv = manifest_dir().join("../target/model-venv/bin/python");
    let candidates = std::env::var_os("CWLOGS_MODEL_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([venv, PathBuf::from("python3")]);
    candidates.into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import botocore; print(botocore.__version__)"])
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == pinned)
    })
}

#[test]
fn the_catalogue_is_generated_from_the_pinned_model() {
    let Some(python) = python_with_pinned_botocore() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must check the catalogue: install the pinned botocore (see .ci/run)"
        );
        eprintln!("skipped: no Python with the pinned botocore (set CWLOGS_MODEL_PYTHON)");
        return;
    };
    let out = Command::new(&python)
        .arg(manifest_dir().join("catalogue/generate.py"))
        .arg("--check")
        .output()
        .expect("the generator runs");
    assert!(
        out.status.success(),
        "src/catalogue/model.rs differs from the pinned model; run `just catalogue`:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
