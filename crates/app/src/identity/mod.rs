//! People and how they prove who they are: users and roles ([`users`]), passwords
//! ([`passwords`]), sessions and sign-in ([`sessions`]), personal API tokens ([`tokens`]), the
//! secrets behind them ([`secrets`]), the first admin ([`setup`]) and the audit log ([`audit`]).

pub mod audit;
pub mod passwords;
pub mod secrets;
pub mod sessions;
pub mod setup;
pub mod tokens;
pub mod users;
