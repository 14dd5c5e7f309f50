// tapis_auth.hpp — header-only C++17 binding of libtapis_auth.
//
//   #include <tapis_auth.hpp>
//   auto s = tapis::auth::Session::restore();        // TAPIS_* environment, then ~/.agave
//   std::string tok = s.access_token(600);           // valid >= 10 more minutes
//
// Errors are thrown as tapis::auth::Error (status + redacted message + HTTP status). Handles
// are RAII (std::unique_ptr with the library's free functions). A Session may be used from
// many threads at once. Owned C strings are copied into std::string and wiped/freed at once.
#ifndef TAPIS_AUTH_HPP
#define TAPIS_AUTH_HPP

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapis_auth.h"

namespace tapis::auth {

/// A failed call: the status code, the redacted message and the HTTP status (0 if none).
class Error : public std::runtime_error {
public:
    Error(tapis_auth_status status, const std::string &message, uint16_t http_status = 0)
        : std::runtime_error(std::string(tapis_auth_status_name(status)) + ": " + message),
          status_(status), message_(message), http_status_(http_status) {}
    tapis_auth_status status() const noexcept { return status_; }
    const std::string &message() const noexcept { return message_; }
    uint16_t http_status() const noexcept { return http_status_; }
    bool login_required() const noexcept { return tapis_auth_status_is_login_required(status_); }
    bool pending() const noexcept { return tapis_auth_status_is_pending(status_); }

private:
    tapis_auth_status status_;
    std::string message_;
    uint16_t http_status_;
};

namespace detail {
struct ErrorDeleter { void operator()(tapis_auth_error *e) const noexcept { tapis_auth_error_free(e); } };
struct OptionsDeleter { void operator()(tapis_auth_options *o) const noexcept { tapis_auth_options_free(o); } };
struct SessionDeleter { void operator()(tapis_auth_session *s) const noexcept { tapis_auth_session_free(s); } };
struct DeviceDeleter { void operator()(tapis_auth_device *d) const noexcept { tapis_auth_device_free(d); } };
struct WhoamiDeleter { void operator()(tapis_auth_whoami *w) const noexcept { tapis_auth_whoami_free(w); } };
struct ProfileDeleter { void operator()(tapis_auth_profile *p) const noexcept { tapis_auth_profile_free(p); } };
struct StringDeleter { void operator()(char *s) const noexcept { tapis_auth_string_free(s); } };
using owned_string = std::unique_ptr<char, StringDeleter>;

/// Throws when `st` is not OK, taking ownership of `err` (the error from the same call).
// Note: always call the C function first and pass its error afterwards in a separate
// statement: in `check(f(&e), e)` the compiler may read `e` before `f` runs.
inline void check(tapis_auth_status st, tapis_auth_error *err) {
    std::unique_ptr<tapis_auth_error, ErrorDeleter> guard(err);
    if (st != TAPIS_AUTH_OK) throw Error(st, tapis_auth_error_message(err), tapis_auth_error_http_status(err));
}

inline std::string take(char *s) {
    owned_string guard(s);
    return s ? std::string(s) : std::string();
}

inline std::optional<std::string> opt(const char *s) {
    return s ? std::optional<std::string>(s) : std::nullopt;
}
} // namespace detail

/// The library version, e.g. "0.1.0".
inline std::string version() { return tapis_auth_version(); }

/// Options for Session::restore / Session::open (a builder; setters return *this).
class Options {
public:
    Options() : o_(tapis_auth_options_new()) {
        if (!o_) throw Error(TAPIS_AUTH_ERR_PANIC, "tapis_auth_options_new failed");
    }
    Options &base_url(const std::string &v) { return set(tapis_auth_options_set_base_url, v); }
    Options &tenant(const std::string &v) { return set(tapis_auth_options_set_tenant, v); }
    Options &platform(const std::string &v) { return set(tapis_auth_options_set_platform, v); }
    Options &profile(const std::string &v) { return set(tapis_auth_options_set_profile, v); }
    Options &username(const std::string &v) { return set(tapis_auth_options_set_username, v); }
    Options &password(const std::string &v) { return set(tapis_auth_options_set_password, v); }
    Options &client_id(const std::string &v) { return set(tapis_auth_options_set_client_id, v); }
    Options &client_key(const std::string &v) { return set(tapis_auth_options_set_client_key, v); }
    Options &access_token(const std::string &v) { return set(tapis_auth_options_set_access_token, v); }
    Options &refresh_token(const std::string &v) { return set(tapis_auth_options_set_refresh_token, v); }
    Options &ca_file(const std::string &v) { return set(tapis_auth_options_set_ca_file, v); }
    Options &store(const std::string &kind, const std::optional<std::string> &path = std::nullopt) {
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_options_set_store(o_.get(), kind.c_str(), path ? path->c_str() : nullptr, &e); detail::check(st_, e); }
        return *this;
    }
    Options &persist(bool v) { return set_bool(tapis_auth_options_set_persist, v); }
    Options &use_environment(bool v) { return set_bool(tapis_auth_options_set_use_environment, v); }
    Options &allow_insecure_http(bool v) { return set_bool(tapis_auth_options_set_allow_insecure_http, v); }
    Options &min_valid(std::chrono::seconds v) {
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_options_set_min_valid(o_.get(), v.count(), &e); detail::check(st_, e); }
        return *this;
    }
    Options &timeout(std::chrono::milliseconds connect, std::chrono::milliseconds total) {
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_options_set_connect_timeout_ms(o_.get(), static_cast<uint64_t>(connect.count()), &e); detail::check(st_, e); }
        { const tapis_auth_status st_ = tapis_auth_options_set_timeout_ms(o_.get(), static_cast<uint64_t>(total.count()), &e); detail::check(st_, e); }
        return *this;
    }
    const tapis_auth_options *get() const noexcept { return o_.get(); }

private:
    using str_setter = tapis_auth_status (*)(tapis_auth_options *, const char *, tapis_auth_error **);
    using bool_setter = tapis_auth_status (*)(tapis_auth_options *, bool, tapis_auth_error **);
    Options &set(str_setter f, const std::string &v) {
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = f(o_.get(), v.c_str(), &e); detail::check(st_, e); }
        return *this;
    }
    Options &set_bool(bool_setter f, bool v) {
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = f(o_.get(), v, &e); detail::check(st_, e); }
        return *this;
    }
    std::unique_ptr<tapis_auth_options, detail::OptionsDeleter> o_;
};

/// Who a session belongs to (local data, no secrets).
struct WhoAmI {
    std::string profile, base_url, platform, source;
    std::optional<std::string> username, tenant_id, client_id;
    int64_t expires_at = 0, refresh_expires_at = 0; // Unix seconds, 0 = unknown
    bool has_refresh_token = false;
};

/// A user profile as the server reported it (Session::profile); only the username is certain.
struct Profile {
    std::string username;
    std::optional<std::string> email, first_name, last_name, full_name;
};

/// A device-code login in progress (Session::device_start).
class DeviceLogin {
public:
    explicit DeviceLogin(tapis_auth_device *d) : d_(d) {}
    std::string user_code() const { return tapis_auth_device_user_code(d_.get()); }
    std::string verification_uri() const { return tapis_auth_device_verification_uri(d_.get()); }
    int64_t expires_at() const noexcept { return tapis_auth_device_expires_at(d_.get()); }
    /// Polls once without sleeping: true when approved, false while pending.
    bool poll() {
        tapis_auth_error *e = nullptr;
        tapis_auth_status st = tapis_auth_device_poll(d_.get(), &e);
        if (st == TAPIS_AUTH_PENDING) {
            tapis_auth_error_free(e);
            return false;
        }
        detail::check(st, e);
        return true;
    }
    /// Polls until approved; throws (status TAPIS_AUTH_PENDING) if still pending at the timeout.
    void wait(std::chrono::seconds timeout) {
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_device_wait(d_.get(), timeout.count(), &e); detail::check(st_, e); }
    }

private:
    std::unique_ptr<tapis_auth_device, detail::DeviceDeleter> d_;
};

/// A session handle: thread-safe, movable, not copyable.
class Session {
public:
    /// Restores a session (explicit options, then TAPIS_* environment, then the store).
    static Session restore(const Options *opts = nullptr) {
        tapis_auth_session *s = nullptr;
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_session_restore(opts ? opts->get() : nullptr, &s, &e); detail::check(st_, e); }
        return Session(s);
    }
    static Session restore(const Options &opts) { return restore(&opts); }
    /// Opens a session that may have no credentials yet (before a login).
    static Session open(const Options &opts) {
        tapis_auth_session *s = nullptr;
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_session_open(opts.get(), &s, &e); detail::check(st_, e); }
        return Session(s);
    }

    /// An access token valid for at least `min_valid` more seconds.
    std::string access_token(int64_t min_valid_seconds = 0) const {
        char *tok = nullptr;
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_access_token(s_.get(), min_valid_seconds, &tok, &e); detail::check(st_, e); }
        return detail::take(tok);
    }
    void refresh() const {
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_refresh(s_.get(), &e); detail::check(st_, e); }
    }
    /// Access-token expiry in Unix seconds (0 = unknown).
    int64_t expires_at() const {
        int64_t t = 0;
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_expires_at(s_.get(), &t, &e); detail::check(st_, e); }
        return t;
    }
    /// The store's warnings since the last call (e.g. a cache file found readable by others
    /// and made private), one per element; empty when there are none. Show them to the user.
    std::vector<std::string> take_warnings() const {
        char *w = nullptr;
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_session_take_warnings(s_.get(), &w, &e); detail::check(st_, e); }
        std::vector<std::string> out;
        if (w == nullptr) return out;
        const std::string all = detail::take(w);
        std::string::size_type start = 0;
        while (start <= all.size()) {
            const std::string::size_type nl = all.find('\n', start);
            out.push_back(all.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
            if (nl == std::string::npos) break;
            start = nl + 1;
        }
        return out;
    }
    void login_password(bool create_client = true) const {
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_login_password(s_.get(), create_client, &e); detail::check(st_, e); }
    }
    /// Revokes (best effort) and deletes the session; true when a stored one was deleted.
    bool logout() const {
        bool deleted = false;
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_logout(s_.get(), &deleted, &e); detail::check(st_, e); }
        return deleted;
    }
    WhoAmI whoami() const {
        tapis_auth_whoami *w = nullptr;
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_session_whoami(s_.get(), &w, &e); detail::check(st_, e); }
        std::unique_ptr<tapis_auth_whoami, detail::WhoamiDeleter> guard(w);
        WhoAmI r;
        r.profile = tapis_auth_whoami_profile(w);
        r.base_url = tapis_auth_whoami_base_url(w);
        r.platform = tapis_auth_whoami_platform(w);
        r.source = tapis_auth_whoami_source(w);
        r.username = detail::opt(tapis_auth_whoami_username(w));
        r.tenant_id = detail::opt(tapis_auth_whoami_tenant_id(w));
        r.client_id = detail::opt(tapis_auth_whoami_client_id(w));
        r.expires_at = tapis_auth_whoami_expires_at(w);
        r.refresh_expires_at = tapis_auth_whoami_refresh_expires_at(w);
        r.has_refresh_token = tapis_auth_whoami_has_refresh_token(w);
        return r;
    }
    /// Asks the server who the token belongs to (Tapis v3 /v3/oauth2/profiles/{user}, Agave v2
    /// /profiles/v2/me), refreshing first when needed: the "am I really logged in" check.
    Profile profile() const {
        tapis_auth_profile *p = nullptr;
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_session_profile(s_.get(), &p, &e); detail::check(st_, e); }
        std::unique_ptr<tapis_auth_profile, detail::ProfileDeleter> guard(p);
        Profile r;
        r.username = tapis_auth_profile_username(p);
        r.email = detail::opt(tapis_auth_profile_email(p));
        r.first_name = detail::opt(tapis_auth_profile_first_name(p));
        r.last_name = detail::opt(tapis_auth_profile_last_name(p));
        r.full_name = detail::opt(tapis_auth_profile_full_name(p));
        return r;
    }
    /// Creates an OAuth client; returns {id, key} (key empty when the server gave none).
    std::pair<std::string, std::string> create_client(const std::optional<std::string> &client_id = std::nullopt,
                                                      const std::optional<std::string> &callback_url = std::nullopt,
                                                      const std::optional<std::string> &description = std::nullopt) const {
        char *id = nullptr, *key = nullptr;
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_client_create(s_.get(), client_id ? client_id->c_str() : nullptr,
                                               callback_url ? callback_url->c_str() : nullptr,
                                               description ? description->c_str() : nullptr, &id, &key, &e); detail::check(st_, e); }
        std::string sid = detail::take(id);
        return {sid, detail::take(key)};
    }
    DeviceLogin device_start() const {
        tapis_auth_device *d = nullptr;
        tapis_auth_error *e = nullptr;
        { const tapis_auth_status st_ = tapis_auth_device_start(s_.get(), &d, &e); detail::check(st_, e); }
        return DeviceLogin(d);
    }
    tapis_auth_session *get() const noexcept { return s_.get(); }

private:
    explicit Session(tapis_auth_session *s) : s_(s) {}
    std::unique_ptr<tapis_auth_session, detail::SessionDeleter> s_;
};

} // namespace tapis::auth

#endif // TAPIS_AUTH_HPP
