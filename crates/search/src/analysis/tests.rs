use super::*;

fn texts(mode: Mode, text: &str) -> Vec<String> {
    SocialTokenizer::new(mode).analyze(text).into_iter().map(|t| t.text).collect()
}

fn with_positions(mode: Mode, text: &str) -> Vec<(String, usize)> {
    SocialTokenizer::new(mode).analyze(text).into_iter().map(|t| (t.text, t.position)).collect()
}

#[test]
fn words_are_folded_and_stemmed() {
    assert_eq!(texts(Mode::Index, "Refunds CHARGING Café"), vec!["refund", "charg", "cafe"]);
    assert_eq!(texts(Mode::Query, "charged cafe"), vec!["charg", "cafe"]);
}

#[test]
fn a_hashtag_is_indexed_whole_and_by_its_body_at_one_position() {
    assert_eq!(
        with_positions(Mode::Index, "love #BlackFriday deals"),
        vec![
            ("love".into(), 0),
            ("#blackfriday".into(), 1),
            ("blackfriday".into(), 1),
            ("deal".into(), 2)
        ]
    );
    assert_eq!(texts(Mode::Query, "#BlackFriday"), vec!["#blackfriday"]);
}

#[test]
fn a_handle_keeps_its_at_sign_and_its_offsets() {
    let tokens = SocialTokenizer::new(Mode::Index).analyze("hi @AcmeSupport!");
    assert_eq!(tokens[1].text, "@acmesupport");
    assert_eq!((tokens[1].offset_from, tokens[1].offset_to), (3, 15));
    assert_eq!(tokens[2].text, "acmesupport");
    assert_eq!(tokens[2].position, tokens[1].position);
}

#[test]
fn urls_split_into_a_phrase_of_their_parts() {
    assert_eq!(
        texts(Mode::Index, "see https://www.acme.com/help"),
        vec!["see", "https", "www", "acm", "com", "help"]
    );
    assert_eq!(texts(Mode::Query, "acme.com"), vec!["acm", "com"]);
}

#[test]
fn each_emoji_is_a_token_without_its_modifiers() {
    assert_eq!(texts(Mode::Index, "so hot🔥🔥 👍🏽 ❤️"), vec!["so", "hot", "🔥", "🔥", "👍", "❤"]);
}

#[test]
fn cyrillic_greek_and_arabic_split_by_word_and_fold_case() {
    assert_eq!(texts(Mode::Index, "Привет МИР"), vec!["привет", "мир"]);
    assert_eq!(texts(Mode::Index, "Καλημέρα κόσμε"), vec!["καλημερα", "κοσμε"]);
    assert_eq!(texts(Mode::Index, "مرحبا بالعالم"), vec!["مرحبا", "بالعالم"]);
}

#[test]
fn unspaced_scripts_become_bigrams_and_indexing_adds_characters() {
    assert_eq!(
        with_positions(Mode::Index, "東京都"),
        vec![
            ("東".into(), 0),
            ("東京".into(), 0),
            ("京".into(), 1),
            ("京都".into(), 1),
            ("都".into(), 2)
        ]
    );
    assert_eq!(with_positions(Mode::Query, "東京都"), vec![("東京".into(), 0), ("京都".into(), 1)]);
    assert_eq!(texts(Mode::Query, "東"), vec!["東"]);
    assert_eq!(texts(Mode::Query, "สวัสดี").len(), "สวัสดี".chars().count() - 1);
}

#[test]
fn mixed_latin_and_japanese_split_at_the_script_boundary() {
    assert_eq!(texts(Mode::Query, "iPhoneが"), vec!["iphon", "が"]);
}

#[test]
fn apostrophes_join_a_word_and_punctuation_is_dropped() {
    assert_eq!(texts(Mode::Index, "don't!! ... (ok)"), vec!["dont", "ok"]);
}

#[test]
fn overlong_tokens_are_dropped() {
    let blob = "x".repeat(200);
    assert_eq!(texts(Mode::Index, &format!("a {blob} b")), vec!["a", "b"]);
}

#[test]
fn offsets_always_fall_on_character_boundaries() {
    let text = "Ça va? #Été @jöhn 東京🔥 ок";
    for token in SocialTokenizer::new(Mode::Index).analyze(text) {
        assert!(text.get(token.offset_from..token.offset_to).is_some(), "{token:?}");
    }
}
