//go:build !tapisauth_static

package tapisauth

// Links the installed shared library through pkg-config (tapis_auth.pc):
//
//	export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
//	go build                          # the program then needs $PREFIX/lib at run time
//	                                  # (LD_LIBRARY_PATH, or the tapis-auth Lmod module)
//
// With -tags tapisauth_static the static library is linked instead (cgo_static.go).

// #cgo pkg-config: tapis_auth
import "C"
