//! `DefaultNormalizeScore`: the normalization TaintToleration and NodeAffinity share.
//!
//! Upstream: `pkg/scheduler/framework/plugins/helper/normalize_score.go`
//! (commit `2e94b405ac89f322d58dba55dae5e52a18f59778`). It runs once per scheduling cycle over the
//! raw scores of every node that passed the filters, so its result depends on the other nodes
//! scored in the same cycle: the placement code must call it over exactly that set.

use super::MAX_NODE_SCORE;

/// Scales raw scores from `[0, max(scores)]` to `[0, MAX_NODE_SCORE]` in place, with Go's integer
/// division (`MAX_NODE_SCORE * score / max`); with `reverse`, each result is then subtracted from
/// `MAX_NODE_SCORE`. When every raw score is 0, scores stay 0, or all become `MAX_NODE_SCORE`
/// when reversed. Raw scores are non-negative (upstream assumes so too).
pub fn default_normalize_scores(scores: &mut [i64], reverse: bool) {
    let max_count = scores.iter().copied().fold(0, i64::max);
    if max_count == 0 {
        if reverse {
            scores.fill(MAX_NODE_SCORE);
        }
        return;
    }
    for score in scores.iter_mut() {
        let scaled = MAX_NODE_SCORE * *score / max_count;
        *score = if reverse {
            MAX_NODE_SCORE - scaled
        } else {
            scaled
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_to_the_maximum_with_integer_division() {
        let mut scores = [0, 1, 2, 3];
        default_normalize_scores(&mut scores, false);
        // 100*1/3 = 33, 100*2/3 = 66.
        assert_eq!(scores, [0, 33, 66, 100]);
    }

    #[test]
    fn reverse_subtracts_from_the_maximum() {
        let mut scores = [0, 1, 2, 3];
        default_normalize_scores(&mut scores, true);
        assert_eq!(scores, [100, 67, 34, 0]);
    }

    #[test]
    fn all_zero_stays_zero_or_becomes_max_when_reversed() {
        let mut scores = [0, 0];
        default_normalize_scores(&mut scores, false);
        assert_eq!(scores, [0, 0]);
        default_normalize_scores(&mut scores, true);
        assert_eq!(scores, [100, 100]);
    }
}
