!> Prints an access token valid for at least 5 more minutes (TAPIS_* environment, then the
!> default cache). Build: gfortran tapis_auth.f90 example_get_token.f90 $(pkg-config --libs tapis_auth)
program example_get_token
  use tapis_auth
  use, intrinsic :: iso_fortran_env, only: int64, error_unit
  implicit none
  type(tapis_session) :: s
  character(:), allocatable :: tok
  character(len=512) :: msg
  integer :: stat
  call tapis_restore(s, stat=stat, errmsg=msg)
  if (stat /= TAPIS_AUTH_OK) then
    write (error_unit, '(a)') 'get_token: '//tapis_status_name(stat)//': '//trim(msg)
    if (tapis_status_is_login_required(stat)) error stop 2
    error stop 1
  end if
  tok = s%access_token(300_int64)   ! error stop on failure (no stat=)
  print '(a)', tok
end program
