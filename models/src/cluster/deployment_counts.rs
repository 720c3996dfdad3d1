//! How many pods of each deployment a node holds (bound, not terminating): the pod groups an
//! autoscaler's view gives each node at every scan, and the hostname spread counts.
//!
//! A node nearly always holds one deployment's pods, so the first entry is stored inline: a
//! scan over a region's thousand nodes then reads one contiguous array instead of following a
//! pointer (and missing the cache) per node, which was the largest single cost of a Cluster
//! Autoscaler scan on the Black-Friday day.

use serde::{Deserialize, Serialize};

/// `(deployment, pods)` pairs in order of the deployment's first pod on the node; a pair
/// leaves when its count reaches zero, the others keeping their order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentCounts {
    first: Option<(u32, u32)>,
    more: Vec<(u32, u32)>,
}

impl DeploymentCounts {
    /// Adds `delta` pods of `deployment` (negative: pods leave). Returns false, changing
    /// nothing, when pods would leave a deployment that has fewer on the node.
    pub fn add(&mut self, deployment: u32, delta: i32) -> bool {
        let first_matches = self.first.is_some_and(|(d, _)| d == deployment);
        let slot = if first_matches {
            self.first.as_mut()
        } else {
            self.more.iter_mut().find(|(d, _)| *d == deployment)
        };
        match slot {
            Some((_, count)) => {
                let Some(new) = count.checked_add_signed(delta) else {
                    return false;
                };
                *count = new;
                if new == 0 {
                    self.remove(deployment);
                }
                true
            }
            None if delta > 0 => {
                let entry = (deployment, delta as u32);
                if self.first.is_none() {
                    self.first = Some(entry);
                } else {
                    self.more.push(entry);
                }
                true
            }
            None => delta == 0,
        }
    }

    fn remove(&mut self, deployment: u32) {
        if self.first.is_some_and(|(d, _)| d == deployment) {
            self.first = if self.more.is_empty() {
                None
            } else {
                Some(self.more.remove(0))
            };
        } else {
            self.more.retain(|&(d, _)| d != deployment);
        }
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.first.into_iter().chain(self.more.iter().copied())
    }

    /// Pods of `deployment` on the node.
    pub fn count_of(&self, deployment: u32) -> u32 {
        self.iter()
            .find(|&(d, _)| d == deployment)
            .map_or(0, |(_, count)| count)
    }

    /// Pods on the node, all deployments together.
    pub fn total(&self) -> u32 {
        self.iter().map(|(_, count)| count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_their_order_and_leave_at_zero() {
        let mut c = DeploymentCounts::default();
        assert!(c.add(7, 2) && c.add(3, 1) && c.add(9, 4));
        assert_eq!(c.iter().collect::<Vec<_>>(), [(7, 2), (3, 1), (9, 4)]);
        // The first leaves: the next moves up, order kept.
        assert!(c.add(7, -2));
        assert_eq!(c.iter().collect::<Vec<_>>(), [(3, 1), (9, 4)]);
        assert!(c.add(9, -1) && c.add(3, -1));
        assert_eq!(c.iter().collect::<Vec<_>>(), [(9, 3)]);
        assert_eq!((c.total(), c.count_of(9), c.count_of(7)), (3, 3, 0));
    }

    #[test]
    fn more_pods_cannot_leave_than_there_are() {
        let mut c = DeploymentCounts::default();
        assert!(c.add(1, 1));
        assert!(!c.add(1, -2));
        assert!(!c.add(2, -1));
        assert_eq!(c.iter().collect::<Vec<_>>(), [(1, 1)]);
    }
}
