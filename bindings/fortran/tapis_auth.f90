!> Fortran 2008 binding of libtapis_auth (Tapis v3 / Agave v2 access tokens) over iso_c_binding.
!>
!>   use tapis_auth
!>   type(tapis_session) :: s
!>   character(:), allocatable :: tok
!>   integer :: stat
!>   call tapis_restore(s, stat=stat)          ! TAPIS_* environment, then ~/.agave
!>   tok = s%access_token(600)                  ! valid >= 10 more minutes; error stop on failure
!>
!> Conventions: every procedure takes optional `stat` (integer; 0 = success, else a
!> TAPIS_AUTH_* status) and `errmsg` (a character variable of any length that receives the
!> redacted message on failure, truncated or blank-padded, and is left unchanged on success —
!> the semantics of Fortran's own ERRMSG=). When `stat` is absent a failure is fatal
!> (`error stop`).
!> Strings returned by the library are copied and then freed (wiped) with
!> tapis_auth_string_free, so nothing leaks. A session must not be copied by assignment (two
!> copies would free the same handle); pass it by reference. A session may be used from many
!> OpenMP threads at once.
!> Seconds (`access_token`'s min_valid, `wait`'s timeout) may be default-kind or int64 integers
!> (a generic interface: 600 and 600_int64 both work, with or without -fdefault-integer-8).
!>
!> Build: compile this file with the program (CMake's TapisAuth::fortran target does), or link
!> the module precompiled by scripts/install.sh:
!>   gfortran -I$PREFIX/include app.f90 -L$PREFIX/lib -ltapis_auth_fortran -ltapis_auth
module tapis_auth
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int32, int64, error_unit
  implicit none
  private

  ! Status codes (stable; see docs/c-api.md).
  integer, parameter, public :: TAPIS_AUTH_OK = 0
  integer, parameter, public :: TAPIS_AUTH_ERR_INVALID_ARGUMENT = 100
  integer, parameter, public :: TAPIS_AUTH_ERR_BUFFER_TOO_SMALL = 101
  integer, parameter, public :: TAPIS_AUTH_ERR_PANIC = 102
  integer, parameter, public :: TAPIS_AUTH_ERR_API_MISUSE = 103
  integer, parameter, public :: TAPIS_AUTH_ERR_CANCELLED = 104
  integer, parameter, public :: TAPIS_AUTH_ERR_LOGIN_REQUIRED = 200
  integer, parameter, public :: TAPIS_AUTH_ERR_INVALID_CREDENTIALS = 201
  integer, parameter, public :: TAPIS_AUTH_ERR_INVALID_CLIENT = 202
  integer, parameter, public :: TAPIS_AUTH_ERR_REFRESH_REJECTED = 203
  integer, parameter, public :: TAPIS_AUTH_ERR_DEVICE_CODE_EXPIRED = 204
  integer, parameter, public :: TAPIS_AUTH_PENDING = 300
  integer, parameter, public :: TAPIS_AUTH_ERR_LOGIN_FAILED = 301
  integer, parameter, public :: TAPIS_AUTH_ERR_TOKEN_REJECTED = 302
  integer, parameter, public :: TAPIS_AUTH_ERR_NETWORK = 400
  integer, parameter, public :: TAPIS_AUTH_ERR_CONNECT = 401
  integer, parameter, public :: TAPIS_AUTH_ERR_TIMEOUT = 402
  integer, parameter, public :: TAPIS_AUTH_ERR_TLS = 403
  integer, parameter, public :: TAPIS_AUTH_ERR_INSECURE_HTTP = 404
  integer, parameter, public :: TAPIS_AUTH_ERR_SERVER = 500
  integer, parameter, public :: TAPIS_AUTH_ERR_MALFORMED_RESPONSE = 501
  integer, parameter, public :: TAPIS_AUTH_ERR_REQUEST_REFUSED = 502
  integer, parameter, public :: TAPIS_AUTH_ERR_STORAGE = 600
  integer, parameter, public :: TAPIS_AUTH_ERR_CORRUPT_CACHE = 601
  integer, parameter, public :: TAPIS_AUTH_ERR_LOCK_TIMEOUT = 602
  integer, parameter, public :: TAPIS_AUTH_ERR_STORE_UNAVAILABLE = 603
  integer, parameter, public :: TAPIS_AUTH_ERR_STORE_READ_ONLY = 604
  integer, parameter, public :: TAPIS_AUTH_ERR_INVALID_RECORD = 605
  integer, parameter, public :: TAPIS_AUTH_ERR_UNSAFE_CACHE = 606
  integer, parameter, public :: TAPIS_AUTH_ERR_CACHE_TOO_NEW = 607
  integer, parameter, public :: TAPIS_AUTH_ERR_CONFIG = 700
  integer, parameter, public :: TAPIS_AUTH_ERR_UNSUPPORTED = 701
  integer, parameter, public :: TAPIS_AUTH_ERR_OTHER = 900

  !> A session handle (one profile's credentials). Freed by `close` or finalization.
  type, public :: tapis_session
    type(c_ptr) :: h = c_null_ptr
  contains
    procedure, private :: access_token_int64 => session_access_token
    procedure, private :: access_token_int32 => session_access_token_int32
    !> An access token valid for at least min_valid more seconds (default-kind or int64).
    generic :: access_token => access_token_int64, access_token_int32
    procedure :: refresh => session_refresh
    procedure :: expires_at => session_expires_at
    procedure :: login_password => session_login_password
    procedure :: whoami => session_whoami
    procedure :: profile => session_profile
    procedure :: logout => session_logout
    procedure :: device_start => session_device_start
    procedure :: close => session_close
    final :: session_final
  end type

  !> A device-code login in progress.
  type, public :: tapis_device
    type(c_ptr) :: h = c_null_ptr
  contains
    procedure :: user_code => device_user_code
    procedure :: verification_uri => device_verification_uri
    procedure :: expires_at => device_expires_at
    procedure :: poll => device_poll
    procedure, private :: wait_int64 => device_wait
    procedure, private :: wait_int32 => device_wait_int32
    !> Polls until approved, expired or timeout seconds (default-kind or int64) pass.
    generic :: wait => wait_int64, wait_int32
    procedure :: close => device_close
    final :: device_final
  end type

  public :: tapis_auth_version, tapis_status_name, tapis_status_is_login_required
  public :: tapis_restore, tapis_open

  interface
    function c_strlen(s) bind(c, name='strlen') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: n
    end function
    function c_version() bind(c, name='tapis_auth_version') result(p)
      import :: c_ptr
      type(c_ptr) :: p
    end function
    function c_status_name(st) bind(c, name='tapis_auth_status_name') result(p)
      import :: c_ptr, c_int32_t
      integer(c_int32_t), value :: st
      type(c_ptr) :: p
    end function
    function c_status_is_login_required(st) bind(c, name='tapis_auth_status_is_login_required') result(b)
      import :: c_bool, c_int32_t
      integer(c_int32_t), value :: st
      logical(c_bool) :: b
    end function
    function c_error_message(e) bind(c, name='tapis_auth_error_message') result(p)
      import :: c_ptr
      type(c_ptr), value :: e
      type(c_ptr) :: p
    end function
    subroutine c_error_free(e) bind(c, name='tapis_auth_error_free')
      import :: c_ptr
      type(c_ptr), value :: e
    end subroutine
    subroutine c_string_free(s) bind(c, name='tapis_auth_string_free')
      import :: c_ptr
      type(c_ptr), value :: s
    end subroutine
    function c_options_new() bind(c, name='tapis_auth_options_new') result(p)
      import :: c_ptr
      type(c_ptr) :: p
    end function
    subroutine c_options_free(o) bind(c, name='tapis_auth_options_free')
      import :: c_ptr
      type(c_ptr), value :: o
    end subroutine
    !> Every string setter has this shape: (opts, value, err).
    function c_set_str(o, v, e) bind(c) result(st)
      import :: c_ptr, c_char, c_int32_t
      type(c_ptr), value :: o
      character(kind=c_char), intent(in) :: v(*)
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_set_store(o, kind, path, e) bind(c, name='tapis_auth_options_set_store') result(st)
      import :: c_ptr, c_char, c_int32_t
      type(c_ptr), value :: o
      character(kind=c_char), intent(in) :: kind(*)
      type(c_ptr), value :: path
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_set_bool(o, v, e) bind(c) result(st)
      import :: c_ptr, c_bool, c_int32_t
      type(c_ptr), value :: o
      logical(c_bool), value :: v
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_set_min_valid(o, v, e) bind(c, name='tapis_auth_options_set_min_valid') result(st)
      import :: c_ptr, c_int64_t, c_int32_t
      type(c_ptr), value :: o
      integer(c_int64_t), value :: v
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_session_new(o, out, e) bind(c) result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: o
      type(c_ptr), intent(out) :: out
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    subroutine c_session_free(s) bind(c, name='tapis_auth_session_free')
      import :: c_ptr
      type(c_ptr), value :: s
    end subroutine
    function c_access_token(s, min_valid, tok, e) bind(c, name='tapis_auth_access_token') result(st)
      import :: c_ptr, c_int64_t, c_int32_t
      type(c_ptr), value :: s
      integer(c_int64_t), value :: min_valid
      type(c_ptr), intent(out) :: tok
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_session_op(s, e) bind(c) result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: s
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_expires_at(s, t, e) bind(c, name='tapis_auth_expires_at') result(st)
      import :: c_ptr, c_int64_t, c_int32_t
      type(c_ptr), value :: s
      integer(c_int64_t), intent(out) :: t
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_login_password(s, create_client, e) bind(c, name='tapis_auth_login_password') result(st)
      import :: c_ptr, c_bool, c_int32_t
      type(c_ptr), value :: s
      logical(c_bool), value :: create_client
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_logout(s, deleted, e) bind(c, name='tapis_auth_logout') result(st)
      import :: c_ptr, c_bool, c_int32_t
      type(c_ptr), value :: s
      logical(c_bool), intent(out) :: deleted
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_whoami(s, w, e) bind(c, name='tapis_auth_session_whoami') result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: s
      type(c_ptr), intent(out) :: w
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_whoami_str(w) bind(c) result(p)
      import :: c_ptr
      type(c_ptr), value :: w
      type(c_ptr) :: p
    end function
    function c_whoami_expires_at(w) bind(c, name='tapis_auth_whoami_expires_at') result(t)
      import :: c_ptr, c_int64_t
      type(c_ptr), value :: w
      integer(c_int64_t) :: t
    end function
    subroutine c_whoami_free(w) bind(c, name='tapis_auth_whoami_free')
      import :: c_ptr
      type(c_ptr), value :: w
    end subroutine
    function c_profile(s, p, e) bind(c, name='tapis_auth_session_profile') result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: s
      type(c_ptr), intent(out) :: p
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    subroutine c_profile_free(p) bind(c, name='tapis_auth_profile_free')
      import :: c_ptr
      type(c_ptr), value :: p
    end subroutine
    function c_device_start(s, d, e) bind(c, name='tapis_auth_device_start') result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: s
      type(c_ptr), intent(out) :: d
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_device_str(d) bind(c) result(p)
      import :: c_ptr
      type(c_ptr), value :: d
      type(c_ptr) :: p
    end function
    function c_device_expires_at(d) bind(c, name='tapis_auth_device_expires_at') result(t)
      import :: c_ptr, c_int64_t
      type(c_ptr), value :: d
      integer(c_int64_t) :: t
    end function
    function c_device_poll(d, e) bind(c, name='tapis_auth_device_poll') result(st)
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: d
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    function c_device_wait(d, secs, e) bind(c, name='tapis_auth_device_wait') result(st)
      import :: c_ptr, c_int64_t, c_int32_t
      type(c_ptr), value :: d
      integer(c_int64_t), value :: secs
      type(c_ptr), intent(out) :: e
      integer(c_int32_t) :: st
    end function
    subroutine c_device_free(d) bind(c, name='tapis_auth_device_free')
      import :: c_ptr
      type(c_ptr), value :: d
    end subroutine
  end interface

  ! Named bindings of the shared interface shapes above.
  procedure(c_set_str), bind(c, name='tapis_auth_options_set_base_url') :: c_set_base_url
  procedure(c_set_str), bind(c, name='tapis_auth_options_set_tenant') :: c_set_tenant
  procedure(c_set_str), bind(c, name='tapis_auth_options_set_platform') :: c_set_platform
  procedure(c_set_str), bind(c, name='tapis_auth_options_set_profile') :: c_set_profile
  procedure(c_set_str), bind(c, name='tapis_auth_options_set_username') :: c_set_username
  procedure(c_set_str), bind(c, name='tapis_auth_options_set_password') :: c_set_password
  procedure(c_set_str), bind(c, name='tapis_auth_options_set_client_id') :: c_set_client_id
  procedure(c_set_str), bind(c, name='tapis_auth_options_set_client_key') :: c_set_client_key
  procedure(c_set_str), bind(c, name='tapis_auth_options_set_access_token') :: c_set_access_token
  procedure(c_set_str), bind(c, name='tapis_auth_options_set_ca_file') :: c_set_ca_file
  procedure(c_set_bool), bind(c, name='tapis_auth_options_set_persist') :: c_set_persist
  procedure(c_set_bool), bind(c, name='tapis_auth_options_set_use_environment') :: c_set_use_environment
  procedure(c_set_bool), bind(c, name='tapis_auth_options_set_allow_insecure_http') :: c_set_allow_insecure
  procedure(c_session_new), bind(c, name='tapis_auth_session_restore') :: c_session_restore
  procedure(c_session_new), bind(c, name='tapis_auth_session_open') :: c_session_open
  procedure(c_session_op), bind(c, name='tapis_auth_refresh') :: c_refresh
  procedure(c_whoami_str), bind(c, name='tapis_auth_whoami_username') :: c_whoami_username
  procedure(c_whoami_str), bind(c, name='tapis_auth_whoami_base_url') :: c_whoami_base_url
  procedure(c_whoami_str), bind(c, name='tapis_auth_whoami_client_id') :: c_whoami_client_id
  procedure(c_whoami_str), bind(c, name='tapis_auth_whoami_tenant_id') :: c_whoami_tenant_id
  procedure(c_whoami_str), bind(c, name='tapis_auth_profile_username') :: c_profile_username
  procedure(c_whoami_str), bind(c, name='tapis_auth_profile_email') :: c_profile_email
  procedure(c_whoami_str), bind(c, name='tapis_auth_profile_full_name') :: c_profile_full_name
  procedure(c_device_str), bind(c, name='tapis_auth_device_user_code') :: c_device_user_code
  procedure(c_device_str), bind(c, name='tapis_auth_device_verification_uri') :: c_device_uri

contains

  !> Copies a NUL-terminated C string into an allocatable Fortran string ('' for NULL).
  subroutine c_f_string(c, f)
    type(c_ptr), intent(in) :: c
    character(:), allocatable, intent(out) :: f
    character(kind=c_char), pointer :: p(:)
    integer :: n, i
    if (.not. c_associated(c)) then
      f = ''
      return
    end if
    n = int(c_strlen(c))
    call c_f_pointer(c, p, [n])
    allocate (character(n) :: f)
    do i = 1, n
      f(i:i) = p(i)
    end do
  end subroutine

  !> Copies an owned C string, then frees (wipes) it.
  subroutine take_string(c, f)
    type(c_ptr), intent(in) :: c
    character(:), allocatable, intent(out) :: f
    call c_f_string(c, f)
    call c_string_free(c)
  end subroutine

  !> Reports a status: sets stat/errmsg when present, frees the error object, and stops the
  !> program on failure when stat is absent.
  subroutine report(st, cerr, where, stat, errmsg)
    integer(c_int32_t), intent(in) :: st
    type(c_ptr), intent(in) :: cerr
    character(*), intent(in) :: where
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    character(:), allocatable :: msg
    if (present(stat)) stat = int(st)
    if (st /= 0) then
      call c_f_string(c_error_message(cerr), msg)
    else
      msg = ''
    end if
    if (c_associated(cerr)) call c_error_free(cerr)
    if (present(errmsg) .and. st /= 0) errmsg = msg
    if (st /= 0 .and. .not. present(stat)) then
      write (error_unit, '(a)') 'tapis_auth: '//where//': '//msg
      error stop 1
    end if
  end subroutine

  !> The library version, e.g. "0.1.0".
  function tapis_auth_version() result(v)
    character(:), allocatable :: v
    call c_f_string(c_version(), v)
  end function

  !> The name of a status code, e.g. "TAPIS_AUTH_ERR_LOGIN_REQUIRED".
  function tapis_status_name(st) result(v)
    integer, intent(in) :: st
    character(:), allocatable :: v
    call c_f_string(c_status_name(int(st, c_int32_t)), v)
  end function

  !> True when only a new login can help.
  logical function tapis_status_is_login_required(st)
    integer, intent(in) :: st
    tapis_status_is_login_required = logical(c_status_is_login_required(int(st, c_int32_t)))
  end function

  !> Builds a C options object from the optional arguments (c_null_ptr when none is given).
  subroutine build_options(o, st, cerr, base_url, tenant, platform, profile, username, password, &
                           client_id, client_key, access_token, store_kind, store_path, ca_file, &
                           use_environment, persist, allow_insecure_http, min_valid)
    type(c_ptr), intent(out) :: o
    integer(c_int32_t), intent(out) :: st
    type(c_ptr), intent(out) :: cerr
    character(*), intent(in), optional :: base_url, tenant, platform, profile, username, password, &
                                          client_id, client_key, access_token, store_kind, store_path, ca_file
    logical, intent(in), optional :: use_environment, persist, allow_insecure_http
    integer(int64), intent(in), optional :: min_valid
    character(kind=c_char), allocatable, target :: path_c(:)
    character(:), allocatable :: kind
    integer :: i
    st = 0
    cerr = c_null_ptr
    o = c_options_new()
    ! Non-secret strings are trimmed; secrets are passed exactly (a password may end in blanks).
    if (present(base_url)) st = c_set_base_url(o, trim(base_url)//c_null_char, cerr)
    if (st == 0 .and. present(tenant)) st = c_set_tenant(o, trim(tenant)//c_null_char, cerr)
    if (st == 0 .and. present(platform)) st = c_set_platform(o, trim(platform)//c_null_char, cerr)
    if (st == 0 .and. present(profile)) st = c_set_profile(o, trim(profile)//c_null_char, cerr)
    if (st == 0 .and. present(username)) st = c_set_username(o, trim(username)//c_null_char, cerr)
    if (st == 0 .and. present(password)) st = c_set_password(o, password//c_null_char, cerr)
    if (st == 0 .and. present(client_id)) st = c_set_client_id(o, trim(client_id)//c_null_char, cerr)
    if (st == 0 .and. present(client_key)) st = c_set_client_key(o, client_key//c_null_char, cerr)
    if (st == 0 .and. present(access_token)) st = c_set_access_token(o, trim(access_token)//c_null_char, cerr)
    if (st == 0 .and. present(ca_file)) st = c_set_ca_file(o, trim(ca_file)//c_null_char, cerr)
    if (st == 0 .and. (present(store_kind) .or. present(store_path))) then
      kind = 'json'
      if (present(store_kind)) kind = trim(store_kind)
      if (present(store_path)) then
        allocate (path_c(len_trim(store_path) + 1))
        do i = 1, len_trim(store_path)
          path_c(i) = store_path(i:i)
        end do
        path_c(len_trim(store_path) + 1) = c_null_char
        st = c_set_store(o, kind//c_null_char, c_loc(path_c), cerr)
      else
        st = c_set_store(o, kind//c_null_char, c_null_ptr, cerr)
      end if
    end if
    if (st == 0 .and. present(use_environment)) st = c_set_use_environment(o, logical(use_environment, c_bool), cerr)
    if (st == 0 .and. present(persist)) st = c_set_persist(o, logical(persist, c_bool), cerr)
    if (st == 0 .and. present(allow_insecure_http)) &
      st = c_set_allow_insecure(o, logical(allow_insecure_http, c_bool), cerr)
    if (st == 0 .and. present(min_valid)) st = c_set_min_valid(o, int(min_valid, c_int64_t), cerr)
  end subroutine

  !> Restores a session: explicit arguments, then the TAPIS_* environment, then the store
  !> (default ~/.agave). With no optional argument the library defaults apply.
  subroutine tapis_restore(session, base_url, tenant, platform, profile, username, password, &
                           client_id, client_key, access_token, store_kind, store_path, ca_file, &
                           use_environment, persist, allow_insecure_http, min_valid, stat, errmsg)
    type(tapis_session), intent(inout) :: session
    character(*), intent(in), optional :: base_url, tenant, platform, profile, username, password, &
                                          client_id, client_key, access_token, store_kind, store_path, ca_file
    logical, intent(in), optional :: use_environment, persist, allow_insecure_http
    integer(int64), intent(in), optional :: min_valid
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    type(c_ptr) :: cerr
    integer(c_int32_t) :: st
    call new_session(session, .true., st, cerr, base_url, tenant, platform, profile, username, password, &
                     client_id, client_key, access_token, store_kind, store_path, ca_file, &
                     use_environment, persist, allow_insecure_http, min_valid)
    call report(st, cerr, 'tapis_restore', stat, errmsg)
  end subroutine

  !> Like tapis_restore but succeeds without credentials (before login_password/device_start).
  subroutine tapis_open(session, base_url, tenant, platform, profile, username, password, &
                        client_id, client_key, access_token, store_kind, store_path, ca_file, &
                        use_environment, persist, allow_insecure_http, min_valid, stat, errmsg)
    type(tapis_session), intent(inout) :: session
    character(*), intent(in), optional :: base_url, tenant, platform, profile, username, password, &
                                          client_id, client_key, access_token, store_kind, store_path, ca_file
    logical, intent(in), optional :: use_environment, persist, allow_insecure_http
    integer(int64), intent(in), optional :: min_valid
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    type(c_ptr) :: cerr
    integer(c_int32_t) :: st
    call new_session(session, .false., st, cerr, base_url, tenant, platform, profile, username, password, &
                     client_id, client_key, access_token, store_kind, store_path, ca_file, &
                     use_environment, persist, allow_insecure_http, min_valid)
    call report(st, cerr, 'tapis_open', stat, errmsg)
  end subroutine

  subroutine new_session(session, restore, st, cerr, base_url, tenant, platform, profile, username, password, &
                         client_id, client_key, access_token, store_kind, store_path, ca_file, &
                         use_environment, persist, allow_insecure_http, min_valid)
    type(tapis_session), intent(inout) :: session
    logical, intent(in) :: restore
    integer(c_int32_t), intent(out) :: st
    type(c_ptr), intent(out) :: cerr
    character(*), intent(in), optional :: base_url, tenant, platform, profile, username, password, &
                                          client_id, client_key, access_token, store_kind, store_path, ca_file
    logical, intent(in), optional :: use_environment, persist, allow_insecure_http
    integer(int64), intent(in), optional :: min_valid
    type(c_ptr) :: o, h
    call session%close()
    call build_options(o, st, cerr, base_url, tenant, platform, profile, username, password, &
                       client_id, client_key, access_token, store_kind, store_path, ca_file, &
                       use_environment, persist, allow_insecure_http, min_valid)
    if (st == 0) then
      h = c_null_ptr
      if (restore) then
        st = c_session_restore(o, h, cerr)
      else
        st = c_session_open(o, h, cerr)
      end if
      if (st == 0) session%h = h
    end if
    call c_options_free(o)
  end subroutine

  !> An access token valid for at least min_valid more seconds (default 0 = the library's
  !> margin), refreshed when needed.
  function session_access_token(self, min_valid, stat, errmsg) result(tok)
    class(tapis_session), intent(in) :: self
    integer(int64), intent(in), optional :: min_valid
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    character(:), allocatable :: tok
    type(c_ptr) :: ctok, cerr
    integer(c_int64_t) :: mv
    integer(c_int32_t) :: st
    mv = 0
    if (present(min_valid)) mv = int(min_valid, c_int64_t)
    ctok = c_null_ptr
    st = c_access_token(self%h, mv, ctok, cerr)
    if (st == 0) then
      call take_string(ctok, tok)
    else
      tok = ''
    end if
    call report(st, cerr, 'access_token', stat, errmsg)
  end function

  !> access_token with a 32-bit (default-kind) min_valid, so that s%access_token(600) works.
  !> min_valid is required here: the int64 specific covers the call without it.
  function session_access_token_int32(self, min_valid, stat, errmsg) result(tok)
    class(tapis_session), intent(in) :: self
    integer(int32), intent(in) :: min_valid
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    character(:), allocatable :: tok
    tok = session_access_token(self, int(min_valid, int64), stat, errmsg)
  end function

  !> Refreshes the access token now.
  subroutine session_refresh(self, stat, errmsg)
    class(tapis_session), intent(in) :: self
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    type(c_ptr) :: cerr
    integer(c_int32_t) :: st
    st = c_refresh(self%h, cerr)
    call report(st, cerr, 'refresh', stat, errmsg)
  end subroutine

  !> The access token's expiry in Unix seconds (0 when unknown).
  function session_expires_at(self, stat, errmsg) result(t)
    class(tapis_session), intent(in) :: self
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    integer(int64) :: t
    integer(c_int64_t) :: ct
    type(c_ptr) :: cerr
    integer(c_int32_t) :: st
    ct = 0
    st = c_expires_at(self%h, ct, cerr)
    t = int(ct, int64)
    call report(st, cerr, 'expires_at', stat, errmsg)
  end function

  !> Logs in with the username and password given to tapis_open; create_client (default
  !> .true.) creates an OAuth client first when none was given, so the session can refresh.
  subroutine session_login_password(self, create_client, stat, errmsg)
    class(tapis_session), intent(in) :: self
    logical, intent(in), optional :: create_client
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    type(c_ptr) :: cerr
    integer(c_int32_t) :: st
    logical(c_bool) :: cc
    cc = .true.
    if (present(create_client)) cc = logical(create_client, c_bool)
    st = c_login_password(self%h, cc, cerr)
    call report(st, cerr, 'login_password', stat, errmsg)
  end subroutine

  !> Who the session belongs to (local data, no secrets). Unknown values are ''.
  subroutine session_whoami(self, username, base_url, client_id, tenant_id, expires_at, stat, errmsg)
    class(tapis_session), intent(in) :: self
    character(:), allocatable, intent(out), optional :: username, base_url, client_id, tenant_id
    integer(int64), intent(out), optional :: expires_at
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    type(c_ptr) :: w, cerr
    integer(c_int32_t) :: st
    w = c_null_ptr
    st = c_whoami(self%h, w, cerr)
    if (st == 0) then
      if (present(username)) call c_f_string(c_whoami_username(w), username)
      if (present(base_url)) call c_f_string(c_whoami_base_url(w), base_url)
      if (present(client_id)) call c_f_string(c_whoami_client_id(w), client_id)
      if (present(tenant_id)) call c_f_string(c_whoami_tenant_id(w), tenant_id)
      if (present(expires_at)) expires_at = int(c_whoami_expires_at(w), int64)
      call c_whoami_free(w)
    end if
    call report(st, cerr, 'whoami', stat, errmsg)
  end subroutine

  !> Asks the server who the token belongs to (Tapis v3 /v3/oauth2/profiles/{user}, Agave v2
  !> /profiles/v2/me), refreshing first when needed. Values the server did not give are ''.
  subroutine session_profile(self, username, email, full_name, stat, errmsg)
    class(tapis_session), intent(in) :: self
    character(:), allocatable, intent(out), optional :: username, email, full_name
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    type(c_ptr) :: p, cerr
    integer(c_int32_t) :: st
    p = c_null_ptr
    st = c_profile(self%h, p, cerr)
    if (st == 0) then
      if (present(username)) call c_f_string(c_profile_username(p), username)
      if (present(email)) call c_f_string(c_profile_email(p), email)
      if (present(full_name)) call c_f_string(c_profile_full_name(p), full_name)
      call c_profile_free(p)
    end if
    call report(st, cerr, 'profile', stat, errmsg)
  end subroutine

  !> Revokes (best effort) and deletes the session; `deleted` tells whether a stored one was.
  subroutine session_logout(self, deleted, stat, errmsg)
    class(tapis_session), intent(in) :: self
    logical, intent(out), optional :: deleted
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    type(c_ptr) :: cerr
    integer(c_int32_t) :: st
    logical(c_bool) :: d
    d = .false.
    st = c_logout(self%h, d, cerr)
    if (present(deleted)) deleted = logical(d)
    call report(st, cerr, 'logout', stat, errmsg)
  end subroutine

  !> Starts a device login (Tapis v3) with the tenant and client id given to tapis_open.
  subroutine session_device_start(self, device, stat, errmsg)
    class(tapis_session), intent(in) :: self
    type(tapis_device), intent(inout) :: device
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    type(c_ptr) :: d, cerr
    integer(c_int32_t) :: st
    call device%close()
    d = c_null_ptr
    st = c_device_start(self%h, d, cerr)
    if (st == 0) device%h = d
    call report(st, cerr, 'device_start', stat, errmsg)
  end subroutine

  !> Frees the session now (safe to call more than once).
  subroutine session_close(self)
    class(tapis_session), intent(inout) :: self
    if (c_associated(self%h)) call c_session_free(self%h)
    self%h = c_null_ptr
  end subroutine

  subroutine session_final(self)
    type(tapis_session), intent(inout) :: self
    call self%close()
  end subroutine

  !> The code the user types.
  function device_user_code(self) result(v)
    class(tapis_device), intent(in) :: self
    character(:), allocatable :: v
    call c_f_string(c_device_user_code(self%h), v)
  end function

  !> Where the user types it.
  function device_verification_uri(self) result(v)
    class(tapis_device), intent(in) :: self
    character(:), allocatable :: v
    call c_f_string(c_device_uri(self%h), v)
  end function

  !> When the code stops being accepted (Unix seconds).
  function device_expires_at(self) result(t)
    class(tapis_device), intent(in) :: self
    integer(int64) :: t
    t = int(c_device_expires_at(self%h), int64)
  end function

  !> Polls once without sleeping; stat = TAPIS_AUTH_PENDING while not approved (not fatal).
  subroutine device_poll(self, stat, errmsg)
    class(tapis_device), intent(in) :: self
    integer, intent(out) :: stat
    character(*), intent(inout), optional :: errmsg
    type(c_ptr) :: cerr
    integer(c_int32_t) :: st
    st = c_device_poll(self%h, cerr)
    call report(st, cerr, 'device_poll', stat, errmsg)
  end subroutine

  !> Polls until approved, expired or timeout seconds pass (stat = TAPIS_AUTH_PENDING then).
  subroutine device_wait(self, timeout, stat, errmsg)
    class(tapis_device), intent(in) :: self
    integer(int64), intent(in) :: timeout
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    type(c_ptr) :: cerr
    integer(c_int32_t) :: st
    st = c_device_wait(self%h, int(timeout, c_int64_t), cerr)
    call report(st, cerr, 'device_wait', stat, errmsg)
  end subroutine

  !> wait with a 32-bit (default-kind) timeout.
  subroutine device_wait_int32(self, timeout, stat, errmsg)
    class(tapis_device), intent(in) :: self
    integer(int32), intent(in) :: timeout
    integer, intent(out), optional :: stat
    character(*), intent(inout), optional :: errmsg
    call device_wait(self, int(timeout, int64), stat, errmsg)
  end subroutine

  !> Frees the device login now (safe to call more than once).
  subroutine device_close(self)
    class(tapis_device), intent(inout) :: self
    if (c_associated(self%h)) call c_device_free(self%h)
    self%h = c_null_ptr
  end subroutine

  subroutine device_final(self)
    type(tapis_device), intent(inout) :: self
    call self%close()
  end subroutine

end module tapis_auth
