module github.com/libtapis-auth/libtapis_auth/bindings/go

go 1.19
