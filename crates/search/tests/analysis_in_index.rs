//! What social text is findable by, through the whole index (analysis, query translation, search).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{doc, ids};
use trellis_core::{SearchIndex, Seq};
use trellis_search::TantivyIndex;

fn index_of(texts: &[&str]) -> TantivyIndex {
    let index = TantivyIndex::in_memory().unwrap();
    let docs = texts.iter().enumerate().map(|(i, text)| doc(i as i64 + 1, text)).collect();
    index.apply(docs, Seq(1)).unwrap();
    index
}

#[test]
fn a_hashtag_is_found_with_and_without_its_hash_in_any_case() {
    let index = index_of(&["Huge deals this #BlackFriday!", "black friday is coming"]);
    assert_eq!(ids(&index, "#blackfriday"), vec![1]);
    assert_eq!(ids(&index, "blackfriday"), vec![1]);
    assert_eq!(ids(&index, "#BLACKFRIDAY"), vec![1]);
}

#[test]
fn a_handle_is_found_by_its_mention() {
    let index = index_of(&["@AcmeSupport my order is late", "acme support is great"]);
    assert_eq!(ids(&index, "@acmesupport"), vec![1]);
    assert_eq!(ids(&index, "acmesupport"), vec![1]);
}

#[test]
fn a_domain_in_a_url_is_found() {
    let index = index_of(&["see https://www.acme.com/help?x=1", "acme made my day. com on"]);
    assert_eq!(ids(&index, "acme.com"), vec![1]);
}

#[test]
fn an_emoji_is_found() {
    let index = index_of(&["this launch is 🔥🔥", "this launch is ok 👍"]);
    assert_eq!(ids(&index, "🔥"), vec![1]);
    assert_eq!(ids(&index, "👍"), vec![2]);
}

#[test]
fn cyrillic_greek_and_arabic_words_are_found_ignoring_case() {
    let index = index_of(&["Где мой ЗАКАЗ?", "Πού είναι η παραγγελία μου", "أين طلبي"]);
    assert_eq!(ids(&index, "заказ"), vec![1]);
    assert_eq!(ids(&index, "παραγγελια"), vec![2]);
    assert_eq!(ids(&index, "طلبي"), vec![3]);
}

#[test]
fn chinese_japanese_and_thai_are_found_without_spaces() {
    let index = index_of(&["我的订单还没有到", "注文した商品が届きません", "สั่งซื้อสินค้าแล้ว"]);
    assert_eq!(ids(&index, "订单"), vec![1]);
    assert_eq!(ids(&index, "商品"), vec![2]);
    assert_eq!(ids(&index, "届きません"), vec![2]);
    assert_eq!(ids(&index, "สินค้า"), vec![3]);
    assert_eq!(ids(&index, "订"), vec![1]);
    assert_eq!(ids(&index, "商品订单"), Vec::<i64>::new());
}

#[test]
fn accents_and_case_are_folded_both_ways() {
    let index = index_of(&["Le CAFÉ était froid", "the cafeteria"]);
    assert_eq!(ids(&index, "cafe"), vec![1]);
    assert_eq!(ids(&index, "Café"), vec![1]);
}

#[test]
fn english_words_match_their_inflections() {
    let index = index_of(&["I want a refund", "you charged me twice", "nothing to see"]);
    assert_eq!(ids(&index, "refunds"), vec![1]);
    assert_eq!(ids(&index, "charging"), vec![2]);
}
