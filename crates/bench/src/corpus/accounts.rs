//! The brands and accounts the corpus is addressed to: two brands, each on X, Facebook and
//! Discourse, with the busier brand and the busier channels getting more traffic.

use trellis_core::Channel;

/// One account of the corpus; created in the store by the bench before ingest.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSpec {
    pub brand: &'static str,
    pub channel: Channel,
    /// The account's id on the platform (X user id, Page id, forum host).
    pub platform_account_id: &'static str,
    pub display_name: &'static str,
    /// How the brand's own replies are signed: its handle (X, Discourse) or Page name.
    pub handle: &'static str,
    /// Share of all messages, in per mille.
    pub share_per_mille: u64,
    pub base_url: &'static str,
}

pub const ACCOUNTS: &[AccountSpec] = &[
    AccountSpec {
        brand: "Northwind Coffee",
        channel: Channel::X,
        platform_account_id: "1480000000000000001",
        display_name: "@northwindcoffee",
        handle: "northwindcoffee",
        share_per_mille: 270,
        base_url: "https://api.x.com",
    },
    AccountSpec {
        brand: "Northwind Coffee",
        channel: Channel::Facebook,
        platform_account_id: "104000000000001",
        display_name: "Northwind Coffee (Page)",
        handle: "northwind.coffee",
        share_per_mille: 210,
        base_url: "https://graph.facebook.com",
    },
    AccountSpec {
        brand: "Northwind Coffee",
        channel: Channel::Discourse,
        platform_account_id: "community.northwind.example",
        display_name: "community.northwind.example",
        handle: "northwind_team",
        share_per_mille: 120,
        base_url: "https://community.northwind.example",
    },
    AccountSpec {
        brand: "Contoso Apps",
        channel: Channel::X,
        platform_account_id: "1480000000000000002",
        display_name: "@contosoapps",
        handle: "contosoapps",
        share_per_mille: 180,
        base_url: "https://api.x.com",
    },
    AccountSpec {
        brand: "Contoso Apps",
        channel: Channel::Facebook,
        platform_account_id: "104000000000002",
        display_name: "Contoso Apps (Page)",
        handle: "contoso.apps",
        share_per_mille: 140,
        base_url: "https://graph.facebook.com",
    },
    AccountSpec {
        brand: "Contoso Apps",
        channel: Channel::Discourse,
        platform_account_id: "forum.contoso.example",
        display_name: "forum.contoso.example",
        handle: "contoso_staff",
        share_per_mille: 80,
        base_url: "https://forum.contoso.example",
    },
];

/// How many messages each account gets out of `total`; the rounding remainder goes to the first.
pub fn split(total: u64) -> Vec<u64> {
    let mut targets: Vec<u64> =
        ACCOUNTS.iter().map(|account| total * account.share_per_mille / 1_000).collect();
    let assigned: u64 = targets.iter().sum();
    targets[0] += total - assigned;
    targets
}
