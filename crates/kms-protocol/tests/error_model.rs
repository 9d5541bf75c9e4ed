//! Checks `ErrorCode` against the KMS API model shipped in botocore.
//!
//! Runs when a Python with botocore is available: `$PYTHON` if set, else
//! `python3` (e.g. `PYTHON=/path/to/venv/bin/python3 cargo test`). Otherwise
//! the test prints a note and passes.

// Test helpers outside #[test] functions may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use kms_protocol::error::ErrorCode;

/// Prints `NAME fault|client` for every error shape of the KMS model, then
/// `op OPERATION ERROR` for every error of every operation.
const SCRIPT: &str = r#"
import botocore, botocore.loaders
raw = botocore.loaders.create_loader().load_service_model("kms", "service-2")
print("version", botocore.__version__, raw["metadata"]["apiVersion"])
for name, shape in sorted(raw["shapes"].items()):
    if shape.get("exception"):
        print("shape", name, "fault" if shape.get("fault") else "client")
for op, model in sorted(raw["operations"].items()):
    for e in model.get("errors", []):
        print("op", op, e["shape"])
"#;

#[test]
fn every_model_error_shape_is_an_error_code() {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let output = match Command::new(&python).args(["-c", SCRIPT]).output() {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("No module named"),
                "the botocore script failed: {stderr}"
            );
            println!(
                "note: skipped: `{python}` cannot import botocore (set PYTHON to a Python with botocore installed)"
            );
            return;
        }
        Err(_) => {
            println!("note: skipped: no `{python}` to read the botocore model with");
            return;
        }
    };
    let text = String::from_utf8(output.stdout).unwrap();
    let mut shapes = 0;
    let mut operations = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["version", v, api] => println!("botocore {v}, KMS API {api}"),
            ["shape", name, kind] => {
                let code = ErrorCode::from_type(name)
                    .unwrap_or_else(|_| panic!("model error shape {name} is not an ErrorCode"));
                assert_eq!(code.as_str(), *name);
                let fault = *kind == "fault";
                assert_eq!(code.http_status() >= 500, fault, "{name}: status vs fault");
                if fault {
                    assert!(code.is_retryable(), "{name}: a fault should be retryable");
                }
                shapes += 1;
            }
            ["op", op, name] => {
                assert!(
                    ErrorCode::from_type(name).is_ok(),
                    "{op} can return {name}, not an ErrorCode"
                );
                operations += 1;
            }
            _ => panic!("unexpected line {line:?}"),
        }
    }
    assert!(shapes >= 48, "only {shapes} error shapes in the model?");
    assert!(operations > 0);
    println!("{shapes} error shapes and {operations} operation errors checked");
}
