//! Splitting a shell line into words: spaces separate, `'…'` is literal,
//! `"…"` allows `\"` and `\\`, and a backslash outside quotes escapes the
//! next character, so names with spaces work as in a POSIX shell.

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("unclosed quote")]
pub struct UnclosedQuote;

pub fn split(line: &str) -> Result<Vec<String>, UnclosedQuote> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let word = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(UnclosedQuote),
                    }
                }
            }
            '"' => {
                let word = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(UnclosedQuote),
                        },
                        Some(c) => word.push(c),
                        None => return Err(UnclosedQuote),
                    }
                }
            }
            '\\' => {
                let word = word.get_or_insert_with(String::new);
                word.push(chars.next().unwrap_or('\\'));
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// `text` as one word [`split`] gives back: quoted when it needs to be.
pub fn quote(text: &str) -> String {
    let plain = !text.is_empty() && text.chars().all(|c| c.is_alphanumeric() || "._-/+@:,=%".contains(c));
    if plain { text.to_owned() } else { format!("'{}'", text.replace('\'', r"'\''")) }
}

#[cfg(test)]
mod tests {
    use super::{UnclosedQuote, quote, split};

    #[test]
    fn words_quotes_and_escapes() {
        assert_eq!(split("  get -r  docs ").unwrap(), ["get", "-r", "docs"]);
        assert_eq!(split(r#"get "my file.txt" 'it''s' a\ b"#).unwrap(), ["get", "my file.txt", "its", "a b"]);
        assert_eq!(split(r#"cd "say \"hi\" \n""#).unwrap(), ["cd", r#"say "hi" \n"#]);
        assert_eq!(split("ls ''").unwrap(), ["ls", ""]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("get 'open"), Err(UnclosedQuote));
        assert_eq!(split("get \"open"), Err(UnclosedQuote));
    }

    #[test]
    fn quote_round_trips() {
        for text in ["plain.txt", "with space", "it's", "ünïcødé 名前", "", "a\"b", "dir/sub"] {
            assert_eq!(split(&quote(text)).unwrap(), [text], "{text:?}");
        }
    }
}
