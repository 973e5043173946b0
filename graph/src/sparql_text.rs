//! A rewrite of SPARQL text before it is parsed: dots inside the local part of prefixed names.
//!
//! SPARQL 1.1 allows any number of dots inside a local name (`PN_LOCAL`: a dot may appear
//! anywhere but at the end), and Tupu's IRIs use them (`cb:kp.gg.三角形.angle_sum`). The
//! parser of spargebra 0.4 accepts only one run of dots in a local name, so such a query fails
//! to parse. An escaped dot (`\.`, `PN_LOCAL_ESC`) means the same character and is accepted
//! anywhere, so every unescaped dot inside a local name is escaped before parsing: the query
//! means exactly what it meant.
//!
//! The scan skips string literals, IRIs and comments. O(n) in the length of the text.

use std::borrow::Cow;

/// Whether `c` may appear in a prefixed name's local part (`PN_CHARS`, `:` and `%`); dots and
/// escapes are handled by the caller.
fn local_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '_' | '-' | ':' | '%' | '\u{00B7}' | '\u{0300}'..='\u{036F}' | '\u{203F}'..='\u{2040}')
}

/// Whether `c` may appear in a prefix (`PN_PREFIX`, without its dots).
fn prefix_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{00B7}')
}

/// The query text with every unescaped dot inside a prefixed name's local part escaped.
/// Returns the text unchanged (borrowed) when there is nothing to escape.
pub(crate) fn escape_local_dots(text: &str) -> Cow<'_, str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut dots = Vec::new(); // byte offsets of the dots to escape
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        match c {
            '#' => {
                while i < chars.len() && chars[i].1 != '\n' {
                    i += 1;
                }
            }
            '"' | '\'' => i = skip_string(&chars, i),
            '<' => i = skip_iri(&chars, i),
            ':' => {
                // A prefixed name: `prefix:local`, where `prefix` is not `_` (blank node label)
                // and is not preceded by `?` or `$` (a variable name cannot hold a colon).
                let mut start = i;
                while start > 0 && prefix_char(chars[start - 1].1) {
                    start -= 1;
                }
                let blank = &text[chars[start].0..chars[i].0] == "_";
                let variable = start > 0 && matches!(chars[start - 1].1, '?' | '$');
                i += 1;
                let mut candidates = Vec::new();
                let mut last_local = None;
                while i < chars.len() {
                    match chars[i].1 {
                        '\\' if i + 1 < chars.len() => {
                            i += 2;
                            last_local = Some(i);
                        }
                        '.' => {
                            candidates.push((i, chars[i].0));
                            i += 1;
                        }
                        c if local_char(c) => {
                            i += 1;
                            last_local = Some(i);
                        }
                        _ => break,
                    }
                }
                if !blank && !variable {
                    // A dot after the last local character ends the triple, it is not part of
                    // the name.
                    let end = last_local.unwrap_or(0);
                    dots.extend(candidates.iter().filter(|(at, _)| *at < end).map(|(_, byte)| *byte));
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if dots.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + dots.len());
    let mut from = 0;
    for at in dots {
        out.push_str(&text[from..at]);
        out.push('\\');
        from = at;
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

/// The index after a string literal starting at `i` (short or long form, with escapes).
fn skip_string(chars: &[(usize, char)], i: usize) -> usize {
    let quote = chars[i].1;
    let long = i + 2 < chars.len() && chars[i + 1].1 == quote && chars[i + 2].1 == quote;
    let mut j = if long { i + 3 } else { i + 1 };
    while j < chars.len() {
        match chars[j].1 {
            '\\' => j += 2,
            c if c == quote => {
                if !long {
                    return j + 1;
                }
                if j + 2 < chars.len() && chars[j + 1].1 == quote && chars[j + 2].1 == quote {
                    return j + 3;
                }
                j += 1;
            }
            '\n' if !long => return j,
            _ => j += 1,
        }
    }
    j
}

/// The index after an IRI starting at `i`, or `i + 1` when the `<` is a comparison.
fn skip_iri(chars: &[(usize, char)], i: usize) -> usize {
    let mut j = i + 1;
    while j < chars.len() {
        match chars[j].1 {
            '>' => return j + 1,
            c if c.is_whitespace() || matches!(c, '<' | '"' | '{' | '}' | '|' | '^' | '`' | '\\') => return i + 1,
            _ => j += 1,
        }
    }
    i + 1
}

#[cfg(test)]
mod tests {
    use super::escape_local_dots;

    fn check(input: &str, expected: &str) {
        assert_eq!(escape_local_dots(input), expected, "{input}");
    }

    #[test]
    fn dots_inside_local_names_are_escaped() {
        check("SELECT * { cb:kp.gg.三角形.angle_sum ?p ?o }", r"SELECT * { cb:kp\.gg\.三角形\.angle_sum ?p ?o }");
        check("ASK { ?s ?p cb:a.b.c. }", r"ASK { ?s ?p cb:a\.b\.c. }");
        check(r"ASK { ?s ?p cb:a\.b.c }", r"ASK { ?s ?p cb:a\.b\.c }");
    }

    #[test]
    fn strings_iris_comments_blank_nodes_and_numbers_are_left_alone() {
        for text in [
            "SELECT * { ?s ?p \"x:a.b.c\" }",
            "SELECT * { ?s ?p '''x:a.b.c''' }",
            "SELECT * { <http://e.org/a.b.c> ?p ?o } # cb:a.b.c",
            "SELECT * { _:b.x.y ?p ?o }",
            "SELECT * { ?s ?p ?o FILTER(?o < 1.5 && ?o > 0.5) }",
            "PREFIX cb: <https://e.org/> SELECT * { cb:a ?p cb:b . }",
        ] {
            check(text, text);
        }
    }

    /// The escaped query parses and names the same IRI.
    #[test]
    fn the_escaped_query_parses() {
        let text = "PREFIX cb: <https://e.org/> SELECT * { cb:kp.gg.三角形.angle_sum ?p ?o }";
        let query = spargebra::SparqlParser::new().parse_query(&escape_local_dots(text)).unwrap();
        assert!(query.to_string().contains("<https://e.org/kp.gg.三角形.angle_sum>"), "{query}");
    }
}
