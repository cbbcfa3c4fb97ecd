//! Platform addresses that outside input names: a Discourse forum's `base_url`, given by an admin
//! over the API or to `trellis account add`. Such an address must not make the server reach into
//! its own network (server-side request forgery): only http(s), no user info, and a host whose
//! every address is public, unless `sync.allow_private_addresses` says this deployment connects
//! to platforms on a private network (the demo and its simulators on 127.0.0.1 do).
//!
//! The platform apps' own addresses (`[x] base_url`, `[facebook] dialog_url`, …) come from the
//! configuration and are trusted as the operator's; they are not checked here.
//!
//! What this does not close: the check resolves the host once, and the connector resolves it
//! again when it connects, so a name whose DNS answer changes in between (DNS rebinding), or a
//! forum that answers with a redirect, may still lead the connector elsewhere. Closing that
//! belongs to the connectors' HTTP client: a `reqwest` DNS resolver that applies
//! [`classify`] to every address it hands out, and a redirect policy that does the same for
//! IP-literal targets.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused. Each message reads after the name of what was given:
/// `base_url {error}`.
#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    #[error("is not a URL: {0}")]
    Malformed(#[from] url::ParseError),
    #[error("must be an http:// or https:// URL, not {0}://")]
    Scheme(String),
    #[error("must not hold a user name or password")]
    UserInfo,
    #[error("must not hold a query or a fragment")]
    QueryOrFragment,
    #[error("has no host")]
    NoHost,
    #[error("names host {host}, which cannot be resolved: {source}")]
    Unresolvable {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("names host {0}, which resolves to no address")]
    NoAddress(String),
    #[error(
        "resolves to {} address ({address}); set sync.allow_private_addresses \
         (TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES=true) to connect forums on a private network",
        class.with_article()
    )]
    NotPublic { address: IpAddr, class: AddressClass },
}

/// The kinds of address that are not on the public internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), unique local `fc00::/7`, site-local
    /// `fec0::/10`.
    Private,
    /// `169.254.0.0/16` (where clouds serve instance metadata), `fe80::/10`.
    LinkLocal,
    /// `100.64.0.0/10`, carrier-grade NAT.
    SharedNat,
    /// `255.255.255.255`.
    Broadcast,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `240.0.0.0/4`, and the deprecated IPv4-compatible IPv6 addresses `::a.b.c.d`.
    Reserved,
}

impl AddressClass {
    fn with_article(self) -> &'static str {
        match self {
            AddressClass::Unspecified => "an unspecified",
            AddressClass::Loopback => "a loopback",
            AddressClass::Private => "a private",
            AddressClass::LinkLocal => "a link-local",
            AddressClass::SharedNat => "a carrier-grade NAT",
            AddressClass::Broadcast => "a broadcast",
            AddressClass::Multicast => "a multicast",
            AddressClass::Reserved => "a reserved",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.with_article();
        f.write_str(name.split_once(' ').map_or(name, |(_, name)| name))
    }
}

/// `url` parsed, when it is an http(s) URL without user info, query or fragment whose host (every
/// address it resolves to) is public, or any host at all when `allow_private`.
///
/// A host given as an IP literal (in any form the URL standard reads: `0x7f.1`, `[::ffff:7f00:1]`)
/// is judged as the address it is, without DNS. A name is resolved with the system resolver; it is
/// refused when any of its addresses is not public, since the connector may connect to any of them.
/// See the module's note on DNS rebinding.
pub async fn check_platform_url(url: &str, allow_private: bool) -> Result<url::Url, AddressError> {
    let parsed = url::Url::parse(url.trim())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AddressError::Scheme(parsed.scheme().to_owned()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(AddressError::UserInfo);
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(AddressError::QueryOrFragment);
    }
    let host = parsed.host().ok_or(AddressError::NoHost)?;
    if allow_private {
        return Ok(parsed);
    }
    let addresses = match host {
        url::Host::Ipv4(address) => vec![IpAddr::V4(address)],
        url::Host::Ipv6(address) => vec![IpAddr::V6(address)],
        url::Host::Domain(name) => resolve(name, parsed.port_or_known_default()).await?,
    };
    for address in addresses {
        if let Some(class) = classify(address) {
            return Err(AddressError::NotPublic { address, class });
        }
    }
    Ok(parsed)
}

/// Every address `name` resolves to.
async fn resolve(name: &str, port: Option<u16>) -> Result<Vec<IpAddr>, AddressError> {
    let unresolvable = |source| AddressError::Unresolvable { host: name.to_owned(), source };
    let found = tokio::net::lookup_host((name, port.unwrap_or(80))).await.map_err(unresolvable)?;
    let addresses: Vec<IpAddr> = found.map(|socket| socket.ip()).collect();
    if addresses.is_empty() {
        return Err(AddressError::NoAddress(name.to_owned()));
    }
    Ok(addresses)
}

/// What kind of non-public address `address` is; `None` for a public one. An IPv4 address
/// carried in IPv6 (`::ffff:a.b.c.d`, NAT64's `64:ff9b::a.b.c.d`) is judged as that IPv4 address.
pub fn classify(address: IpAddr) -> Option<AddressClass> {
    match address {
        IpAddr::V4(address) => classify_v4(address),
        IpAddr::V6(address) => classify_v6(address),
    }
}

fn classify_v4(address: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, ..] = address.octets();
    if a == 0 {
        Some(AddressClass::Unspecified)
    } else if address.is_loopback() {
        Some(AddressClass::Loopback)
    } else if address.is_private() {
        Some(AddressClass::Private)
    } else if address.is_link_local() {
        Some(AddressClass::LinkLocal)
    } else if a == 100 && (64..128).contains(&b) {
        Some(AddressClass::SharedNat)
    } else if address.is_broadcast() {
        Some(AddressClass::Broadcast)
    } else if address.is_multicast() {
        Some(AddressClass::Multicast)
    } else if a >= 240 {
        Some(AddressClass::Reserved)
    } else {
        None
    }
}

fn classify_v6(address: Ipv6Addr) -> Option<AddressClass> {
    let segments = address.segments();
    if address.is_unspecified() {
        return Some(AddressClass::Unspecified);
    }
    if address.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    if let Some(mapped) = address.to_ipv4_mapped() {
        return classify_v4(mapped);
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., high, low] = segments;
        let embedded = (u32::from(high) << 16) | u32::from(low);
        return classify_v4(Ipv4Addr::from(embedded));
    }
    match segments[0] {
        _ if segments[..6] == [0; 6] => Some(AddressClass::Reserved),
        first if first & 0xfe00 == 0xfc00 => Some(AddressClass::Private),
        first if first & 0xffc0 == 0xfe80 => Some(AddressClass::LinkLocal),
        first if first & 0xffc0 == 0xfec0 => Some(AddressClass::Private),
        first if first & 0xff00 == 0xff00 => Some(AddressClass::Multicast),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    async fn refused(url: &str) -> AddressError {
        check_platform_url(url, false).await.expect_err(url)
    }

    async fn class_of(url: &str) -> AddressClass {
        match refused(url).await {
            AddressError::NotPublic { class, .. } => class,
            other => panic!("{url}: {other}"),
        }
    }

    #[tokio::test]
    async fn a_public_address_is_accepted_and_given_back_parsed() {
        for url in
            ["https://93.184.215.14/", "http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8080"]
        {
            let checked = check_platform_url(url, false).await.unwrap();
            assert!(checked.host().is_some(), "{url}");
        }
        let checked = check_platform_url(" https://8.8.8.8/forum/ ", false).await.unwrap();
        assert_eq!(checked.as_str(), "https://8.8.8.8/forum/");
    }

    #[tokio::test]
    async fn loopback_addresses_are_refused_in_every_spelling() {
        for url in [
            "http://127.0.0.1:9/",
            "http://127.8.9.10/",
            "http://0x7f.1/",
            "http://2130706433/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert_eq!(class_of(url).await, AddressClass::Loopback, "{url}");
        }
    }

    #[tokio::test]
    async fn rfc_1918_and_unique_local_addresses_are_private() {
        for url in [
            "http://10.0.0.1/",
            "http://172.16.0.1/",
            "http://172.31.255.254/",
            "http://192.168.1.1/",
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[::ffff:10.1.2.3]/",
        ] {
            assert_eq!(class_of(url).await, AddressClass::Private, "{url}");
        }
        assert!(check_platform_url("http://172.32.0.1/", false).await.is_ok(), "outside /12");
    }

    #[tokio::test]
    async fn link_local_addresses_and_the_metadata_service_are_refused() {
        for url in
            ["http://169.254.169.254/latest/meta-data", "http://[fe80::1]/", "http://[febf::1]/"]
        {
            assert_eq!(class_of(url).await, AddressClass::LinkLocal, "{url}");
        }
    }

    #[tokio::test]
    async fn unspecified_broadcast_multicast_shared_and_reserved_addresses_are_refused() {
        let cases = [
            ("http://0.0.0.0/", AddressClass::Unspecified),
            ("http://[::]/", AddressClass::Unspecified),
            ("http://255.255.255.255/", AddressClass::Broadcast),
            ("http://224.0.0.1/", AddressClass::Multicast),
            ("http://[ff02::1]/", AddressClass::Multicast),
            ("http://100.64.0.1/", AddressClass::SharedNat),
            ("http://100.127.255.254/", AddressClass::SharedNat),
            ("http://240.0.0.1/", AddressClass::Reserved),
            ("http://[::169.254.169.254]/", AddressClass::Reserved),
            ("http://[64:ff9b::a9fe:a9fe]/", AddressClass::LinkLocal),
            ("http://[::ffff:169.254.169.254]/", AddressClass::LinkLocal),
        ];
        for (url, class) in cases {
            assert_eq!(class_of(url).await, class, "{url}");
        }
        assert!(check_platform_url("http://100.128.0.1/", false).await.is_ok(), "outside /10");
    }

    #[tokio::test]
    async fn localhost_is_refused_after_resolution() {
        let error = refused("http://localhost:3000/").await;
        assert!(matches!(error, AddressError::NotPublic { class: AddressClass::Loopback, .. }));
        let message = error.to_string();
        assert!(message.starts_with("resolves to a loopback address ("), "{message}");
        assert!(message.contains("sync.allow_private_addresses"), "{message}");
    }

    #[tokio::test]
    async fn allowing_private_addresses_accepts_them_but_not_other_schemes_or_user_info() {
        assert!(check_platform_url("http://127.0.0.1:9/", true).await.is_ok());
        assert!(check_platform_url("http://[fe80::1]/", true).await.is_ok());
        for allow_private in [false, true] {
            let check = |url| check_platform_url(url, allow_private);
            assert!(matches!(check("file:///etc/passwd").await, Err(AddressError::Scheme(_))));
            assert!(matches!(check("gopher://8.8.8.8/").await, Err(AddressError::Scheme(_))));
            assert!(matches!(check("https://user:pw@8.8.8.8/").await, Err(AddressError::UserInfo)));
            assert!(matches!(check("https://user@8.8.8.8/").await, Err(AddressError::UserInfo)));
            assert!(matches!(
                check("https://8.8.8.8/?next=http://10.0.0.1").await,
                Err(AddressError::QueryOrFragment)
            ));
            assert!(matches!(check("not a url").await, Err(AddressError::Malformed(_))));
        }
    }

    #[test]
    fn every_refusal_reads_after_the_name_of_the_field() {
        let error = AddressError::NotPublic {
            address: "10.0.0.1".parse().unwrap(),
            class: AddressClass::Private,
        };
        assert!(error.to_string().starts_with("resolves to a private address (10.0.0.1);"));
        assert_eq!(
            AddressError::Scheme("ftp".into()).to_string(),
            "must be an http:// or https:// URL, not ftp://"
        );
        assert_eq!(AddressClass::SharedNat.to_string(), "carrier-grade NAT");
    }
}
