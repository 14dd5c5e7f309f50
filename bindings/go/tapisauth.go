// Package tapisauth gets Tapis v3 / Agave v2 access tokens through libtapis_auth (cgo).
//
//	s, err := tapisauth.Restore(nil) // TAPIS_* environment, then ~/.agave
//	if err != nil { ... }
//	defer s.Close()
//	tok, err := s.AccessToken(600) // valid for at least 10 more minutes
//
// A Session may be used by many goroutines at once. Errors are *Error values carrying the
// library's status code; they are read in the same cgo call that failed (the C library has no
// thread-local "last error"), so goroutines moving between OS threads are safe.
//
// Using it from a module of your own: scripts/install.sh installs this package, with its
// go.mod, into PREFIX/share/tapis_auth/go, matching the library installed beside it:
//
//	go mod edit -replace github.com/libtapis-auth/libtapis_auth/bindings/go=$PREFIX/share/tapis_auth/go
//	go mod tidy
//	PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig go build                         # shared library
//	PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig go build -tags tapisauth_static  # static library
package tapisauth

// #include <stdlib.h>
// #include <string.h>
// #include "tapis_auth.h"
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Status is a libtapis_auth status code (see docs/c-api.md); the numbers are stable.
type Status uint32

// Status codes.
const (
	StatusOK                 Status = C.TAPIS_AUTH_OK
	StatusInvalidArgument    Status = C.TAPIS_AUTH_ERR_INVALID_ARGUMENT
	StatusBufferTooSmall     Status = C.TAPIS_AUTH_ERR_BUFFER_TOO_SMALL
	StatusPanic              Status = C.TAPIS_AUTH_ERR_PANIC
	StatusAPIMisuse          Status = C.TAPIS_AUTH_ERR_API_MISUSE
	StatusCancelled          Status = C.TAPIS_AUTH_ERR_CANCELLED
	StatusLoginRequired      Status = C.TAPIS_AUTH_ERR_LOGIN_REQUIRED
	StatusInvalidCredentials Status = C.TAPIS_AUTH_ERR_INVALID_CREDENTIALS
	StatusInvalidClient      Status = C.TAPIS_AUTH_ERR_INVALID_CLIENT
	StatusRefreshRejected    Status = C.TAPIS_AUTH_ERR_REFRESH_REJECTED
	StatusDeviceCodeExpired  Status = C.TAPIS_AUTH_ERR_DEVICE_CODE_EXPIRED
	StatusPending            Status = C.TAPIS_AUTH_PENDING
	StatusLoginFailed        Status = C.TAPIS_AUTH_ERR_LOGIN_FAILED
	StatusTokenRejected      Status = C.TAPIS_AUTH_ERR_TOKEN_REJECTED
	StatusNetwork            Status = C.TAPIS_AUTH_ERR_NETWORK
	StatusConnect            Status = C.TAPIS_AUTH_ERR_CONNECT
	StatusTimeout            Status = C.TAPIS_AUTH_ERR_TIMEOUT
	StatusTLS                Status = C.TAPIS_AUTH_ERR_TLS
	StatusInsecureHTTP       Status = C.TAPIS_AUTH_ERR_INSECURE_HTTP
	StatusServer             Status = C.TAPIS_AUTH_ERR_SERVER
	StatusMalformedResponse  Status = C.TAPIS_AUTH_ERR_MALFORMED_RESPONSE
	StatusRequestRefused     Status = C.TAPIS_AUTH_ERR_REQUEST_REFUSED
	StatusStorage            Status = C.TAPIS_AUTH_ERR_STORAGE
	StatusCorruptCache       Status = C.TAPIS_AUTH_ERR_CORRUPT_CACHE
	StatusLockTimeout        Status = C.TAPIS_AUTH_ERR_LOCK_TIMEOUT
	StatusStoreUnavailable   Status = C.TAPIS_AUTH_ERR_STORE_UNAVAILABLE
	StatusStoreReadOnly      Status = C.TAPIS_AUTH_ERR_STORE_READ_ONLY
	StatusInvalidRecord      Status = C.TAPIS_AUTH_ERR_INVALID_RECORD
	StatusUnsafeCache        Status = C.TAPIS_AUTH_ERR_UNSAFE_CACHE
	StatusCacheTooNew        Status = C.TAPIS_AUTH_ERR_CACHE_TOO_NEW
	StatusConfig             Status = C.TAPIS_AUTH_ERR_CONFIG
	StatusUnsupported        Status = C.TAPIS_AUTH_ERR_UNSUPPORTED
	StatusOther              Status = C.TAPIS_AUTH_ERR_OTHER
)

// String returns the C constant's name, e.g. "TAPIS_AUTH_ERR_LOGIN_REQUIRED".
func (s Status) String() string { return C.GoString(C.tapis_auth_status_name(C.uint32_t(s))) }

// IsLoginRequired reports whether only a new login can help (2xx statuses).
func (s Status) IsLoginRequired() bool {
	return bool(C.tapis_auth_status_is_login_required(C.uint32_t(s)))
}

// IsNetwork reports a network or TLS failure (4xx statuses).
func (s Status) IsNetwork() bool { return bool(C.tapis_auth_status_is_network(C.uint32_t(s))) }

// Error is a failed libtapis_auth call. The message is redacted (never contains secrets).
type Error struct {
	Status     Status
	Message    string
	HTTPStatus int  // 0 when there was no HTTP response
	Retryable  bool // trying again later may succeed
}

func (e *Error) Error() string {
	return fmt.Sprintf("tapis_auth: %s: %s", e.Status, e.Message)
}

// Is matches another *Error with the same Status, so errors.Is(err, tapisauth.ErrLoginRequired) works.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Status == e.Status
	}
	return false
}

// Sentinel errors for errors.Is.
var (
	ErrLoginRequired   = &Error{Status: StatusLoginRequired}
	ErrInvalidArgument = &Error{Status: StatusInvalidArgument}
	ErrPending         = &Error{Status: StatusPending}
	ErrClosed          = &Error{Status: StatusAPIMisuse, Message: "the handle is closed"}
)

// IsLoginRequired reports whether err means the user must log in again.
func IsLoginRequired(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status.IsLoginRequired()
}

// newError turns a status and the error object from the same call into an *Error and frees
// the object. Always call the C function in its own statement first: in newError(C.f(&cerr),
// cerr) Go may read cerr before C.f runs.
func newError(rc C.tapis_auth_status, cerr *C.tapis_auth_error) error {
	if rc == C.TAPIS_AUTH_OK {
		C.tapis_auth_error_free(cerr)
		return nil
	}
	e := &Error{Status: Status(rc)}
	if cerr != nil {
		e.Message = C.GoString(C.tapis_auth_error_message(cerr))
		e.HTTPStatus = int(C.tapis_auth_error_http_status(cerr))
		e.Retryable = bool(C.tapis_auth_error_is_retryable(cerr))
		C.tapis_auth_error_free(cerr)
	}
	return e
}

// Version is the C library's version.
func Version() string { return C.GoString(C.tapis_auth_version()) }

// cstr copies s into C memory; free with freeCStr (wiping it first for secrets).
func cstr(s string) *C.char { return C.CString(s) }

func freeCStr(p *C.char, wipe bool) {
	if p == nil {
		return
	}
	if wipe {
		C.memset(unsafe.Pointer(p), 0, C.strlen(p))
	}
	C.free(unsafe.Pointer(p))
}

// takeString copies an owned C string into Go and frees it with tapis_auth_string_free (which
// wipes it).
func takeString(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.tapis_auth_string_free(p)
	return s
}

// Options configure Restore and Open. The zero value means the library defaults.
type Options struct {
	BaseURL      string // e.g. "https://tacc.tapis.io"
	Tenant       string // e.g. "tacc"
	Platform     string // "v3" or "v2"; empty: detect
	Profile      string
	Username     string
	Password     string // memory only
	ClientID     string
	ClientKey    string
	AccessToken  string
	RefreshToken string
	StoreKind    string // "json" (default), "sqlite", "keyring", "env", "memory"
	StorePath    string
	CAFile       string
	// Persist saves explicit sessions and logins in the store.
	Persist bool
	// NoEnvironment ignores the TAPIS_* variables.
	NoEnvironment     bool
	MinValid          time.Duration // default minimum validity (0: library default, 60 s)
	ConnectTimeout    time.Duration
	Timeout           time.Duration
	MaxTries          int
	AllowInsecureHTTP bool
}

type setter func(*C.tapis_auth_options, *C.char, **C.tapis_auth_error) C.tapis_auth_status

func setString(o *C.tapis_auth_options, value string, secret bool, f setter) error {
	if value == "" {
		return nil
	}
	p := cstr(value)
	defer freeCStr(p, secret)
	var cerr *C.tapis_auth_error
	rc := f(o, p, &cerr)
	return newError(rc, cerr)
}

// build converts Options into a C builder (nil for nil options).
func (o *Options) build() (*C.tapis_auth_options, error) {
	if o == nil {
		return nil, nil
	}
	c := C.tapis_auth_options_new()
	if c == nil {
		return nil, &Error{Status: StatusPanic, Message: "tapis_auth_options_new failed"}
	}
	strs := []struct {
		v      string
		secret bool
		f      setter
	}{
		{o.BaseURL, false, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_base_url(a, b, e)
		}},
		{o.Tenant, false, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_tenant(a, b, e)
		}},
		{o.Platform, false, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_platform(a, b, e)
		}},
		{o.Profile, false, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_profile(a, b, e)
		}},
		{o.Username, false, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_username(a, b, e)
		}},
		{o.Password, true, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_password(a, b, e)
		}},
		{o.ClientID, false, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_client_id(a, b, e)
		}},
		{o.ClientKey, true, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_client_key(a, b, e)
		}},
		{o.AccessToken, true, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_access_token(a, b, e)
		}},
		{o.RefreshToken, true, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_refresh_token(a, b, e)
		}},
		{o.CAFile, false, func(a *C.tapis_auth_options, b *C.char, e **C.tapis_auth_error) C.tapis_auth_status {
			return C.tapis_auth_options_set_ca_file(a, b, e)
		}},
	}
	fail := func(err error) (*C.tapis_auth_options, error) {
		C.tapis_auth_options_free(c)
		return nil, err
	}
	for _, s := range strs {
		if err := setString(c, s.v, s.secret, s.f); err != nil {
			return fail(err)
		}
	}
	var cerr *C.tapis_auth_error
	if o.StoreKind != "" || o.StorePath != "" {
		kind := o.StoreKind
		if kind == "" {
			kind = "json"
		}
		k := cstr(kind)
		var p *C.char
		if o.StorePath != "" {
			p = cstr(o.StorePath)
		}
		rc := C.tapis_auth_options_set_store(c, k, p, &cerr)
		freeCStr(k, false)
		freeCStr(p, false)
		if err := newError(rc, cerr); err != nil {
			return fail(err)
		}
	}
	checks := []func() C.tapis_auth_status{
		func() C.tapis_auth_status { return C.tapis_auth_options_set_persist(c, C.bool(o.Persist), &cerr) },
		func() C.tapis_auth_status {
			return C.tapis_auth_options_set_use_environment(c, C.bool(!o.NoEnvironment), &cerr)
		},
		func() C.tapis_auth_status {
			return C.tapis_auth_options_set_allow_insecure_http(c, C.bool(o.AllowInsecureHTTP), &cerr)
		},
	}
	if o.MinValid > 0 {
		checks = append(checks, func() C.tapis_auth_status {
			return C.tapis_auth_options_set_min_valid(c, C.int64_t(o.MinValid/time.Second), &cerr)
		})
	}
	if o.ConnectTimeout > 0 {
		checks = append(checks, func() C.tapis_auth_status {
			return C.tapis_auth_options_set_connect_timeout_ms(c, C.uint64_t(o.ConnectTimeout/time.Millisecond), &cerr)
		})
	}
	if o.Timeout > 0 {
		checks = append(checks, func() C.tapis_auth_status {
			return C.tapis_auth_options_set_timeout_ms(c, C.uint64_t(o.Timeout/time.Millisecond), &cerr)
		})
	}
	if o.MaxTries > 0 {
		checks = append(checks, func() C.tapis_auth_status {
			return C.tapis_auth_options_set_max_tries(c, C.uint32_t(o.MaxTries), &cerr)
		})
	}
	for _, f := range checks {
		cerr = nil
		rc := f()
		if err := newError(rc, cerr); err != nil {
			return fail(err)
		}
	}
	return c, nil
}

// Session is a handle on one profile's credentials. Safe for concurrent use by many
// goroutines. Call Close when done (a finalizer frees it otherwise, but late).
type Session struct {
	mu  sync.RWMutex
	ptr *C.tapis_auth_session
}

type openFn func(*C.tapis_auth_options, **C.tapis_auth_session, **C.tapis_auth_error) C.tapis_auth_status

func newSession(opts *Options, open openFn) (*Session, error) {
	c, err := opts.build()
	if err != nil {
		return nil, err
	}
	defer C.tapis_auth_options_free(c)
	var p *C.tapis_auth_session
	var cerr *C.tapis_auth_error
	rc := open(c, &p, &cerr)
	if err := newError(rc, cerr); err != nil {
		return nil, err
	}
	s := &Session{ptr: p}
	runtime.SetFinalizer(s, (*Session).Close)
	return s, nil
}

// Restore restores a session: explicit options, then the TAPIS_* environment, then the store
// (default ~/.agave). nil options mean the defaults. Fails with StatusLoginRequired when no
// source holds a session.
func Restore(opts *Options) (*Session, error) {
	return newSession(opts, func(o *C.tapis_auth_options, p **C.tapis_auth_session, e **C.tapis_auth_error) C.tapis_auth_status {
		return C.tapis_auth_session_restore(o, p, e)
	})
}

// Open is like Restore but succeeds without credentials (before LoginPassword or DeviceStart).
func Open(opts *Options) (*Session, error) {
	return newSession(opts, func(o *C.tapis_auth_options, p **C.tapis_auth_session, e **C.tapis_auth_error) C.tapis_auth_status {
		return C.tapis_auth_session_open(o, p, e)
	})
}

// Close frees the session. Safe to call more than once; later calls on s return ErrClosed.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr != nil {
		C.tapis_auth_session_free(s.ptr)
		s.ptr = nil
	}
	runtime.SetFinalizer(s, nil)
	return nil
}

// with runs f with the live handle, holding the read lock so Close cannot free it meanwhile.
func (s *Session) with(f func(p *C.tapis_auth_session) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ptr == nil {
		return ErrClosed
	}
	err := f(s.ptr)
	runtime.KeepAlive(s)
	return err
}

// AccessToken returns an access token valid for at least minValidSeconds more seconds,
// refreshing when needed. A valid cached token costs no I/O.
func (s *Session) AccessToken(minValidSeconds int64) (string, error) {
	var tok string
	err := s.with(func(p *C.tapis_auth_session) error {
		var out *C.char
		var cerr *C.tapis_auth_error
		rc := C.tapis_auth_access_token(p, C.int64_t(minValidSeconds), &out, &cerr)
		if err := newError(rc, cerr); err != nil {
			return err
		}
		tok = takeString(out)
		return nil
	})
	return tok, err
}

// Refresh refreshes the access token now.
func (s *Session) Refresh() error {
	return s.with(func(p *C.tapis_auth_session) error {
		var cerr *C.tapis_auth_error
		rc := C.tapis_auth_refresh(p, &cerr)
		return newError(rc, cerr)
	})
}

// ExpiresAt returns the access token's expiry (zero Time when unknown).
func (s *Session) ExpiresAt() (time.Time, error) {
	var t time.Time
	err := s.with(func(p *C.tapis_auth_session) error {
		var out C.int64_t
		var cerr *C.tapis_auth_error
		rc := C.tapis_auth_expires_at(p, &out, &cerr)
		if err := newError(rc, cerr); err != nil {
			return err
		}
		if out != 0 {
			t = time.Unix(int64(out), 0)
		}
		return nil
	})
	return t, err
}

// TakeWarnings returns the store's warnings since the last call (e.g. a cache file found
// readable by others and made private), or nil when there are none. Show them to the user.
func (s *Session) TakeWarnings() ([]string, error) {
	var out []string
	err := s.with(func(p *C.tapis_auth_session) error {
		var w *C.char
		var cerr *C.tapis_auth_error
		rc := C.tapis_auth_session_take_warnings(p, &w, &cerr)
		if err := newError(rc, cerr); err != nil {
			return err
		}
		if w != nil {
			out = strings.Split(takeString(w), "\n")
		}
		return nil
	})
	return out, err
}

// LoginPassword logs in with the username and password given in the Options.
func (s *Session) LoginPassword(createClient bool) error {
	return s.with(func(p *C.tapis_auth_session) error {
		var cerr *C.tapis_auth_error
		rc := C.tapis_auth_login_password(p, C.bool(createClient), &cerr)
		return newError(rc, cerr)
	})
}

// Logout revokes (best effort) and deletes the session; reports whether a stored one was deleted.
func (s *Session) Logout() (bool, error) {
	var deleted C.bool
	err := s.with(func(p *C.tapis_auth_session) error {
		var cerr *C.tapis_auth_error
		rc := C.tapis_auth_logout(p, &deleted, &cerr)
		return newError(rc, cerr)
	})
	return bool(deleted), err
}

// WhoAmI describes who the session belongs to (local data only, no secrets).
type WhoAmI struct {
	Profile, Username, TenantID, BaseURL, Platform, ClientID, Source string
	ExpiresAt, RefreshExpiresAt                                      time.Time
	HasRefreshToken                                                  bool
}

func goStr(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

func unixOrZero(t C.int64_t) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0)
}

// WhoAmI returns the session's identity.
func (s *Session) WhoAmI() (*WhoAmI, error) {
	var w *WhoAmI
	err := s.with(func(p *C.tapis_auth_session) error {
		var cw *C.tapis_auth_whoami
		var cerr *C.tapis_auth_error
		rc := C.tapis_auth_session_whoami(p, &cw, &cerr)
		if err := newError(rc, cerr); err != nil {
			return err
		}
		defer C.tapis_auth_whoami_free(cw)
		w = &WhoAmI{
			Profile:          goStr(C.tapis_auth_whoami_profile(cw)),
			Username:         goStr(C.tapis_auth_whoami_username(cw)),
			TenantID:         goStr(C.tapis_auth_whoami_tenant_id(cw)),
			BaseURL:          goStr(C.tapis_auth_whoami_base_url(cw)),
			Platform:         goStr(C.tapis_auth_whoami_platform(cw)),
			ClientID:         goStr(C.tapis_auth_whoami_client_id(cw)),
			Source:           goStr(C.tapis_auth_whoami_source(cw)),
			ExpiresAt:        unixOrZero(C.tapis_auth_whoami_expires_at(cw)),
			RefreshExpiresAt: unixOrZero(C.tapis_auth_whoami_refresh_expires_at(cw)),
			HasRefreshToken:  bool(C.tapis_auth_whoami_has_refresh_token(cw)),
		}
		return nil
	})
	return w, err
}

// Profile is a user profile as the server reported it; only Username is certain (empty
// strings: the server gave none).
type Profile struct {
	Username  string
	Email     string
	FirstName string
	LastName  string
	FullName  string
}

// Profile asks the server who the token belongs to (Tapis v3 /v3/oauth2/profiles/{user}, Agave
// v2 /profiles/v2/me), refreshing first when needed: the "am I really logged in" check.
func (s *Session) Profile() (*Profile, error) {
	var r *Profile
	err := s.with(func(p *C.tapis_auth_session) error {
		var cp *C.tapis_auth_profile
		var cerr *C.tapis_auth_error
		rc := C.tapis_auth_session_profile(p, &cp, &cerr)
		if err := newError(rc, cerr); err != nil {
			return err
		}
		defer C.tapis_auth_profile_free(cp)
		r = &Profile{
			Username:  goStr(C.tapis_auth_profile_username(cp)),
			Email:     goStr(C.tapis_auth_profile_email(cp)),
			FirstName: goStr(C.tapis_auth_profile_first_name(cp)),
			LastName:  goStr(C.tapis_auth_profile_last_name(cp)),
			FullName:  goStr(C.tapis_auth_profile_full_name(cp)),
		}
		return nil
	})
	return r, err
}

// CreateClient creates an OAuth client (empty arguments: server's choice / none) and returns
// its id and key.
func (s *Session) CreateClient(clientID, callbackURL, description string) (id, key string, err error) {
	err = s.with(func(p *C.tapis_auth_session) error {
		opt := func(v string) *C.char {
			if v == "" {
				return nil
			}
			return cstr(v)
		}
		a, b, c := opt(clientID), opt(callbackURL), opt(description)
		defer func() { freeCStr(a, false); freeCStr(b, false); freeCStr(c, false) }()
		var cid, ckey *C.char
		var cerr *C.tapis_auth_error
		rc := C.tapis_auth_client_create(p, a, b, c, &cid, &ckey, &cerr)
		if err := newError(rc, cerr); err != nil {
			return err
		}
		id, key = takeString(cid), takeString(ckey)
		return nil
	})
	return id, key, err
}

// DeviceLogin is a device-code login in progress.
type DeviceLogin struct {
	mu            sync.Mutex
	ptr           *C.tapis_auth_device
	UserCode, URI string
	ExpiresAt     time.Time
}

// DeviceStart starts a device login (Tapis v3) with the tenant and client id in the Options.
// Show d.URI and d.UserCode to the user, then call Wait or Poll.
func (s *Session) DeviceStart() (*DeviceLogin, error) {
	var d *DeviceLogin
	err := s.with(func(p *C.tapis_auth_session) error {
		var cd *C.tapis_auth_device
		var cerr *C.tapis_auth_error
		rc := C.tapis_auth_device_start(p, &cd, &cerr)
		if err := newError(rc, cerr); err != nil {
			return err
		}
		d = &DeviceLogin{
			ptr:       cd,
			UserCode:  goStr(C.tapis_auth_device_user_code(cd)),
			URI:       goStr(C.tapis_auth_device_verification_uri(cd)),
			ExpiresAt: time.Unix(int64(C.tapis_auth_device_expires_at(cd)), 0),
		}
		runtime.SetFinalizer(d, (*DeviceLogin).Close)
		return nil
	})
	return d, err
}

// Poll polls once without sleeping: done=true when approved; (false, nil) while pending.
func (d *DeviceLogin) Poll() (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ptr == nil {
		return false, ErrClosed
	}
	var cerr *C.tapis_auth_error
	rc := C.tapis_auth_device_poll(d.ptr, &cerr)
	err := newError(rc, cerr)
	runtime.KeepAlive(d)
	if errors.Is(err, ErrPending) {
		return false, nil
	}
	return err == nil, err
}

// Wait polls until approval, expiry or the timeout (ErrPending if still pending then).
func (d *DeviceLogin) Wait(timeout time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ptr == nil {
		return ErrClosed
	}
	var cerr *C.tapis_auth_error
	rc := C.tapis_auth_device_wait(d.ptr, C.int64_t(timeout/time.Second), &cerr)
	err := newError(rc, cerr)
	runtime.KeepAlive(d)
	return err
}

// Close abandons/frees the device login. Safe to call more than once.
func (d *DeviceLogin) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ptr != nil {
		C.tapis_auth_device_free(d.ptr)
		d.ptr = nil
	}
	runtime.SetFinalizer(d, nil)
	return nil
}
