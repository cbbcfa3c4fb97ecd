//! One pass over a message's text for all the rule set's substrings, and one for all its regexes,
//! instead of one pass per condition. Results are bitsets consulted by the conditions.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder, SetMatches};

/// Regexes larger than this once compiled are refused, so one rule cannot eat the service's memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A regex condition: tested through the shared set, or on its own when the set could not run it
/// fast (see [`Scanners::regex`]).
#[derive(Debug)]
pub(crate) enum RegexTest {
    InSet(usize),
    Alone(Box<Regex>),
}

/// Collects needles and patterns while rules compile.
#[derive(Debug, Default)]
pub(crate) struct ScannersBuilder {
    needles: Vec<String>,
    patterns: Vec<String>,
}

impl ScannersBuilder {
    /// The id of a folded needle, shared by every condition looking for it.
    pub(crate) fn needle(&mut self, folded: String) -> usize {
        if let Some(id) = self.needles.iter().position(|known| *known == folded) {
            return id;
        }
        self.needles.push(folded);
        self.needles.len() - 1
    }

    /// Validates a pattern and decides how it runs. Patterns with a Unicode word boundary (`\b`,
    /// `\B`) run alone: the set's fast engine gives up on them whenever the text is not ASCII,
    /// which would slow every other pattern of the set down with them.
    pub(crate) fn regex(
        &mut self,
        pattern: &str,
        case_sensitive: bool,
    ) -> Result<RegexTest, regex::Error> {
        let regex = RegexBuilder::new(pattern)
            .case_insensitive(!case_sensitive)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()?;
        if pattern.contains("\\b") || pattern.contains("\\B") {
            return Ok(RegexTest::Alone(Box::new(regex)));
        }
        let flags = if case_sensitive { "" } else { "(?i)" };
        self.patterns.push(format!("{flags}(?:{pattern})"));
        Ok(RegexTest::InSet(self.patterns.len() - 1))
    }

    pub(crate) fn build(self) -> Result<Scanners, String> {
        let automaton = if self.needles.is_empty() {
            None
        } else {
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                // A full DFA: the needle set is small and built once, and scanning is one table
                // lookup per byte.
                .kind(Some(AhoCorasickKind::DFA))
                .prefilter(false)
                .build(&self.needles)
                .map_err(|error| error.to_string())?;
            Some(automaton)
        };
        let set = if self.patterns.is_empty() {
            None
        } else {
            let set = RegexSetBuilder::new(&self.patterns)
                .size_limit(REGEX_SIZE_LIMIT * self.patterns.len())
                .build()
                .map_err(|error| error.to_string())?;
            Some(set)
        };
        Ok(Scanners { needle_count: self.needles.len(), automaton, set })
    }
}

/// The compiled scanners of a rule set.
#[derive(Debug)]
pub(crate) struct Scanners {
    needle_count: usize,
    automaton: Option<AhoCorasick>,
    set: Option<RegexSet>,
}

impl Scanners {
    /// Which needles occur in the folded text, as a bitset by needle id.
    pub(crate) fn needles_in(&self, folded: &str) -> Vec<u64> {
        let mut found = vec![0u64; self.needle_count.div_ceil(64)];
        if let Some(automaton) = &self.automaton {
            // Overlapping, so a needle inside another (`card`, `gift card`) is found too.
            for hit in automaton.find_overlapping_iter(folded) {
                let id = hit.pattern().as_usize();
                found[id / 64] |= 1 << (id % 64);
            }
        }
        found
    }

    /// Which set patterns match the text as written.
    pub(crate) fn patterns_in(&self, text: &str) -> Option<SetMatches> {
        self.set.as_ref().map(|set| set.matches(text))
    }
}

/// Whether bit `id` is set.
pub(crate) fn has_bit(bits: &[u64], id: usize) -> bool {
    bits.get(id / 64).is_some_and(|word| word & (1 << (id % 64)) != 0)
}
