//! Which share of a sweep this process runs: shard I of N takes the runs whose index % N == I.
//!
//! Striping by index (rather than cutting the list into N blocks) spreads the slow corners of
//! the grid over every shard. The shard comes from, in order:
//! 1. `--shard I/N`;
//! 2. a Slurm job array: `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT`, the index counted
//!    from `SLURM_ARRAY_TASK_MIN` (so `--array=1-3` works as well as `--array=0-2`);
//! 3. a Kubernetes Indexed Job: `JOB_COMPLETION_INDEX`, with N from `--shards N` or the
//!    environment variable `CLUSTERSIM_SHARDS` (Kubernetes does not expose `completions` to
//!    the pod, so the manifest sets it beside `completions`);
//! 4. otherwise the whole sweep.

use std::fmt;

/// Shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Whether run `index` belongs to this shard.
    pub fn takes(self, run_index: u64) -> bool {
        run_index % self.count == self.index
    }

    fn new(index: u64, count: u64, from: &str) -> Result<Shard, String> {
        if count == 0 || index >= count {
            return Err(format!(
                "{from}: shard {index} of {count}: expected 0 ≤ I < N"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `I/N` as written after `--shard`.
pub fn parse(text: &str) -> Result<Shard, String> {
    let from = format!("--shard {text}");
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| format!("{from}: expected I/N, such as 0/3"))?;
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("{from}: expected I/N with whole numbers, such as 0/3"))
    };
    Shard::new(number(i)?, number(n)?, &from)
}

/// The shard of this process from the flag, else the batch engine's environment (read through
/// `env`, so tests can pass their own).
pub fn detect(
    flag: Option<&str>,
    shards: Option<u64>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Shard, String> {
    if let Some(text) = flag {
        return parse(text);
    }
    let number = |name: &str| -> Result<Option<u64>, String> {
        env(name)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{name}={v}: expected a whole number"))
            })
            .transpose()
    };
    if let (Some(id), Some(count)) = (
        number("SLURM_ARRAY_TASK_ID")?,
        number("SLURM_ARRAY_TASK_COUNT")?,
    ) {
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let index = id.checked_sub(min).ok_or_else(|| {
            format!("SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}")
        })?;
        return Shard::new(index, count, "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT");
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let count = match shards {
            Some(n) => n,
            None => number("CLUSTERSIM_SHARDS")?.ok_or_else(|| {
                format!(
                    "JOB_COMPLETION_INDEX={index} is set but the number of shards is not: pass \
                     --shards N or set CLUSTERSIM_SHARDS to the Job's completions"
                )
            })?,
        };
        return Shard::new(index, count, "JOB_COMPLETION_INDEX");
    }
    Ok(Shard::WHOLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_flag_wins_then_slurm_then_kubernetes() {
        let all = [
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("JOB_COMPLETION_INDEX", "1"),
            ("CLUSTERSIM_SHARDS", "4"),
        ];
        let s = |i, n| Shard { index: i, count: n };
        assert_eq!(detect(Some("1/5"), None, env(&all)), Ok(s(1, 5)));
        assert_eq!(detect(None, None, env(&all)), Ok(s(2, 3)));
        assert_eq!(detect(None, None, env(&all[2..])), Ok(s(1, 4)));
        assert_eq!(detect(None, Some(2), env(&all[2..3])), Ok(s(1, 2)));
        assert_eq!(detect(None, None, env(&[])), Ok(Shard::WHOLE));
        // `--array=1-3`: task ids 1, 2, 3 are shards 0, 1, 2.
        let from_one = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ];
        assert_eq!(detect(None, None, env(&from_one)), Ok(s(2, 3)));
    }

    #[test]
    fn bad_shards_are_refused() {
        assert!(parse("3/3").is_err());
        assert!(parse("0/0").is_err());
        assert!(parse("a/3").is_err());
        assert!(parse("1").is_err());
        let e = detect(None, None, env(&[("JOB_COMPLETION_INDEX", "0")])).unwrap_err();
        assert!(e.contains("--shards"), "{e}");
    }

    #[test]
    fn shards_stripe_the_runs() {
        let s = Shard { index: 1, count: 3 };
        let taken: Vec<u64> = (0..10).filter(|&i| s.takes(i)).collect();
        assert_eq!(taken, [1, 4, 7]);
    }
}
