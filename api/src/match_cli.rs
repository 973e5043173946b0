//! `tupu match`: graduates × posts from JSON Lines files, top k per graduate, streamed.
//!
//! Each line of either file is one object with an `id` and its competencies, in one of two
//! shapes:
//!
//! ```text
//! {"id": 7, "comp": [12, 40], "w": [0.9, 0.3]}
//! {"id": "p7", "competencies": [{"id": "sql", "weight": 0.9, "level": 3, "essential": true}]}
//! ```
//!
//! (graduates give `strength` instead of `weight`, and no `essential`). Competency ids are
//! opaque keys shared by the two files. Any other field (gender, age, region...) is ignored:
//! only competencies enter a score. A line with a `learner` is refused: the files name no
//! graph and no learner store, so a learner's mastery cannot count here; the HTTP routes
//! (`POST /api/v1/match/graduate-posts`, `/api/v1/match/post-graduates`) match learners.
//!
//! Posts are read whole and indexed; graduates are read and matched 4,096 lines at a time, so
//! memory stays at the posts' index plus one chunk whatever the number of graduates.

use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, bail};
use rayon::prelude::*;
use serde::Deserialize;
use tupu_recommend::matching::{Cell, Exposure, Matcher, Profile, Rule, Scored};

/// Graduates read, parsed (in parallel), matched and written at a time.
const CHUNK: usize = 4_096;

#[derive(Deserialize)]
struct Line {
    id: serde_json::Value,
    #[serde(default)]
    comp: Option<Vec<Key>>,
    #[serde(default)]
    w: Option<Vec<f32>>,
    #[serde(default)]
    competencies: Option<Vec<Entry>>,
    /// Refused (see the module documentation); read only to say so.
    #[serde(default)]
    learner: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Entry {
    id: Key,
    #[serde(default)]
    weight: Option<f32>,
    #[serde(default)]
    strength: Option<f32>,
    #[serde(default)]
    level: Option<u8>,
    #[serde(default)]
    essential: Option<bool>,
}

/// The scoring rule of `tupu match`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum MatchRule {
    /// Requirements weighted by essential/optional and idf, levels compared, missing
    /// essentials penalised (the rule of the API).
    Employment,
    /// Cosine of the two weight vectors.
    Cosine,
}

/// A competency id as written: a whole number (also when written as a string of digits in
/// canonical form, so `7` and `"7"` are one competency) or any other string. Read straight from
/// the JSON, with no intermediate value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Num(u64),
    Str(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a competency id: a string or a whole number")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
                Ok(Key::Num(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Key, E> {
                u64::try_from(v).map(Key::Num).map_err(|_| E::custom(format!("{v} is not a competency id")))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(match v.parse::<u64>() {
                    Ok(n) if n.to_string() == v => Key::Num(n),
                    _ => Key::Str(v.to_owned()),
                })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Competency keys → dense indices.
#[derive(Default)]
struct Keys(rustc_hash::FxHashMap<Key, u32>);

impl Keys {
    fn get_or_insert(&mut self, key: &Key) -> u32 {
        let next = self.0.len() as u32;
        *self.0.entry(key.clone()).or_insert(next)
    }

    fn get(&self, key: &Key) -> Option<u32> {
        self.0.get(key).copied()
    }
}

/// How a line's competency keys become dense indices: posts add keys, graduates only look
/// them up (so graduates' lines can be parsed in parallel).
enum KeyAccess<'a> {
    Insert(&'a mut Keys),
    Lookup(&'a Keys),
}

impl KeyAccess<'_> {
    fn id(&mut self, value: &Key) -> Option<u32> {
        match self {
            KeyAccess::Insert(keys) => Some(keys.get_or_insert(value)),
            KeyAccess::Lookup(keys) => keys.get(value),
        }
    }
}

/// One parsed line: its id (as given) and cells (competencies not among the posts' are left out).
fn parse_line(
    text: &str,
    file: &Path,
    number: usize,
    mut keys: KeyAccess<'_>,
    problems: &mut Vec<String>,
) -> Option<(serde_json::Value, Vec<Cell>)> {
    let at = |field: &str, what: String| format!("{}:{number}: {field}: {what}", file.display());
    let line: Line = match serde_json::from_str(text) {
        Ok(l) => l,
        Err(e) => {
            problems.push(at("line", format!("{e}")));
            return None;
        }
    };
    if line.learner.is_some() {
        problems.push(at(
            "learner",
            "tupu match reads no learner store; match a learner's mastery with POST /api/v1/match/graduate-posts or /api/v1/match/post-graduates".into(),
        ));
        return None;
    }
    let mut cells = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    let mut push =
        |comp: Option<u32>, value: f32, level: u8, essential: bool, field: String, problems: &mut Vec<String>| {
            if !(0.0..=1.0).contains(&value) || value.is_nan() {
                problems.push(at(&field, format!("{value} is outside [0, 1]")));
            } else if level > 8 {
                problems.push(at(&field, format!("level {level} is out of range 1–8")));
            } else if let Some(comp) = comp {
                if !seen.insert(comp) {
                    problems.push(at(&field, "the competency is listed twice".into()));
                }
                cells.push(Cell { comp, value, level, essential });
            }
        };
    match (&line.comp, &line.w, &line.competencies) {
        (Some(comp), w, None) => {
            if let Some(w) = w {
                if w.len() != comp.len() {
                    problems.push(at("w", format!("{} weights for {} competencies", w.len(), comp.len())));
                    return None;
                }
            }
            for (i, c) in comp.iter().enumerate() {
                let id = keys.id(c);
                let value = w.as_ref().map_or(1.0, |w| w[i]);
                push(id, value, 0, true, format!("w[{i}]"), problems);
            }
        }
        (None, None, Some(list)) => {
            for (i, e) in list.iter().enumerate() {
                let id = keys.id(&e.id);
                let value = e.weight.or(e.strength).unwrap_or(1.0);
                push(
                    id,
                    value,
                    e.level.unwrap_or(0),
                    e.essential.unwrap_or(true),
                    format!("competencies[{i}]"),
                    problems,
                );
            }
        }
        _ => {
            problems.push(at("comp", "give either \"comp\" (with \"w\") or \"competencies\"".into()));
            return None;
        }
    }
    Some((line.id, cells))
}

fn open(path: &Path) -> anyhow::Result<BufReader<std::fs::File>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(BufReader::with_capacity(1 << 20, file))
}

/// Runs `tupu match`.
pub(crate) fn run(
    graduates: &Path,
    posts: &Path,
    k: usize,
    rule: MatchRule,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    if k == 0 {
        bail!("--top must be at least 1");
    }
    // Posts: read whole, every problem reported before anything is written.
    let mut keys = Keys::default();
    let mut problems = Vec::new();
    let mut post_ids = Vec::new();
    let mut post_cells = Vec::new();
    // Each post id and the line it is first on: a result naming a post must name one.
    let mut first_line: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, line) in open(posts)?.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", posts.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        if let Some((id, cells)) = parse_line(&line, posts, i + 1, KeyAccess::Insert(&mut keys), &mut problems) {
            if let Some(first) = first_line.insert(id.to_string(), i + 1) {
                first_line.insert(id.to_string(), first);
                problems.push(format!(
                    "{}:{}: id: the id {id} is also on line {first}; give each post its own id",
                    posts.display(),
                    i + 1
                ));
                continue;
            }
            post_ids.push(id);
            post_cells.push(cells);
        }
    }
    if !problems.is_empty() {
        for p in problems.iter().take(50) {
            eprintln!("{p}");
        }
        bail!("{} problem(s) in {}; nothing was matched", problems.len(), posts.display());
    }
    let comps = keys.0.len();
    let (profiles, rule): (Vec<Profile>, Rule) = match rule {
        MatchRule::Cosine => (post_cells.into_iter().map(|c| Profile::new(c).unit()).collect(), Rule::Dot),
        MatchRule::Employment => {
            // idf over the posts: a competency most posts ask for counts for little.
            let mut df = vec![0u32; comps];
            for cells in &post_cells {
                for c in cells {
                    df[c.comp as usize] += 1;
                }
            }
            let n = post_cells.len() as f32;
            let profiles = post_cells
                .into_iter()
                .map(|cells| {
                    let cells = cells
                        .into_iter()
                        .map(|mut c| {
                            let base = if c.essential { 1.0 } else { tupu_recommend::matching::OPTIONAL_FACTOR };
                            c.value *= base * (((1.0 + n) / (1.0 + df[c.comp as usize] as f32)).ln() + 0.1);
                            c
                        })
                        .collect();
                    Profile::new(cells).normalised()
                })
                .collect();
            (profiles, Rule::Requirements { penalty: tupu_recommend::matching::ESSENTIAL_PENALTY })
        }
    };
    let matcher = Matcher::new(rule, comps, &profiles);

    // Graduates: streamed in chunks. A malformed line stops the run before its chunk is written.
    let size = std::fs::metadata(graduates).map(|m| m.len()).unwrap_or(0);
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(size);
        if let Ok(style) = indicatif::ProgressStyle::with_template("matching [{bar:40}] {bytes}/{total_bytes} ({eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let out: Box<dyn Write + Send> = match output {
        Some(path) => {
            Box::new(std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?)
        }
        None => Box::new(std::io::stdout()),
    };
    let mut exposure = Exposure::new(matcher.len());
    let started = std::time::Instant::now();
    let mut total = 0usize;
    let mut top1 = 0.0f64;
    let reader = open(graduates)?;
    // Three stages, so that reading and writing overlap the matching: a reader thread reads
    // chunks of lines, this thread parses and matches them on every core, a writer thread
    // writes each chunk's answer lines. Two chunks at most wait between stages.
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (chunks, incoming) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<(usize, String)>>>(2);
        let (answers, outgoing) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(2);
        let bar = &bar;
        scope.spawn(move || {
            let mut reader = reader;
            let mut number = 0usize;
            loop {
                let mut lines = Vec::with_capacity(CHUNK);
                while lines.len() < CHUNK {
                    let mut text = String::new();
                    match reader.read_line(&mut text) {
                        Ok(0) => break,
                        Ok(read) => {
                            number += 1;
                            bar.inc(read as u64);
                            if !text.trim().is_empty() {
                                lines.push((number, text));
                            }
                        }
                        Err(e) => {
                            let _ = chunks.send(Err(e));
                            return;
                        }
                    }
                }
                let last = lines.len() < CHUNK;
                // A closed channel: the matching stopped at a bad chunk.
                if chunks.send(Ok(lines)).is_err() || last {
                    return;
                }
            }
        });
        let writer = scope.spawn(move || -> std::io::Result<()> {
            let mut out = BufWriter::with_capacity(1 << 20, out);
            for lines in outgoing {
                for line in lines {
                    out.write_all(&line)?;
                }
            }
            out.flush()
        });
        for lines in incoming {
            let lines = lines.with_context(|| format!("cannot read {}", graduates.display()))?;
            let parsed: Vec<(Option<(serde_json::Value, Vec<Cell>)>, Vec<String>)> = lines
                .par_iter()
                .map(|(n, text)| {
                    let mut found = Vec::new();
                    let line = parse_line(text, graduates, *n, KeyAccess::Lookup(&keys), &mut found);
                    (line, found)
                })
                .collect();
            let mut ids = Vec::with_capacity(parsed.len());
            let mut chunk = Vec::with_capacity(parsed.len());
            for (line, found) in parsed {
                problems.extend(found);
                let Some((id, cells)) = line else { continue };
                let profile = Profile::new(cells);
                ids.push(id);
                chunk.push(if rule == Rule::Dot { profile.unit() } else { profile });
            }
            if !problems.is_empty() {
                break;
            }
            total += chunk.len();
            let mut tops: Vec<Vec<Scored>> = vec![Vec::new(); chunk.len()];
            let part = matcher.top_k_batch(&chunk, k, |i, top| tops[i] = top);
            exposure.merge(&part);
            top1 += tops.iter().map(|top| top.first().map_or(0.0, |s| f64::from(s.score))).sum::<f64>();
            let lines: Vec<Vec<u8>> = tops
                .par_iter()
                .zip(ids.par_iter())
                .map(|(top, id)| {
                    // `{"graduate": ID, "top": [{"post": ID, "score": S}, ...]}`, written directly.
                    let mut line = Vec::with_capacity(32 + 40 * top.len());
                    line.extend_from_slice(b"{\"graduate\":");
                    serde_json::to_writer(&mut line, id)?;
                    line.extend_from_slice(b",\"top\":[");
                    for (i, s) in top.iter().enumerate() {
                        line.extend_from_slice(if i == 0 { b"{\"post\":" } else { b",{\"post\":" });
                        serde_json::to_writer(&mut line, &post_ids[s.target as usize])?;
                        line.extend_from_slice(b",\"score\":");
                        serde_json::to_writer(&mut line, &s.score)?;
                        line.push(b'}');
                    }
                    line.extend_from_slice(b"]}\n");
                    Ok(line)
                })
                .collect::<Result<_, serde_json::Error>>()?;
            if answers.send(lines).is_err() {
                break;
            }
        }
        drop(answers);
        let written = writer.join().map_err(|_| anyhow::anyhow!("the writer thread panicked"))?;
        written.context("cannot write the matches")
    })?;
    if !problems.is_empty() {
        for p in problems.iter().take(50) {
            eprintln!("{p}");
        }
        bail!("{} problem(s) in {}; matching stopped at the first bad chunk", problems.len(), graduates.display());
    }
    bar.finish_and_clear();
    let report = exposure.report();
    eprintln!(
        "matched {total} graduates against {} posts in {:.2} s; sum of top-1 scores {top1:.3}; exposure: {}",
        matcher.len(),
        started.elapsed().as_secs_f64(),
        serde_json::to_string(&report)?
    );
    Ok(())
}
