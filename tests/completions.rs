//! `clustersim completions SHELL` and `clustersim man`: generated from the command line's
//! definition, so they name every subcommand.

mod common;
use common::{clustersim, text};

#[test]
fn every_shell_script_names_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let r = clustersim(&["completions", shell]);
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
        let script = text(&r.stdout);
        for sub in ["compare", "sweep-merge", "validate"] {
            assert!(script.contains(sub), "{shell}: no {sub}");
        }
    }
    let r = clustersim(&["completions", "tcsh"]);
    assert_eq!(r.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_naming_the_subcommands() {
    let r = clustersim(&["man"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let page = text(&r.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH clustersim"),
        "{page}"
    );
    assert!(
        page.contains("compare") && page.contains("sweep\\-merge"),
        "{page}"
    );
}
