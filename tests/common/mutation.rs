//! Random edits of a text for the property tests of the loaders (`tests/fuzz_inputs.rs`,
//! `tests/fuzz_sweep.rs`): each test draws its edits with its own snippets.

use proptest::prelude::*;

/// One edit of a text: remove a span, insert a snippet, or repeat a span.
#[derive(Debug, Clone)]
pub enum Edit {
    Remove { at: usize, len: usize },
    Insert { at: usize, text: String },
    Repeat { at: usize, len: usize },
}

/// An edit at a random place: a span removed, one of `snippets` or a few random chars inserted,
/// or a span repeated.
pub fn edit(snippets: &'static [&'static str]) -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Edit::Remove { at, len }),
        (any::<usize>(), prop::sample::select(snippets)).prop_map(|(at, t)| Edit::Insert {
            at,
            text: t.to_owned()
        }),
        (any::<usize>(), prop::collection::vec(any::<char>(), 1..8)).prop_map(|(at, cs)| {
            Edit::Insert {
                at,
                text: cs.into_iter().collect(),
            }
        }),
        (any::<usize>(), 1usize..60).prop_map(|(at, len)| Edit::Repeat { at, len }),
    ]
}

/// `src` with `e` applied at a char boundary.
pub fn apply(src: &str, e: &Edit) -> String {
    let boundary = |at: usize| {
        let mut at = at % (src.len() + 1);
        while !src.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match e {
        Edit::Remove { at, len } => {
            let a = boundary(*at);
            let b = boundary((a + len).min(src.len()));
            format!("{}{}", &src[..a], &src[b.max(a)..])
        }
        Edit::Insert { at, text } => {
            let a = boundary(*at);
            format!("{}{text}{}", &src[..a], &src[a..])
        }
        Edit::Repeat { at, len } => {
            let a = boundary(*at);
            let b = boundary((a + len).min(src.len())).max(a);
            format!("{}{}", &src[..b], &src[a..])
        }
    }
}
