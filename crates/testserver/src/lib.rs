//! tapis-auth-testserver (in progress).
