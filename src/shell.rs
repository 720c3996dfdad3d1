//! `clustersim completions SHELL` and `clustersim man`: the shell completion script and the
//! man page, both generated from the clap definition of the command line, so they list every
//! subcommand and flag there is and never go stale.

use std::io::Write;
use std::process::ExitCode;

use crate::failed;

/// Prints the completion script of `shell` for `cli` on stdout.
pub fn completions(mut cli: clap::Command, shell: clap_complete::Shell) -> ExitCode {
    clap_complete::generate(shell, &mut cli, "clustersim", &mut std::io::stdout());
    ExitCode::SUCCESS
}

/// Prints the man page of `cli` (roff) on stdout.
pub fn man(cli: clap::Command) -> ExitCode {
    let mut page = Vec::new();
    let rendered = clap_mangen::Man::new(cli)
        .render(&mut page)
        .and_then(|()| std::io::stdout().write_all(&page));
    match rendered {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failed(&format!("cannot print the man page: {e}")),
    }
}
