//! Bit histories: one byte summarising what a context has seen.
//!
//! A state stands for a pair of counts (n0, n1) of the zeros and ones seen in a context,
//! and, once both are non-zero, which bit came last. Counts are bounded (the more
//! mixed a history, the lower the bound), and when a bit arrives the opposite count is
//! discounted (above 2 it is roughly halved), so a state favours recent history: the
//! data a context sees is rarely stationary. What a state *means* as a probability is
//! not fixed here; an adaptive map ([`super::adaptive::StateMap`]) learns it per model.
//!
//! The table is generated (breadth-first from the empty history), not written out:
//! state 0 is the empty history, and there are fewer than 256 states.

/// The generated transition table.
#[cfg_attr(test, derive(PartialEq, Debug))]
pub struct States {
    next: [[u8; 2]; 256],
    n: [[u8; 2]; 256],
    #[cfg_attr(not(test), allow(dead_code))]
    count: usize,
}

fn allowed(a: u32, b: u32) -> bool {
    let (lo, hi) = (a.min(b), a.max(b));
    match lo {
        0 => hi <= 40,
        1 => hi <= 20,
        2 => hi <= 10,
        3 => hi <= 6,
        4 | 5 => hi <= 5,
        _ => false,
    }
}

/// (n0, n1, last bit) after seeing `bit`; `last` is 2 while one of the counts is zero.
fn step(n0: u32, n1: u32, bit: usize) -> (u32, u32, u8) {
    let (mut own, mut opp) = if bit == 1 { (n1, n0) } else { (n0, n1) };
    own += 1;
    if opp > 2 {
        opp = (opp + 2) / 2;
    }
    while !allowed(own, opp) && opp > 0 {
        opp -= 1;
    }
    while !allowed(own, opp) {
        own -= 1;
    }
    let (a, b) = if bit == 1 { (opp, own) } else { (own, opp) };
    let last = if a > 0 && b > 0 { bit as u8 } else { 2 };
    (a, b, last)
}

impl States {
    /// Generate the table.
    pub fn new() -> States {
        use std::collections::HashMap;
        let mut index: HashMap<(u32, u32, u8), usize> = HashMap::new();
        let mut order = vec![(0u32, 0u32, 2u8)];
        index.insert((0, 0, 2), 0);
        let mut next = [[0u8; 2]; 256];
        let mut i = 0;
        while i < order.len() {
            let (a, b, _) = order[i];
            for (bit, slot) in next[i].iter_mut().enumerate() {
                let key = step(a, b, bit);
                let j = *index.entry(key).or_insert_with(|| {
                    order.push(key);
                    order.len() - 1
                });
                *slot = j as u8;
            }
            i += 1;
        }
        assert!(order.len() <= 256, "{} states", order.len());
        let mut n = [[0u8; 2]; 256];
        for (s, &(a, b, _)) in order.iter().enumerate() {
            n[s] = [a as u8, b as u8];
        }
        States {
            next,
            n,
            count: order.len(),
        }
    }

    /// The state after `bit`.
    #[inline]
    pub fn next(&self, state: u8, bit: bool) -> u8 {
        self.next[usize::from(state)][usize::from(bit)]
    }

    /// The (zeros, ones) a state stands for.
    #[inline]
    pub fn counts(&self, state: u8) -> (u32, u32) {
        let [a, b] = self.n[usize::from(state)];
        (u32::from(a), u32::from(b))
    }

    /// How many states there are.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.count
    }

    /// A first guess of P(1) in 16 bits for each state: (n1 + ½) / (n0 + n1 + 1).
    pub fn initial_p1(&self, state: u8) -> u32 {
        let (a, b) = self.counts(state);
        (((2 * b + 1) << 16) / (2 * (a + b) + 2)).clamp(1, 65535)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_closed_and_counts_move_the_right_way() {
        let s = States::new();
        assert!(s.len() > 100 && s.len() <= 256, "{}", s.len());
        for st in 0..s.len() as u8 {
            let (a, b) = s.counts(st);
            let (a1, b1) = s.counts(s.next(st, true));
            let (a0, b0) = s.counts(s.next(st, false));
            assert!(b1 >= b.min(19) && a1 <= a, "state {st}");
            assert!(a0 >= a.min(19) && b0 <= b, "state {st}");
            assert!((s.next(st, true) as usize) < s.len());
        }
        // A long run of ones saturates at a deterministic state.
        let mut st = 0;
        for _ in 0..100 {
            st = s.next(st, true);
        }
        assert_eq!(s.counts(st), (0, 40));
        assert!(s.initial_p1(st) > 64000);
    }
}
