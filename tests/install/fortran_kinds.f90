!> fortran_kinds: restores the session (TAPIS_* environment, then the cache) and asks for an
!> access token with min_valid of default kind and of kind int64 (the generic access_token);
!> both must give the same cached token. Prints "fortran_kinds: ok (N-byte token)".
!> Built by scripts/test-install.sh from a Fortran-only CMake project (fortran-only/) and with
!> plain gfortran command lines against the installed, precompiled module.
program fortran_kinds
  use tapis_auth
  use, intrinsic :: iso_fortran_env, only: int64, error_unit
  implicit none
  type(tapis_session) :: s
  character(:), allocatable :: tok_default, tok_int64
  character(len=512) :: msg
  integer :: stat
  call tapis_restore(s, stat=stat, errmsg=msg)
  if (stat /= TAPIS_AUTH_OK) then
    write (error_unit, '(a)') 'fortran_kinds: restore: '//tapis_status_name(stat)//': '//trim(msg)
    error stop 1
  end if
  tok_default = s%access_token(600, stat=stat, errmsg=msg)
  if (stat /= TAPIS_AUTH_OK) then
    write (error_unit, '(a)') 'fortran_kinds: access_token(600): '//trim(msg)
    error stop 1
  end if
  tok_int64 = s%access_token(600_int64, stat=stat, errmsg=msg)
  if (stat /= TAPIS_AUTH_OK .or. tok_int64 /= tok_default .or. len(tok_default) < 20) then
    write (error_unit, '(a)') 'fortran_kinds: access_token(600_int64) differs or failed: '//trim(msg)
    error stop 1
  end if
  print '(a,i0,a)', 'fortran_kinds: ok (', len(tok_default), '-byte token)'
  call s%close()
end program
