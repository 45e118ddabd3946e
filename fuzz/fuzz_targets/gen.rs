//! libFuzzer target: arbitrary words after `axgen gen` through clap, the spec parser and the
//! plan builder (see `axgen_fuzz::Checker::check` for what is checked).
#![no_main]

use std::sync::LazyLock;

use axgen_fuzz::Checker;
use libfuzzer_sys::fuzz_target;

// Its bare apps stay in the temporary folder: libFuzzer ends the process without dropping it.
static CHECKER: LazyLock<Checker> = LazyLock::new(Checker::new);

fuzz_target!(|data: &[u8]| {
    CHECKER.check(data);
});
