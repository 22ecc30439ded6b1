//! Tokenisation shared by the model builder and the engine, so both see the same words.
//!
//! A word is a run of alphanumerics with internal apostrophes, hyphens or periods ("patient's",
//! "follow-up", "e.g"). Tokens made only of digits and punctuation become [`NUM`]. Sentences
//! end at `.`, `?`, `!`, `:` and `;` followed by white space (or the end of the text), and at
//! line ends.

/// The folded key that stands for any number ("5", "2/10", "98.6").
pub const NUM: &str = "<num>";
/// The key of the start of a line (a paragraph, a header, a list item): its first words differ
/// from those after a full stop.
pub const PARA: &str = "<p>";
/// The key of a comma: the model sees commas (lists are everywhere in notes) but never offers one.
pub const COMMA: &str = ",";

/// One token of running text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    /// A word as written (not folded).
    Word(&'a str),
    /// A number.
    Num,
    /// A comma.
    Comma,
    /// A sentence boundary.
    Boundary,
    /// A line break: what follows starts a line.
    LineBreak,
}

#[inline]
fn is_joiner(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '-' | '.' | '/' | '_')
}

#[inline]
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Iterate over the tokens of `text`.
pub fn tokens(text: &str) -> Tokens<'_> {
    Tokens { text, pos: 0 }
}

/// Iterator returned by [`tokens`].
pub struct Tokens<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;
    fn next(&mut self) -> Option<Token<'a>> {
        let bytes = self.text.as_bytes();
        let rest = &self.text[self.pos..];
        for (i, c) in rest.char_indices() {
            if is_word_char(c) {
                let start = self.pos + i;
                let mut end = start + c.len_utf8();
                let mut it = self.text[end..].char_indices().peekable();
                while let Some((_, d)) = it.next() {
                    if is_word_char(d) {
                        end += d.len_utf8();
                    } else if is_joiner(d) {
                        // A joiner counts only between two word characters.
                        match it.peek() {
                            Some(&(_, e)) if is_word_char(e) => end += d.len_utf8(),
                            _ => break,
                        }
                    } else {
                        break;
                    }
                }
                self.pos = end;
                let w = &self.text[start..end];
                return Some(if w.chars().any(|c| c.is_alphabetic()) {
                    Token::Word(w)
                } else {
                    Token::Num
                });
            }
            if c == ',' {
                self.pos += i + 1;
                return Some(Token::Comma);
            }
            if c == '\n' {
                self.pos += i + 1;
                return Some(Token::LineBreak);
            }
            if matches!(c, '.' | '?' | '!' | ':' | ';') {
                let after = self.pos + i + c.len_utf8();
                let next = bytes.get(after).copied();
                if next.is_none() || next.is_some_and(|b| b.is_ascii_whitespace()) {
                    self.pos = after;
                    return Some(Token::Boundary);
                }
            }
        }
        self.pos = self.text.len();
        None
    }
}

/// Written in title case: a capital first letter and no other ("Central", "Injection").
pub fn is_title_case(word: &str) -> bool {
    let mut c = word.chars();
    c.next().is_some_and(char::is_uppercase) && c.all(|c| !c.is_uppercase())
}

/// Written in capitals: two letters or more, none in lower case ("MRI", "COVID-1"; not "59").
pub fn is_all_caps(word: &str) -> bool {
    word.chars().filter(|c| c.is_alphabetic()).nth(1).is_some()
        && !word.chars().any(char::is_lowercase)
}

/// `word` with its first letter in upper case ("leopard" -> "Leopard").
pub fn capitalise(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Lower-case `word` into `out` (cleared first); curly apostrophes become straight ones.
pub fn fold_into(word: &str, out: &mut String) {
    out.clear();
    for c in word.chars() {
        if c == '\u{2019}' {
            out.push('\'');
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// Lower-cased copy of `word`.
pub fn fold(word: &str) -> String {
    let mut s = String::with_capacity(word.len());
    fold_into(word, &mut s);
    s
}

/// Largest index `<= max_bytes` from the end of `text` that is a char boundary: the bounded tail
/// that the engine reads.
pub fn tail(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut start = text.len() - max_bytes;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenises_clinical_text() {
        let t: Vec<_> = tokens("Pt's BP 120/80, follow-up in 2 weeks. Denies pain:\nok").collect();
        assert_eq!(
            t,
            vec![
                Token::Word("Pt's"),
                Token::Word("BP"),
                Token::Num,
                Token::Comma,
                Token::Word("follow-up"),
                Token::Word("in"),
                Token::Num,
                Token::Word("weeks"),
                Token::Boundary,
                Token::Word("Denies"),
                Token::Word("pain"),
                Token::Boundary,
                Token::LineBreak,
                Token::Word("ok"),
            ]
        );
        assert_eq!(fold("COVID-19"), "covid-19");
        assert_eq!(fold("don\u{2019}t"), "don't");
        assert_eq!(tail("héllo", 4), "llo");
    }
}
