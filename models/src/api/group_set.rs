//! [`GroupSet`]: the node groups (or NodePools) a pod group may run on.
//!
//! A Cluster Autoscaler view lists a pod group per deployment on each drainable node, tens of
//! millions in a Black-Friday day, each with its set of node groups. Shared as an `Arc<[u32]>`,
//! each listing cost an atomic increment and each view's drop an atomic decrement (9 % of the
//! day's time with the nodes' names). A region rarely has more than 64 node groups, so the set
//! is a 64-bit mask, copied for free; larger indices fall back to a shared sorted list (behind
//! a thin pointer, so the set is 16 bytes and a pod group stays 48).

use std::sync::Arc;

/// Indices below this are kept as bits.
const BITS: u32 = 64;

/// A set of node-group indices, iterated in increasing order.
#[derive(Clone, PartialEq, Eq)]
pub struct GroupSet(Repr);

/// Canonical: `Bits` exactly when every member is below [`BITS`], so derived equality is set
/// equality.
#[derive(Clone, PartialEq, Eq)]
enum Repr {
    Bits(u64),
    List(Arc<Vec<u32>>),
}

impl GroupSet {
    /// The empty set.
    pub const fn empty() -> GroupSet {
        GroupSet(Repr::Bits(0))
    }

    pub fn contains(&self, group: u32) -> bool {
        match &self.0 {
            Repr::Bits(bits) => group < BITS && bits & (1u64 << group) != 0,
            Repr::List(list) => list.binary_search(&group).is_ok(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match &self.0 {
            Repr::Bits(bits) => *bits == 0,
            Repr::List(list) => list.is_empty(),
        }
    }

    /// The members, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let bits = match &self.0 {
            Repr::Bits(bits) => *bits,
            Repr::List(_) => 0,
        };
        let list = match &self.0 {
            Repr::Bits(_) => &[][..],
            Repr::List(list) => list.as_slice(),
        };
        (0..BITS)
            .take_while(move |&g| bits >> g != 0)
            .filter(move |&g| bits & (1u64 << g) != 0)
            .chain(list.iter().copied())
    }

    pub fn to_vec(&self) -> Vec<u32> {
        self.iter().collect()
    }
}

impl Default for GroupSet {
    fn default() -> Self {
        GroupSet::empty()
    }
}

impl FromIterator<u32> for GroupSet {
    fn from_iter<I: IntoIterator<Item = u32>>(members: I) -> Self {
        let mut members = members.into_iter();
        let mut bits = 0u64;
        // Bits while every member is small (no allocation); the first large one turns the
        // set into a list of the members so far and the rest.
        for g in members.by_ref() {
            if g >= BITS {
                let mut list: Vec<u32> = (0..BITS).filter(|&b| bits & (1u64 << b) != 0).collect();
                list.push(g);
                list.extend(members);
                list.sort_unstable();
                list.dedup();
                return GroupSet(Repr::List(Arc::new(list)));
            }
            bits |= 1u64 << g;
        }
        GroupSet(Repr::Bits(bits))
    }
}

impl From<&[u32]> for GroupSet {
    fn from(members: &[u32]) -> Self {
        members.iter().copied().collect()
    }
}

impl From<Vec<u32>> for GroupSet {
    fn from(members: Vec<u32>) -> Self {
        members.into_iter().collect()
    }
}

impl std::fmt::Debug for GroupSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_sets_answer_alike() {
        for members in [
            vec![],
            vec![0],
            vec![3, 1, 3, 63],
            vec![5, 200, 0, 64, 5],
            vec![127, 3, 64],
            vec![u32::MAX],
        ] {
            let set: GroupSet = members.iter().copied().collect();
            let mut sorted = members.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(set.to_vec(), sorted, "{members:?}");
            assert_eq!(set.is_empty(), sorted.is_empty());
            for g in [0, 1, 2, 3, 5, 62, 63, 64, 65, 127, 128, 200, u32::MAX] {
                assert_eq!(set.contains(g), sorted.contains(&g), "{members:?} {g}");
            }
        }
    }

    #[test]
    fn equal_sets_compare_equal_whatever_the_order_written() {
        let a: GroupSet = vec![2, 1].into();
        let b: GroupSet = (&[1, 2, 2][..]).into();
        assert_eq!(a, b);
        assert_ne!(a, GroupSet::from(vec![1, 2, 300]));
        assert_eq!(
            GroupSet::from(vec![300, 1]),
            GroupSet::from(vec![1, 300, 1])
        );
        assert_eq!(format!("{a:?}"), "{1, 2}");
    }

    #[test]
    fn a_set_is_two_words() {
        assert_eq!(std::mem::size_of::<GroupSet>(), 16);
    }
}
