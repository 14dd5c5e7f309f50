//! tapis-auth-http (in progress).
