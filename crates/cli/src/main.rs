//! The tapis-auth command (in progress).
fn main() {}
