//! The full-domain generalization lattice: one node per level vector, numbered in mixed radix,
//! with the predecessor and successor relation the search prunes along.

/// What the search knows of a node under the privacy models that are monotonic (a node above
/// one that satisfies them satisfies them; a node below one that fails them fails them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeState {
    /// Not evaluated, and not implied by an evaluated node.
    Unknown,
    /// Satisfies the monotonic models (evaluated, or above a node that does).
    Satisfies,
    /// Fails the monotonic models (evaluated, or below a node that does).
    Fails,
}

/// Which way [`Lattice::tag`] propagates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// To every more generalized node.
    Up,
    /// To every less generalized node.
    Down,
}

/// The lattice of level vectors `0 <= levels[i] < heights[i]`.
#[derive(Debug)]
pub(crate) struct Lattice {
    heights: Vec<usize>,
    strides: Vec<usize>,
    size: usize,
}

impl Lattice {
    pub(crate) fn new(heights: &[usize]) -> Self {
        let mut strides = vec![1usize; heights.len()];
        for i in (0..heights.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * heights[i + 1];
        }
        Self {
            heights: heights.to_vec(),
            strides,
            size: heights.iter().product(),
        }
    }

    /// Number of nodes.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    fn level(&self, node: usize, i: usize) -> usize {
        node / self.strides[i] % self.heights[i]
    }

    /// The level vector of `node`.
    pub(crate) fn levels(&self, node: usize) -> Vec<usize> {
        (0..self.heights.len())
            .map(|i| self.level(node, i))
            .collect()
    }

    /// Every node, by increasing sum of levels (ties by node number).
    pub(crate) fn by_height(&self) -> Vec<usize> {
        let height = |n: usize| {
            (0..self.heights.len())
                .map(|i| self.level(n, i))
                .sum::<usize>()
        };
        let mut nodes: Vec<(usize, usize)> = (0..self.size).map(|n| (height(n), n)).collect();
        nodes.sort_unstable();
        nodes.into_iter().map(|(_, n)| n).collect()
    }

    /// The nodes one level above `node` in one quasi-identifier.
    pub(crate) fn successors(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.heights.len())
            .filter(move |&i| self.level(node, i) + 1 < self.heights[i])
            .map(move |i| node + self.strides[i])
    }

    /// The nodes one level below `node` in one quasi-identifier.
    pub(crate) fn predecessors(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.heights.len())
            .filter(move |&i| self.level(node, i) > 0)
            .map(move |i| node - self.strides[i])
    }

    /// Sets `state` to `value` for `node` and every node above it ([`Direction::Up`]) or below
    /// it ([`Direction::Down`]).
    pub(crate) fn tag<T: Copy + PartialEq>(
        &self,
        node: usize,
        state: &mut [T],
        value: T,
        direction: Direction,
    ) {
        let mut stack = vec![node];
        state[node] = value;
        while let Some(n) = stack.pop() {
            let next: Vec<usize> = match direction {
                Direction::Up => self.successors(n).collect(),
                Direction::Down => self.predecessors(n).collect(),
            };
            for m in next {
                if state[m] != value {
                    state[m] = value;
                    stack.push(m);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_and_neighbours() {
        let l = Lattice::new(&[2, 3]);
        assert_eq!(l.size(), 6);
        assert_eq!(l.levels(5), vec![1, 2]);
        assert_eq!(l.by_height(), vec![0, 1, 3, 2, 4, 5]);
        assert_eq!(l.successors(0).collect::<Vec<_>>(), vec![3, 1]);
        assert_eq!(l.predecessors(4).collect::<Vec<_>>(), vec![1, 3]);
    }

    #[test]
    fn tags_propagate_one_way() {
        let l = Lattice::new(&[2, 3]);
        let mut state = vec![NodeState::Unknown; l.size()];
        l.tag(1, &mut state, NodeState::Satisfies, Direction::Up);
        // [0,1] and everything above it: [0,2], [1,1], [1,2].
        let satisfied: Vec<usize> = (0..6)
            .filter(|&n| state[n] == NodeState::Satisfies)
            .collect();
        assert_eq!(satisfied, vec![1, 2, 4, 5]);
        l.tag(3, &mut state, NodeState::Fails, Direction::Down);
        assert_eq!(state[0], NodeState::Fails);
        assert_eq!(state[3], NodeState::Fails);
        assert_eq!(state[1], NodeState::Satisfies);
    }
}
