//go:build tapisauth_static

package tapisauth

// Links the installed static library through pkg-config (tapis_auth_static.pc, which names the
// archive itself, so the shared library beside it is never picked):
//
//	export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
//	go build -tags tapisauth_static   # no libtapis_auth.so needed at run time
//
// (Go runs pkg-config without extra arguments, so `PKG_CONFIG="pkg-config --static"` would not
// work: the build tag chooses the .pc file instead.)

// #cgo pkg-config: tapis_auth_static
import "C"
