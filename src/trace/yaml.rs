//! A line-oriented reader for the YAML subset that `libinput record` writes.
//!
//! Owns: turning lines into an indentation tree of `key: value` and `- item` nodes, each with
//! its 1-based line, so that the libinput walker can report `file:line:` errors. A general
//! YAML crate would lose line numbers and accept far more than the recorder produces.
//!
//! Subset: block mappings and sequences (a sequence may sit at its key's indentation), plain
//! or double-quoted scalars, flow lists `[a, b]` (possibly spanning lines, as the kernel docs
//! wrap `hid:`), `#` comments outside quotes. Not supported: anchors, tags, block scalars,
//! multi-document streams; such input ends up as an error in the walker.
//!
//! Tabs: strict YAML forbids them in indentation, but `libinput record` never writes tabs, so
//! one can only come from a human copy (the kernel's `hidintro.rst` example has them). A tab
//! in indentation advances to the next multiple of 8 columns, the usual rendering; inside a
//! line tabs are plain blanks. Consistent sibling indentation is still enforced.

use super::error::Bad;
use super::text::numbered_lines;

/// One mapping entry or sequence item. A `- key: value` line becomes an item node with a
/// key node child at the content column, so further keys of that item are its siblings.
#[derive(Debug)]
pub(crate) struct Node {
    pub line: usize,
    indent: usize,
    /// A `- ` sequence item.
    pub dash: bool,
    /// Mapping key, if any.
    pub key: Option<String>,
    /// Scalar or flow value (empty when the entry only has children), comments removed.
    pub value: String,
    pub children: Vec<usize>,
}

/// The parsed tree; index 0 is a synthetic root.
#[derive(Debug)]
pub(crate) struct Doc {
    nodes: Vec<Node>,
}

impl Doc {
    /// Builds the tree, checking indentation and flow-bracket balance.
    pub fn parse(text: &str) -> Result<Doc, Bad> {
        let mut doc = Doc {
            nodes: vec![Node::new(0, 0, false, None, "")],
        };
        let mut stack: Vec<usize> = Vec::new();
        let mut lines = numbered_lines(text);
        while let Some((n, raw)) = lines.next() {
            let (indent, content) = split_indent(raw);
            let mut content = strip_comment(content).trim_end().to_owned();
            if content.is_empty() {
                continue;
            }
            // A flow list left open continues on the following lines.
            let mut open = depth(&content);
            while open > 0 {
                let (_, more) = lines.next().ok_or(Bad::at(n, "unterminated [ list"))?;
                let more = strip_comment(more).trim();
                open = open.saturating_add(depth(more));
                content.push(' ');
                content.push_str(more);
            }
            if open < 0 {
                return Err(Bad::at(n, "unbalanced ] in list"));
            }
            let (dash, indent, body) = match content.strip_prefix('-') {
                Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t']) => {
                    let body = rest.trim_start();
                    let col = indent.saturating_add(content.len().saturating_sub(body.len()));
                    doc.attach(&mut stack, Node::new(n, indent, true, None, ""))?;
                    (true, col, body)
                }
                _ => (false, indent, content.as_str()),
            };
            if dash && !has_key(body) {
                if let Some(item) = stack.last().and_then(|&i| doc.nodes.get_mut(i)) {
                    item.value = body.to_owned();
                }
                continue;
            }
            let (key, value) = split_key(body).ok_or(Bad::at(n, "expected key: value"))?;
            doc.attach(&mut stack, Node::new(n, indent, false, Some(key), value))?;
        }
        Ok(doc)
    }

    /// Top-level nodes.
    pub fn roots(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .first()
            .into_iter()
            .flat_map(|root| self.kids(root))
    }

    /// The children of `node`, which must come from this document.
    pub fn kids<'d>(&'d self, node: &'d Node) -> impl Iterator<Item = &'d Node> {
        node.children.iter().filter_map(|&k| self.nodes.get(k))
    }

    /// Finds the parent on `stack`, checks sibling indentation, appends `node`, opens it.
    fn attach(&mut self, stack: &mut Vec<usize>, node: Node) -> Result<(), Bad> {
        while let Some(p) = stack.last().and_then(|&i| self.nodes.get(i)) {
            let same_level_list =
                p.indent == node.indent && node.dash && !p.dash && p.value.is_empty();
            if p.indent < node.indent || same_level_list {
                break;
            }
            stack.pop();
        }
        let parent = stack.last().copied().unwrap_or(0);
        let first_sibling = self.nodes.get(parent).and_then(|p| p.children.first());
        let sibling_indent = first_sibling
            .and_then(|&s| self.nodes.get(s))
            .map(|s| s.indent);
        if sibling_indent.is_some_and(|i| i != node.indent) {
            return Err(Bad::at(
                node.line,
                "indentation differs from the entries above it",
            ));
        }
        let idx = self.nodes.len();
        self.nodes.push(node);
        if let Some(p) = self.nodes.get_mut(parent) {
            p.children.push(idx);
        }
        stack.push(idx);
        Ok(())
    }
}

impl Node {
    fn new(line: usize, indent: usize, dash: bool, key: Option<&str>, value: &str) -> Node {
        let (key, value) = (key.map(str::to_owned), value.to_owned());
        Node {
            line,
            indent,
            dash,
            key,
            value,
            children: Vec::new(),
        }
    }
}

/// Column of the first non-blank character (tabs to the next multiple of 8) and the rest.
fn split_indent(line: &str) -> (usize, &str) {
    let mut col = 0usize;
    for (i, c) in line.char_indices() {
        match c {
            ' ' => col = col.saturating_add(1),
            '\t' => col = (col / 8).saturating_add(1).saturating_mul(8),
            _ => return (col, line.get(i..).unwrap_or("")),
        }
    }
    (col, "")
}

/// Removes a `#` comment that starts the line or follows a blank, outside double quotes.
fn strip_comment(s: &str) -> &str {
    let mut quoted = false;
    let mut prev_blank = true;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted && prev_blank => return s.get(..i).unwrap_or(""),
            _ => {}
        }
        prev_blank = c == ' ' || c == '\t';
    }
    s
}

/// Net `[`/`{` nesting outside quotes (negative means a stray closer).
fn depth(s: &str) -> i64 {
    let mut quoted = false;
    let mut d = 0i64;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => d = d.saturating_add(1),
            ']' | '}' if !quoted => d = d.saturating_sub(1),
            _ => {}
        }
    }
    d
}

fn has_key(body: &str) -> bool {
    split_key(body).is_some()
}

/// `key: value` or `key:`; flow collections and quoted scalars have no key.
fn split_key(body: &str) -> Option<(&str, &str)> {
    if body.starts_with(['[', '{', '"']) {
        return None;
    }
    let (key, value) = match body.split_once(": ") {
        Some((k, v)) => (k, v),
        None => (body.strip_suffix(':')?, ""),
    };
    let key = key.trim_end();
    (!key.is_empty() && !key.contains(' ')).then_some((key, value.trim()))
}

/// The items of a one-line flow list `[a, b, c]`, trimmed; `None` if `value` is not one.
pub(crate) fn flow_list(value: &str) -> Option<Vec<&str>> {
    let inner = value.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    if inner.is_empty() {
        return Some(Vec::new());
    }
    let items: Vec<&str> = inner.split(',').map(str::trim).collect();
    items.iter().all(|i| !i.is_empty()).then_some(items)
}

/// A scalar without one layer of double quotes.
pub(crate) fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}
