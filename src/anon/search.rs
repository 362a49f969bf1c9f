//! The search algorithms over the lattice: the optimal search with monotonicity pruning and the
//! exhaustive reference. They see the data only through an [`Evaluator`].

use super::lattice::{Direction, Lattice, NodeState};
use crate::Result;

/// The outcome of evaluating one node.
#[derive(Debug)]
pub(crate) struct NodeEval {
    /// The models hold within the suppression limit.
    pub(crate) anonymous: bool,
    /// The models that are monotonic hold within the suppression limit.
    pub(crate) mono_ok: bool,
    /// The metric (infinite when not anonymous).
    pub(crate) value: f64,
    /// A lower bound of the metric that never decreases under generalization.
    pub(crate) bound: f64,
}

/// What a search needs from the data and the configuration.
pub(crate) trait Evaluator {
    /// Groups the records under `levels` and evaluates the models and the metric.
    fn evaluate(&mut self, levels: &[usize]) -> Result<NodeEval>;
    /// The metric of an anonymous `levels` when it follows from the level vector alone.
    fn value_from_levels(&self, levels: &[usize]) -> Option<f64>;
    /// A lower bound of the metric that follows from the level vector alone and never
    /// decreases under generalization; `None` for every node if the metric has none.
    fn bound_from_levels(&self, levels: &[usize]) -> Option<f64>;
}

/// How the models and the metric behave under generalization, given the suppression limit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Monotonicity {
    /// Every model is monotonic.
    pub(crate) models: bool,
    /// The metric never decreases under generalization.
    pub(crate) metric: bool,
}

/// The optimum found and the number of nodes evaluated.
pub(crate) type Found = (Option<Vec<usize>>, usize);

/// Evaluates every node and keeps the one of least metric (ties: the lowest in
/// [`Lattice::by_height`] order).
pub(crate) fn exhaustive(lattice: &Lattice, ev: &mut dyn Evaluator) -> Result<Found> {
    let mut best: Option<(f64, Vec<usize>)> = None;
    let mut checked = 0;
    for node in lattice.by_height() {
        let levels = lattice.levels(node);
        let e = ev.evaluate(&levels)?;
        checked += 1;
        if e.anonymous && best.as_ref().is_none_or(|(v, _)| e.value < *v) {
            best = Some((e.value, levels));
        }
    }
    Ok((best.map(|b| b.1), checked))
}

/// The optimal search. Phase 1, a Flash-like binary search along paths of the lattice, tags
/// every node as satisfying or failing the monotonic models (successors of a satisfying node
/// satisfy, predecessors of a failing one fail). Phase 2 seeks the optimum among the
/// satisfying nodes: when models and metric are all monotonic only the minimal satisfying
/// nodes are candidates; otherwise every satisfying node is, in order of a level-only lower
/// bound, skipping the nodes whose bound reaches the best value found.
pub(crate) fn optimal(
    lattice: &Lattice,
    monotonicity: Monotonicity,
    ev: &mut dyn Evaluator,
) -> Result<Found> {
    let size = lattice.size();
    let mut state = vec![NodeState::Unknown; size];
    let mut evals: Vec<Option<NodeEval>> = (0..size).map(|_| None).collect();
    let order = lattice.by_height();
    let mut checked = 0usize;

    // Phase 1: the status of every node under the monotonic models.
    for &start in &order {
        if state[start] != NodeState::Unknown {
            continue;
        }
        let mut path = vec![start];
        let mut current = start;
        while let Some(next) = lattice
            .successors(current)
            .find(|&s| state[s] == NodeState::Unknown)
        {
            path.push(next);
            current = next;
        }
        let (mut lo, mut hi) = (0usize, path.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let node = path[mid];
            let ok = match state[node] {
                NodeState::Satisfies => true,
                NodeState::Fails => false,
                NodeState::Unknown => {
                    let e = ev.evaluate(&lattice.levels(node))?;
                    checked += 1;
                    let ok = e.mono_ok;
                    evals[node] = Some(e);
                    if ok {
                        lattice.tag(node, &mut state, NodeState::Satisfies, Direction::Up);
                    } else {
                        lattice.tag(node, &mut state, NodeState::Fails, Direction::Down);
                    }
                    ok
                }
            };
            if ok { hi = mid } else { lo = mid + 1 }
        }
    }

    // Phase 2: the optimum among the nodes that satisfy the monotonic models.
    let mut best: Option<(f64, usize)> = None;
    if monotonicity.models && monotonicity.metric {
        for &node in &order {
            if state[node] != NodeState::Satisfies
                || lattice
                    .predecessors(node)
                    .any(|p| state[p] == NodeState::Satisfies)
            {
                continue;
            }
            let levels = lattice.levels(node);
            let value = match &evals[node] {
                Some(e) => e.value,
                None => match ev.value_from_levels(&levels) {
                    Some(v) => v,
                    None => {
                        let e = ev.evaluate(&levels)?;
                        checked += 1;
                        let v = e.value;
                        evals[node] = Some(e);
                        v
                    }
                },
            };
            if best.is_none_or(|(v, _)| value < v) {
                best = Some((value, node));
            }
        }
    } else {
        let mut pruned = vec![false; size];
        let mut candidates: Vec<(Option<f64>, usize)> = order
            .iter()
            .filter(|&&n| state[n] == NodeState::Satisfies)
            .map(|&n| (ev.bound_from_levels(&lattice.levels(n)), n))
            .collect();
        // Stable: equal bounds keep the lattice order.
        candidates.sort_by(|a, b| a.0.unwrap_or(0.0).total_cmp(&b.0.unwrap_or(0.0)));
        for (cheap, node) in candidates {
            // Candidates come by increasing bound: once it reaches the best value, no later
            // candidate can be better.
            if let (Some(cheap), Some((b, _))) = (cheap, best)
                && cheap >= b
            {
                break;
            }
            if pruned[node] {
                continue;
            }
            let levels = lattice.levels(node);
            let e = match evals[node].take() {
                Some(e) => e,
                None => {
                    checked += 1;
                    ev.evaluate(&levels)?
                }
            };
            if e.anonymous && best.is_none_or(|(v, _)| e.value < v) {
                best = Some((e.value, node));
            }
            if best.is_some_and(|(v, _)| e.bound >= v) {
                lattice.tag(node, &mut pruned, true, Direction::Up);
            }
        }
    }
    Ok((best.map(|(_, node)| lattice.levels(node)), checked))
}
