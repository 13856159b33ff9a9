//! `fwfleet`: parse, set up logging, run one command, map the outcome to an exit code.
//!
//! Exit codes: 0 success; 1 the command ran but some host or step failed;
//! 2 usage or configuration error.

use std::process::ExitCode;

fn main() -> ExitCode {
    fwfleet::cli::main()
}
