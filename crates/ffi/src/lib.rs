//! tapis-auth-ffi (in progress).
