!> gfortran tests for the tapis_auth module, against tapis-auth-testserver
!> (TAPIS_TEST_URL, TAPIS_TEST_DIR). Prints "fortran-tests: N passed, M failed".
program test_tapis_auth
  use tapis_auth
  use, intrinsic :: iso_fortran_env, only: int64
  use, intrinsic :: iso_c_binding, only: c_associated
  implicit none
  integer :: passed = 0, failed = 0, stat
  character(:), allocatable :: url, dir, tok, tok2, user, base, cid, code, puser, pmail
  character(len=512) :: msg
  character(len=1024) :: buf
  type(tapis_session) :: s, s2
  type(tapis_device) :: dev
  integer(int64) :: exp, now, wexp
  logical :: deleted

  call get_environment_variable('TAPIS_TEST_URL', buf)
  url = trim(buf)
  call get_environment_variable('TAPIS_TEST_DIR', buf)
  dir = trim(buf)
  if (len(url) == 0 .or. len(dir) == 0) stop 'set TAPIS_TEST_URL and TAPIS_TEST_DIR'
  now = unix_now()

  call check(len(tapis_auth_version()) >= 5, 'version')
  call check(tapis_status_name(TAPIS_AUTH_ERR_LOGIN_REQUIRED) == 'TAPIS_AUTH_ERR_LOGIN_REQUIRED', 'status name')
  call check(tapis_status_is_login_required(TAPIS_AUTH_ERR_REFRESH_REJECTED), 'predicate')

  ! No credentials: stat reports login-required, errmsg explains, nothing is fatal.
  call tapis_restore(s, store_path=dir//'/f-empty', use_environment=.false., stat=stat, errmsg=msg)
  call check(stat == TAPIS_AUTH_ERR_LOGIN_REQUIRED, 'restore without credentials')
  call check(index(msg, 'login') > 0, 'errmsg: '//trim(msg))

  ! Invalid arguments: bad platform, invalid UTF-8 (the value is never echoed).
  call tapis_restore(s, platform='v4', stat=stat, errmsg=msg)
  call check(stat == TAPIS_AUTH_ERR_INVALID_ARGUMENT .and. index(msg, 'platform') > 0, 'bad platform: '//trim(msg))
  call tapis_open(s, username='x'//char(255)//'y', stat=stat, errmsg=msg)
  call check(stat == TAPIS_AUTH_ERR_INVALID_ARGUMENT .and. index(msg, 'username') > 0, 'bad utf-8: '//trim(msg))

  ! Wrong password.
  call tapis_open(s, base_url=url, username='testuser', password='wrong-pass ', &
                  store_path=dir//'/f-wrong', use_environment=.false., stat=stat)
  call check(stat == 0, 'open')
  call s%login_password(stat=stat, errmsg=msg)
  call check(tapis_status_is_login_required(stat), 'wrong password: '//trim(msg))
  call check(index(msg, 'wrong-pass') == 0, 'password not echoed')

  ! Password login, persisted to a cache directory.
  call tapis_open(s, base_url=url, username='testuser', password='testpass', persist=.true., &
                  store_path=dir//'/f-main', use_environment=.false., stat=stat, errmsg=msg)
  call check(stat == 0, 'open: '//trim(msg))
  call s%login_password(stat=stat, errmsg=msg)
  call check(stat == 0, 'login_password: '//trim(msg))

  tok = s%access_token(60_int64, stat=stat)
  call check(stat == 0 .and. len(tok) > 20, 'access_token')
  tok2 = s%access_token()
  call check(tok2 == tok, 'cached token')
  ! min_valid of default kind (the generic's int32 specific) and of kind int64 alike.
  tok2 = s%access_token(60, stat=stat)
  call check(stat == 0 .and. tok2 == tok, 'access_token(default-kind min_valid)')
  exp = s%expires_at(stat=stat)
  call check(stat == 0 .and. exp > now + 60, 'expires_at')
  call s%refresh(stat=stat, errmsg=msg)
  call check(stat == 0, 'refresh: '//trim(msg))
  call s%whoami(username=user, base_url=base, client_id=cid, expires_at=wexp, stat=stat)
  call check(stat == 0 .and. user == 'testuser' .and. base == url .and. len(cid) > 0 .and. wexp > now, 'whoami')
  call s%profile(username=puser, email=pmail, stat=stat)
  call check(stat == 0 .and. puser == 'testuser' .and. pmail == 'testuser@example.org', 'profile')

  ! Restore from the same cache.
  call tapis_restore(s2, store_path=dir//'/f-main', use_environment=.false., stat=stat, errmsg=msg)
  call check(stat == 0, 'restore: '//trim(msg))
  tok2 = s2%access_token(stat=stat)
  call check(stat == 0 .and. len(tok2) > 20, 'restored token')
  call s2%close()
  call s2%close()
  call check(.not. c_associated(s2%h), 'close twice')

  ! Device login: start, poll (pending), then the test harness approves it out of band.
  call tapis_open(s2, base_url=url, client_id=cid, store_path=dir//'/f-device', &
                  use_environment=.false., persist=.true., stat=stat, errmsg=msg)
  call check(stat == 0, 'open for device')
  call s2%device_start(dev, stat=stat, errmsg=msg)
  call check(stat == 0, 'device_start: '//trim(msg))
  if (stat == 0) then
    code = dev%user_code()
    call check(len(code) > 0 .and. len(dev%verification_uri()) > 0 .and. dev%expires_at() > now, 'device prompt')
    call dev%poll(stat)
    call check(stat == TAPIS_AUTH_PENDING, 'pending')
    call dev%close()
  end if

  call s%logout(deleted, stat=stat)
  call check(stat == 0 .and. deleted, 'logout')
  tok = s%access_token(stat=stat)
  call check(tapis_status_is_login_required(stat) .and. len(tok) == 0, 'after logout')
  call s%close()
  call s2%close()

  ! Tokens are secrets: blank the copies before giving the memory back.
  call wipe(tok)
  call wipe(tok2)
  call wipe(code)
  if (allocated(url)) deallocate(url)
  if (allocated(dir)) deallocate(dir)
  if (allocated(user)) deallocate(user)
  if (allocated(base)) deallocate(base)
  if (allocated(cid)) deallocate(cid)
  if (allocated(puser)) deallocate(puser)
  if (allocated(pmail)) deallocate(pmail)

  print '(a,i0,a,i0,a)', 'fortran-tests: ', passed, ' passed, ', failed, ' failed'
  if (failed > 0) error stop 1

contains

  subroutine wipe(str)
    character(:), allocatable, intent(inout) :: str
    if (allocated(str)) then
      str(:) = repeat(' ', len(str))
      deallocate(str)
    end if
  end subroutine

  subroutine check(ok, what)
    logical, intent(in) :: ok
    character(*), intent(in) :: what
    if (ok) then
      passed = passed + 1
    else
      failed = failed + 1
      print '(a)', 'FAIL: '//what
    end if
  end subroutine

  integer(int64) function unix_now()
    integer :: values(8)
    integer(int64) :: days, y, m
    call date_and_time(values=values)
    y = values(1); m = values(2)
    if (m <= 2) then
      y = y - 1; m = m + 12
    end if
    days = 365*y + y/4 - y/100 + y/400 + (153*(m - 3) + 2)/5 + values(3) - 719469_int64
    unix_now = days*86400 + values(5)*3600 + values(6)*60 + values(7) - int(values(4), int64)*60
  end function
end program
