//! Splits a query string into words, quoted phrases and `OR`s. Never fails: an unterminated quote
//! runs to the end of the input, as a search box user would expect.

/// One unit of a query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Lexeme {
    /// The bare word `OR` (uppercase), joining its neighbours.
    Or,
    /// A word (which may be `key:value`, with a quoted value) or a quoted phrase.
    Item { negated: bool, body: Body },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Body {
    /// Everything up to the next whitespace outside quotes, as typed.
    Word(String),
    /// The inside of `"…"`.
    Quoted(String),
}

pub(super) fn lex(input: &str) -> Vec<Lexeme> {
    let mut lexemes = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let mut negated = false;
        if first == '-' {
            chars.next();
            match chars.peek() {
                // A lone dash is punctuation, not an operator.
                None => break,
                Some(c) if c.is_whitespace() => continue,
                Some(_) => negated = true,
            }
        }
        if chars.next_if_eq(&'"').is_some() {
            let phrase: String = chars.by_ref().take_while(|c| *c != '"').collect();
            lexemes.push(Lexeme::Item { negated, body: Body::Quoted(phrase) });
            continue;
        }
        let mut word = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
            word.push(c);
            // `key:"two words"` keeps its quoted value in one word.
            if c == '"' {
                for inner in chars.by_ref() {
                    word.push(inner);
                    if inner == '"' {
                        break;
                    }
                }
            }
        }
        if word == "OR" && !negated {
            lexemes.push(Lexeme::Or);
        } else {
            lexemes.push(Lexeme::Item { negated, body: Body::Word(word) });
        }
    }
    lexemes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(negated: bool, text: &str) -> Lexeme {
        Lexeme::Item { negated, body: Body::Word(text.to_owned()) }
    }

    #[test]
    fn words_phrases_and_or_are_told_apart() {
        assert_eq!(
            lex(r#"refund -"gift card" a OR b"#),
            vec![
                word(false, "refund"),
                Lexeme::Item { negated: true, body: Body::Quoted("gift card".into()) },
                word(false, "a"),
                Lexeme::Or,
                word(false, "b"),
            ]
        );
    }

    #[test]
    fn a_quoted_filter_value_stays_in_its_word() {
        assert_eq!(lex(r#"tag:"vip" x"#), vec![word(false, r#"tag:"vip""#), word(false, "x")]);
    }

    #[test]
    fn an_unterminated_quote_runs_to_the_end() {
        assert_eq!(
            lex(r#""no end here"#),
            vec![Lexeme::Item { negated: false, body: Body::Quoted("no end here".into()) }]
        );
    }

    #[test]
    fn a_lone_dash_and_lowercase_or_are_plain() {
        assert_eq!(lex("a - or"), vec![word(false, "a"), word(false, "or")]);
    }
}
