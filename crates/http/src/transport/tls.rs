//! Whom to trust: the platform's roots, or only what `SSL_CERT_FILE` / `SSL_CERT_DIR` name,
//! plus a site CA file; errors that name the variable and path.

use super::*;

/// How a CA file option is named in messages, for the library, the command and C.
pub(super) const CA_FILE_OPTION: &str = "a CA file (--ca-file or TAPIS_AUTH_CA_FILE; \
                              TransportConfig::ca_file; tapis_auth_options_set_ca_file)";

pub(super) fn tls_error(message: String) -> TransportError {
    TransportError::new(TransportErrorKind::Tls, message)
}

/// One error of `rustls-native-certs`, with its path when it has one.
pub(super) fn describe_cert_error(e: &rustls_native_certs::Error) -> String {
    match &e.kind {
        rustls_native_certs::ErrorKind::Io { inner, path } => {
            format!("{}: {inner}", path.display())
        }
        _ => e.to_string(),
    }
}

/// Up to three errors, and how many more there were.
pub(super) fn summarise(errors: &[String]) -> String {
    let mut s = errors
        .iter()
        .take(3)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("; ");
    if errors.len() > 3 {
        s.push_str(&format!("; and {} more", errors.len() - 3));
    }
    s
}

/// The root certificates to trust — the platform's or those of `SSL_CERT_FILE` /
/// `SSL_CERT_DIR`, plus `ca_file` ([`TransportConfig::ca_file`]) — and a note for TLS errors
/// when that choice may explain one.
///
/// `var` reads the environment (a parameter so that tests need not change the process
/// environment). `SSL_CERT_FILE` and `SSL_CERT_DIR` are interpreted as `rustls-native-certs`
/// does — either set means "only these" — but loaded one by one so that every failure can be
/// pinned on its variable and path.
pub(super) fn load_roots(
    var: &dyn Fn(&str) -> Option<OsString>,
    ca_file: Option<&Path>,
) -> Result<(rustls::RootCertStore, Option<String>), TransportError> {
    let file = var("SSL_CERT_FILE").map(PathBuf::from);
    let dirs: Vec<PathBuf> = var("SSL_CERT_DIR")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    // Appended to every error about the variables.
    let fix = format!(
        ". SSL_CERT_FILE and SSL_CERT_DIR replace the platform's root certificates, so no \
         server could be verified: correct or unset the variable. To add a site's CA to the \
         platform's roots instead, use {CA_FILE_OPTION}"
    );

    let mut roots = rustls::RootCertStore::empty();
    if file.is_none() && dirs.is_empty() {
        let native = rustls_native_certs::load_native_certs();
        for cert in native.certs {
            // Individual unparsable system certificates are skipped, as browsers do.
            let _ = roots.add(cert);
        }
        let note = roots.is_empty().then(|| {
            let errors: Vec<String> = native.errors.iter().map(describe_cert_error).collect();
            let why = if errors.is_empty() {
                String::new()
            } else {
                format!(" ({})", summarise(&errors))
            };
            let fix = match ca_file {
                Some(f) => format!(
                    "only the CA file {} is trusted; set SSL_CERT_FILE to a CA bundle to trust \
                     other servers",
                    f.display()
                ),
                None => format!("set SSL_CERT_FILE to a CA bundle, or use {CA_FILE_OPTION}"),
            };
            format!("no trusted root certificates were found on this system{why}; {fix}")
        });
        if let Some(f) = ca_file {
            add_ca_file(&mut roots, f)?;
        }
        return Ok((roots, note));
    }

    let mut certs: Vec<CertificateDer<'static>> = Vec::new();
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    if let Some(path) = &file {
        if path.as_os_str().is_empty() {
            return Err(tls_error(format!("SSL_CERT_FILE is set but empty{fix}")));
        }
        let r = rustls_native_certs::load_certs_from_paths(Some(path), None);
        if let Some(e) = r.errors.first() {
            let why = match &e.kind {
                rustls_native_certs::ErrorKind::Io { inner, .. } => inner.to_string(),
                _ => e.to_string(),
            };
            return Err(tls_error(format!(
                "cannot use SSL_CERT_FILE={}: {why}{fix}",
                path.display()
            )));
        }
        if r.certs.is_empty() {
            return Err(tls_error(format!(
                "SSL_CERT_FILE={} holds no PEM certificates{fix}",
                path.display()
            )));
        }
        sources.push(format!("SSL_CERT_FILE={}", path.display()));
        certs.extend(r.certs);
    }
    for dir in &dirs {
        let problem = match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => None,
            Ok(_) => Some("not a directory".to_owned()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(why) = problem {
            return Err(tls_error(format!(
                "cannot use SSL_CERT_DIR entry {}: {why}{fix}",
                dir.display()
            )));
        }
        let r = rustls_native_certs::load_certs_from_paths(None, Some(dir));
        skipped.extend(r.errors.iter().map(describe_cert_error));
        certs.extend(r.certs);
    }
    if !dirs.is_empty() {
        let joined = std::env::join_paths(&dirs)
            .map(|j| j.to_string_lossy().into_owned())
            .unwrap_or_else(|_| format!("{dirs:?}"));
        sources.push(format!("SSL_CERT_DIR={joined}"));
    }
    // A bundle is often also present in the directory, and rehash links repeat every file.
    certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
    certs.dedup();
    for cert in certs {
        let _ = roots.add(cert);
    }
    let sources = sources.join(" and ");
    if roots.is_empty() {
        let why = if skipped.is_empty() {
            String::new()
        } else {
            format!(" ({})", summarise(&skipped))
        };
        return Err(tls_error(format!(
            "{sources} yielded no usable certificates{why}{fix}"
        )));
    }
    let n = roots.len();
    let mut note = format!(
        "trusted roots: only the {n} certificate{} of {sources}, in place of the platform's \
         roots",
        if n == 1 { "" } else { "s" }
    );
    match ca_file {
        Some(f) => {
            add_ca_file(&mut roots, f)?;
            note.push_str(&format!(", plus the CA file {}", f.display()));
        }
        None => note.push_str(&format!(
            "; to add a CA to the platform's roots instead, use {CA_FILE_OPTION}"
        )),
    }
    if !skipped.is_empty() {
        note.push_str(&format!("; skipped: {}", summarise(&skipped)));
    }
    Ok((roots, Some(note)))
}

/// Adds the PEM certificates of `path` ([`TransportConfig::ca_file`]) to `roots`.
pub(super) fn add_ca_file(
    roots: &mut rustls::RootCertStore,
    path: &Path,
) -> Result<(), TransportError> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| tls_error(format!("cannot read CA file {}: {e}", path.display())))?;
    let mut n = 0;
    for c in certs {
        let c = c.map_err(|e| {
            tls_error(format!(
                "bad certificate in CA file {}: {e}",
                path.display()
            ))
        })?;
        roots.add(c).map_err(|e| {
            tls_error(format!(
                "unusable certificate in CA file {}: {e}",
                path.display()
            ))
        })?;
        n += 1;
    }
    if n == 0 {
        return Err(tls_error(format!(
            "CA file {} holds no PEM certificates",
            path.display()
        )));
    }
    Ok(())
}
