//! tapis-auth-storage (in progress).
