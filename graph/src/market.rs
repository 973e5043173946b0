//! The facts of the labour market that the compiled snapshot leaves out: a post's openings,
//! region and date (`schema:totalJobPlaces`, `schema:addressRegion`, `schema:datePosted`), and
//! graduate cohorts (`tupu:GraduateCohort`: how many graduated from one programme, at one
//! institution, in one year — counts only, never a person).
//!
//! Read straight from the store by one scan per predicate: O(posts + cohorts) lookups in
//! hash maps, no per-node query.

use std::collections::HashMap;

use oxigraph::model::vocab::rdf;
use oxigraph::model::{NamedNodeRef, Term};

use crate::compile::{literal_value, named_subject};
use crate::error::GraphError;
use crate::store::GraphStore;
use crate::vocab::{schema, tupu};

/// What a post says about its openings, region and date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostFacts {
    /// The post's IRI.
    pub iri: String,
    /// Openings (`schema:totalJobPlaces`), 1 when not given.
    pub openings: u32,
    /// Region (`schema:addressRegion`).
    pub region: Option<String>,
    /// Date posted (`schema:datePosted`), ISO 8601 `YYYY-MM-DD`.
    pub date: Option<String>,
}

/// A graduate cohort.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cohort {
    /// The cohort's IRI.
    pub iri: String,
    /// IRI of the major, micro-major or course completed (`tupu:programme`).
    pub programme: String,
    /// Number of graduates (`tupu:graduateCount`).
    pub graduates: u64,
    /// Institution (`tupu:institution`).
    pub institution: Option<String>,
    /// Region (`schema:addressRegion`).
    pub region: Option<String>,
    /// Year of graduation (`tupu:graduationYear`).
    pub year: Option<i32>,
}

/// Posts' facts and cohorts of one moment of the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Market {
    /// Every `tupu:Post`, sorted by IRI.
    pub posts: Vec<PostFacts>,
    /// Every `tupu:GraduateCohort` with a programme and a count, sorted by IRI.
    pub cohorts: Vec<Cohort>,
}

impl GraphStore {
    /// The posts' facts and the graduate cohorts now in the store.
    pub fn market(&self) -> Result<Market, GraphError> {
        let store = self.store();
        let typed = |class: NamedNodeRef<'_>| -> Result<Vec<String>, GraphError> {
            let mut out = Vec::new();
            for quad in store.quads_for_pattern(None, Some(rdf::TYPE), Some(class.into()), None) {
                if let Some(iri) = named_subject(&quad?) {
                    out.push(iri.to_owned());
                }
            }
            out.sort();
            out.dedup();
            Ok(out)
        };
        let values = |predicate: NamedNodeRef<'_>| -> Result<HashMap<String, String>, GraphError> {
            let mut out = HashMap::new();
            for quad in store.quads_for_pattern(None, Some(predicate), None, None) {
                let quad = quad?;
                let value = match &quad.object {
                    Term::NamedNode(n) => Some(n.as_str().to_owned()),
                    other => literal_value(other).map(|v| v.trim().to_owned()),
                };
                if let (Some(iri), Some(value)) = (named_subject(&quad), value) {
                    out.insert(iri.to_owned(), value);
                }
            }
            Ok(out)
        };
        let openings = values(schema::TOTAL_JOB_PLACES)?;
        let regions = values(schema::ADDRESS_REGION)?;
        let dates = values(schema::DATE_POSTED)?;
        let posts = typed(tupu::POST)?
            .into_iter()
            .map(|iri| PostFacts {
                openings: openings.get(&iri).and_then(|v| v.parse().ok()).unwrap_or(1),
                region: regions.get(&iri).cloned(),
                date: dates.get(&iri).cloned(),
                iri,
            })
            .collect();
        let programmes = values(tupu::PROGRAMME)?;
        let counts = values(tupu::GRADUATE_COUNT)?;
        let institutions = values(tupu::INSTITUTION)?;
        let years = values(tupu::GRADUATION_YEAR)?;
        let cohorts = typed(tupu::GRADUATE_COHORT)?
            .into_iter()
            .filter_map(|iri| {
                Some(Cohort {
                    programme: programmes.get(&iri)?.clone(),
                    graduates: counts.get(&iri)?.parse().ok()?,
                    institution: institutions.get(&iri).cloned(),
                    region: regions.get(&iri).cloned(),
                    year: years.get(&iri).and_then(|v| v.parse().ok()),
                    iri,
                })
            })
            .collect();
        Ok(Market { posts, cohorts })
    }
}

/// Whether `d` is an ISO 8601 calendar date `YYYY-MM-DD` (month 1–12, day 1–31).
pub fn is_iso_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&d[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&d[8..10].parse::<u8>().unwrap_or(0))
}
