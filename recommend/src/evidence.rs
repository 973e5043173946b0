//! Learner evidence in: Tupu's own event records and xAPI statements, checked as a batch.
//!
//! A native event is `{"node": ID | "resource": ID, "correct": bool | "score": 0..1,
//! "timestamp": RFC 3339}` (timestamp optional: the server's clock). An xAPI statement is
//! recognised by its `verb`: `answered`, `completed`, `passed`, `failed` or `mastered` (the last
//! path segment of `verb.id`); `object.id` names a node or a resource aligned to nodes; the score
//! is `result.score.scaled` (negative values count as 0), else `result.success`, else the verb
//! (`passed`, `mastered`, `completed` = 1, `failed` = 0).
//!
//! A batch is checked whole before anything is applied: every problem is reported with the
//! event's index and field.

use serde_json::Value;
use tupu_graph::{NodeId, NodeKind, Relation, Snapshot};

use crate::model::Observation;

/// A problem with one event of a batch.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EventProblem {
    /// Index of the event in the batch, from 0.
    pub index: usize,
    /// The field at fault (a JSON path such as `result.score.scaled`).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// An event as it is logged: what was observed, resolved to node IRIs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredEvent {
    /// IRI of the node or resource the event was about.
    pub object: String,
    /// Score in [0, 1].
    pub score: f32,
    /// Unix time in seconds.
    pub time: i64,
    /// `event` for Tupu's own records, else the xAPI verb.
    pub verb: String,
}

/// A checked event: what to log and what to observe.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedEvent {
    /// The log record.
    pub stored: StoredEvent,
    /// The observations it stands for (a resource may assess several nodes).
    pub observations: Vec<Observation>,
}

const XAPI_VERBS: [&str; 5] = ["answered", "completed", "passed", "failed", "mastered"];

struct Checker<'a> {
    index: usize,
    problems: &'a mut Vec<EventProblem>,
}

impl Checker<'_> {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(EventProblem { index: self.index, field: field.to_owned(), message: message.into() });
    }
}

/// Parses an RFC 3339 timestamp into Unix seconds.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp())
}

/// The nodes an object stands for: a knowledge point or competency itself, or the nodes a
/// resource assesses (else teaches).
fn targets(snapshot: &Snapshot, object: NodeId) -> Vec<NodeId> {
    if snapshot.kind(object) != NodeKind::Resource {
        return vec![object];
    }
    let assessed = snapshot.out(object, Relation::Assesses);
    let edges = if assessed.is_empty() { snapshot.out(object, Relation::Teaches) } else { assessed };
    edges.iter().map(|e| e.node).collect()
}

fn resolve_object(
    snapshot: &Snapshot,
    c: &mut Checker<'_>,
    field: &str,
    id: &str,
    resource_expected: bool,
) -> Option<NodeId> {
    match snapshot.resolve(id) {
        Ok(node) => {
            if resource_expected && snapshot.kind(node) != NodeKind::Resource {
                c.fail(field, format!("'{id}' is a {}, not a resource; send it as \"node\"", snapshot.kind(node)));
                return None;
            }
            if targets(snapshot, node).is_empty() {
                c.fail(field, format!("resource '{id}' is not aligned to any node (it teaches and assesses nothing)"));
                return None;
            }
            Some(node)
        }
        Err(e) => {
            c.fail(field, format!("{e}; use a node IRI or local name from the graph"));
            None
        }
    }
}

fn check_native(
    snapshot: &Snapshot,
    c: &mut Checker<'_>,
    event: &serde_json::Map<String, Value>,
    now: i64,
) -> Option<(NodeId, f32, i64, String)> {
    let object = match (event.get("node"), event.get("resource")) {
        (Some(Value::String(id)), None) => resolve_object(snapshot, c, "node", id, false),
        (None, Some(Value::String(id))) => resolve_object(snapshot, c, "resource", id, true),
        (Some(_), Some(_)) => {
            c.fail("node", "give either \"node\" or \"resource\", not both");
            None
        }
        (Some(_), None) => {
            c.fail("node", "must be a string");
            None
        }
        (None, Some(_)) => {
            c.fail("resource", "must be a string");
            None
        }
        (None, None) => {
            c.fail("node", "missing: give \"node\" (a node id) or \"resource\" (a resource id)");
            None
        }
    };
    let score = match (event.get("correct"), event.get("score")) {
        (Some(Value::Bool(b)), None) => Some(if *b { 1.0 } else { 0.0 }),
        (None, Some(Value::Number(n))) => match n.as_f64() {
            Some(x) if (0.0..=1.0).contains(&x) => Some(x as f32),
            _ => {
                c.fail("score", format!("{n} is out of range: a score is a number in [0, 1]"));
                None
            }
        },
        (Some(_), Some(_)) => {
            c.fail("score", "give either \"correct\" or \"score\", not both");
            None
        }
        (Some(_), None) => {
            c.fail("correct", "must be true or false");
            None
        }
        (None, Some(_)) => {
            c.fail("score", "must be a number in [0, 1]");
            None
        }
        (None, None) => {
            c.fail("correct", "missing: give \"correct\" (true/false) or \"score\" (0 to 1)");
            None
        }
    };
    let time = timestamp(c, event.get("timestamp"), "timestamp", now);
    Some((object?, score?, time?, "event".to_owned()))
}

/// How far ahead of the server's clock an event's timestamp may be (clocks drift; a
/// timestamp further ahead would make recall never decay).
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

fn timestamp(c: &mut Checker<'_>, value: Option<&Value>, field: &str, now: i64) -> Option<i64> {
    match value {
        None | Some(Value::Null) => Some(now),
        Some(Value::String(s)) => match parse_timestamp(s) {
            Some(t) if t > now.saturating_add(MAX_CLOCK_SKEW_SECS) => {
                c.fail(
                    field,
                    format!(
                        "'{s}' lies in the future (more than {MAX_CLOCK_SKEW_SECS} s ahead of the server's clock); send the time the learner answered"
                    ),
                );
                None
            }
            Some(t) => Some(t),
            None => {
                c.fail(field, format!("'{s}' is not an RFC 3339 timestamp such as 2026-09-01T08:30:00+08:00"));
                None
            }
        },
        Some(_) => {
            c.fail(field, "must be an RFC 3339 timestamp string");
            None
        }
    }
}

fn check_xapi(
    snapshot: &Snapshot,
    c: &mut Checker<'_>,
    st: &serde_json::Map<String, Value>,
    now: i64,
) -> Option<(NodeId, f32, i64, String)> {
    let verb = match st.get("verb").and_then(|v| v.get("id")).and_then(Value::as_str) {
        Some(id) => {
            let name = id.rsplit('/').next().unwrap_or(id);
            if XAPI_VERBS.contains(&name) {
                Some(name.to_owned())
            } else {
                c.fail("verb.id", format!("verb '{id}' is not one of answered, completed, passed, failed, mastered"));
                None
            }
        }
        None => {
            c.fail("verb.id", "an xAPI statement needs verb.id (e.g. http://adlnet.gov/expapi/verbs/answered)");
            None
        }
    };
    let object = match st.get("object").and_then(|o| o.get("id")).and_then(Value::as_str) {
        Some(id) => resolve_object(snapshot, c, "object.id", id, false),
        None => {
            c.fail("object.id", "an xAPI statement needs object.id naming a node or a resource");
            None
        }
    };
    let result = st.get("result");
    let scaled = result.and_then(|r| r.get("score")).and_then(|s| s.get("scaled"));
    let success = result.and_then(|r| r.get("success"));
    let score = match (scaled, success) {
        (Some(Value::Number(n)), _) => match n.as_f64() {
            Some(x) if (-1.0..=1.0).contains(&x) => Some(x.max(0.0) as f32),
            _ => {
                c.fail("result.score.scaled", format!("{n} is out of range: xAPI scaled scores lie in [-1, 1]"));
                None
            }
        },
        (Some(_), _) => {
            c.fail("result.score.scaled", "must be a number in [-1, 1]");
            None
        }
        (None, Some(Value::Bool(b))) => Some(if *b { 1.0 } else { 0.0 }),
        (None, Some(_)) => {
            c.fail("result.success", "must be true or false");
            None
        }
        (None, None) => match verb.as_deref() {
            Some("passed" | "mastered" | "completed") => Some(1.0),
            Some("failed") => Some(0.0),
            Some(_) => {
                c.fail("result", "an 'answered' statement needs result.success or result.score.scaled");
                None
            }
            None => None,
        },
    };
    let time = timestamp(c, st.get("timestamp"), "timestamp", now);
    Some((object?, score?, time?, verb?))
}

/// Checks a batch of events (native records or xAPI statements, mixed). Returns every checked
/// event, or every problem found; nothing is applied here.
pub fn check_events(snapshot: &Snapshot, events: &[Value], now: i64) -> Result<Vec<CheckedEvent>, Vec<EventProblem>> {
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let mut c = Checker { index, problems: &mut problems };
        let Some(map) = event.as_object() else {
            c.fail("", "an event must be a JSON object");
            continue;
        };
        let checked = if map.contains_key("verb") {
            check_xapi(snapshot, &mut c, map, now)
        } else {
            check_native(snapshot, &mut c, map, now)
        };
        if let Some((object, score, time, verb)) = checked {
            let observations =
                targets(snapshot, object).into_iter().map(|node| Observation { node, score, time }).collect();
            out.push(CheckedEvent {
                stored: StoredEvent { object: snapshot.iri(object).to_owned(), score, time, verb },
                observations,
            });
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tupu_graph::SnapshotBuilder;

    fn graph() -> Snapshot {
        let mut b = SnapshotBuilder::new();
        let kp = b.node("https://e.org/kp", NodeKind::KnowledgePoint);
        let ex = b.node("https://e.org/ex", NodeKind::Resource);
        b.node("https://e.org/lonely", NodeKind::Resource);
        b.edge(Relation::Assesses, ex, kp, 1.0);
        b.build(1)
    }

    fn check(events: Value) -> Result<Vec<CheckedEvent>, Vec<EventProblem>> {
        check_events(&graph(), events.as_array().unwrap(), NOW)
    }

    /// The server's clock in these tests: 2027-01-15.
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn timestamps_ahead_of_the_clock_are_refused() {
        let problems = check(json!([
            {"node": "kp", "correct": true, "timestamp": "2099-01-01T00:00:00Z"},
            {"node": "kp", "correct": true, "timestamp": "2027-01-15T08:05:00Z"},
        ]))
        .unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].index, problems[0].field.as_str()), (0, "timestamp"));
        assert!(problems[0].message.contains("future"), "{}", problems[0].message);
    }

    #[test]
    fn native_and_xapi_events_are_read() {
        let ok = check(json!([
            {"node": "kp", "correct": true, "timestamp": "2026-09-01T08:30:00+08:00"},
            {"resource": "ex", "score": 0.25},
            {"verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}, "object": {"id": "https://e.org/ex"}, "result": {"success": false}},
            {"verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}, "object": {"id": "kp"}},
            {"verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}, "object": {"id": "kp"}, "result": {"score": {"scaled": -0.5}}},
        ]))
        .unwrap();
        let scores: Vec<f32> = ok.iter().map(|e| e.stored.score).collect();
        assert_eq!(scores, vec![1.0, 0.25, 0.0, 1.0, 0.0]);
        assert_eq!(ok[0].stored.time, 1_788_222_600);
        assert_eq!(ok[1].stored.time, NOW);
        assert_eq!(ok[1].observations[0].node, graph().resolve("kp").unwrap());
    }

    #[test]
    fn every_problem_is_named_by_index_and_field() {
        let problems = check(json!([
            {"node": "nope", "correct": true},
            {"node": "kp", "score": 1.5},
            {"node": "kp", "correct": true, "timestamp": "yesterday"},
            {"verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}, "object": {"id": "kp"}},
            {"verb": {"id": "x:liked"}, "object": {}},
            {"resource": "lonely", "correct": true},
            {"resource": "kp", "correct": true},
        ]))
        .unwrap_err();
        let at: Vec<(usize, &str)> = problems.iter().map(|p| (p.index, p.field.as_str())).collect();
        assert_eq!(
            at,
            vec![
                (0, "node"),
                (1, "score"),
                (2, "timestamp"),
                (3, "result"),
                (4, "verb.id"),
                (4, "object.id"),
                (5, "resource"),
                (6, "resource")
            ]
        );
    }
}
