//! The serialised form of a [`Snapshot`]: its stored parts in postcard (a compact binary
//! format of serde), from which the derived structures are rebuilt on decoding.
//!
//! Only what compilation reads from the store is written: IRIs, kinds, labels, attributes,
//! frameworks, symbols and the forward rows of every relation. The backward rows, the IRI and
//! local-name indexes, the topological order, the depths and the replacements are derived
//! again by [`Snapshot::derive`], as [`SnapshotBuilder::build`](super::SnapshotBuilder::build)
//! derives them, in O(n + m log d): so a decoded snapshot equals the encoded one.

use std::borrow::Cow;
use std::sync::Arc;

use super::{Csr, Edge, HashMap, Label, NodeAttrs, NodeId, NodeKind, Relation, Snapshot, Sym};

/// The serialised snapshot. Encoding borrows every part; decoding borrows the IRIs from the
/// bytes and owns the rest.
#[derive(serde::Serialize, serde::Deserialize)]
struct Form<'a> {
    #[serde(borrow)]
    iris: Vec<&'a str>,
    kinds: Cow<'a, [NodeKind]>,
    labels: Vec<Cow<'a, [Label]>>,
    attrs: Cow<'a, [NodeAttrs]>,
    frameworks: Cow<'a, [Option<Sym>]>,
    symbols: Cow<'a, [Box<str>]>,
    /// One entry per relation, in the order of [`Relation::ALL`].
    forward: Vec<Rows<'a>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Rows<'a> {
    offsets: Cow<'a, [u32]>,
    edges: Cow<'a, [Edge]>,
}

impl Snapshot {
    /// Appends the serialised snapshot (without its version) to `out`. O(n + m).
    pub(crate) fn encode_into(&self, out: Vec<u8>) -> Result<Vec<u8>, postcard::Error> {
        let form = Form {
            iris: self.iris.iter().map(|iri| &**iri).collect(),
            kinds: Cow::Borrowed(&self.kinds),
            labels: self.labels.iter().map(|l| Cow::Borrowed(&**l)).collect(),
            attrs: Cow::Borrowed(&self.attrs),
            frameworks: Cow::Borrowed(&self.frameworks),
            symbols: Cow::Borrowed(&self.symbols),
            forward: self
                .forward
                .iter()
                .map(|rows| Rows { offsets: Cow::Borrowed(&rows.offsets), edges: Cow::Borrowed(&rows.edges) })
                .collect(),
        };
        postcard::to_extend(&form, out)
    }

    /// The snapshot of `version` serialised in `bytes` by [`Snapshot::encode_into`], or what
    /// makes the bytes no snapshot: a decoding error, trailing bytes, or parts that do not fit
    /// together (lengths, offsets, node and symbol indices out of range, a repeated IRI), so
    /// that no later lookup can panic. O(n + m log d).
    pub(crate) fn decode(version: u64, bytes: &[u8]) -> Result<Snapshot, String> {
        let (form, rest): (Form<'_>, _) = postcard::take_from_bytes(bytes).map_err(|e| e.to_string())?;
        if !rest.is_empty() {
            return Err(format!("{} bytes follow the snapshot", rest.len()));
        }
        let n = form.iris.len();
        let lengths = [form.kinds.len(), form.labels.len(), form.attrs.len(), form.frameworks.len()];
        if lengths.iter().any(|&len| len != n) {
            return Err(format!("{n} IRIs but {lengths:?} kinds, labels, attributes and frameworks"));
        }
        if form.forward.len() != Relation::COUNT {
            return Err(format!("{} relations instead of {}", form.forward.len(), Relation::COUNT));
        }
        let symbols = form.symbols.len();
        let symbol_ok = |s: &Option<Sym>| s.is_none_or(|s| s.index() < symbols);
        let attrs_ok =
            form.attrs.iter().all(|a| [a.thread, a.topic, a.domain, a.subject, a.resource_type].iter().all(symbol_ok));
        if !attrs_ok || !form.frameworks.iter().all(symbol_ok) {
            return Err("a symbol index is out of range".into());
        }
        let mut forward = Vec::with_capacity(Relation::COUNT);
        for (relation, rows) in Relation::ALL.iter().zip(form.forward) {
            let (offsets, edges) = (rows.offsets.into_owned(), rows.edges.into_owned());
            let well_formed = offsets.len() == n + 1
                && offsets.first() == Some(&0)
                && offsets.windows(2).all(|w| w[0] <= w[1])
                && offsets.last().is_some_and(|&last| last as usize == edges.len())
                && edges.iter().all(|e| e.node.index() < n);
            if !well_formed {
                return Err(format!("the rows of {relation} do not fit the {n} nodes"));
            }
            forward.push(Csr { offsets, edges });
        }
        let iris: Vec<Arc<str>> = form.iris.into_iter().map(Arc::from).collect();
        let mut by_iri: HashMap<Arc<str>, NodeId> = HashMap::with_capacity_and_hasher(n, Default::default());
        for (i, iri) in iris.iter().enumerate() {
            if by_iri.insert(iri.clone(), NodeId::new(i)).is_some() {
                return Err(format!("the IRI {iri} is given twice"));
            }
        }
        let snapshot = Snapshot {
            version,
            iris,
            kinds: form.kinds.into_owned(),
            labels: form.labels.into_iter().map(|l| Arc::from(l.into_owned())).collect(),
            attrs: form.attrs.into_owned(),
            frameworks: form.frameworks.into_owned(),
            symbols: form.symbols.into_owned(),
            by_iri,
            forward,
            ..Snapshot::underived()
        };
        Ok(snapshot.derive())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{BktParams, MasteryLevel, SnapshotBuilder};
    use super::*;

    /// Every kind of part: labels in two languages, attributes with symbols and BKT
    /// parameters, a framework, qualified, symmetric and replacement edges, a prerequisite
    /// chain whose rows are reordered by depth.
    fn sample() -> Snapshot {
        let mut b = SnapshotBuilder::new();
        let [a, c, d, e] =
            ["a", "c", "d", "e"].map(|l| b.node(&format!("https://example.org/p/{l}"), NodeKind::KnowledgePoint));
        let skill = b.node("https://example.org/p#skill", NodeKind::Competency);
        b.label(a, "en", "addition");
        b.label(a, "zh", "加法");
        b.framework(a, "https://w3id.org/tupu/graph/p");
        let thread = b.symbol("numbers");
        *b.attrs_mut(a) = NodeAttrs {
            grade: Some(2),
            sequence: Some(7),
            difficulty: Some(0.25),
            learning_minutes: Some(40.0),
            mastery_level: Some(MasteryLevel::Apply),
            thread: Some(thread),
            bkt: Some(BktParams { prior: 0.1, learn: 0.2, slip: 0.05, guess: 0.2, forget: 0.01 }),
            ..NodeAttrs::default()
        };
        b.edge(Relation::Requires, d, c, 1.0);
        b.edge(Relation::Requires, d, a, 1.0);
        b.edge(Relation::Requires, c, a, 1.0);
        b.edge(Relation::RelatedTo, a, d, 1.0);
        b.edge(Relation::ReplacedBy, e, d, 1.0);
        b.qualified_edge(Relation::Supports, a, Edge { node: skill, weight: 0.5, level: 3, essential: false });
        b.build(42)
    }

    #[test]
    fn a_decoded_snapshot_equals_the_encoded_one() {
        let s = sample();
        let bytes = s.encode_into(Vec::new()).unwrap();
        let decoded = Snapshot::decode(42, &bytes).unwrap();
        assert_eq!(decoded, s);
        // The derived parts are there, not only the stored ones.
        let [a, d] = ["a", "d"].map(|l| decoded.resolve(l).unwrap());
        assert_eq!(decoded.depth(d), 2);
        assert_eq!(decoded.dependents(a).count(), 2);
        assert_eq!(decoded.replacements(decoded.resolve("e").unwrap()), [d]);
        assert_eq!(decoded.label(a, Some("zh")), "加法");
        // The version is the one given, not a stored one.
        assert_eq!(Snapshot::decode(43, &bytes).unwrap().version(), 43);
    }

    #[test]
    fn bytes_that_are_no_snapshot_are_refused() {
        let bytes = sample().encode_into(Vec::new()).unwrap();
        assert!(Snapshot::decode(42, &bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Snapshot::decode(42, &longer).unwrap_err().contains("follow"));
        // A row that points past the nodes.
        let mut s = sample();
        let rows = &mut s.forward[Relation::Supports.slot()];
        rows.edges[0].node = NodeId::new(99);
        let tampered = s.encode_into(Vec::new()).unwrap();
        assert!(Snapshot::decode(42, &tampered).unwrap_err().contains("supports"));
    }
}
