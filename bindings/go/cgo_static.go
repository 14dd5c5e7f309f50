//go:build !tapisauth_pkgconfig

package tapisauth

// Default: link the static library copied to ./lib (scripts/test-bindings.sh does this) with
// the header from the repository's include/ directory. The native libraries after
// -ltapis_auth are Rust's `--print native-static-libs` for Linux.
//
// With an installed library, build with `-tags tapisauth_pkgconfig` instead (pkg-config).

// #cgo CFLAGS: -I${SRCDIR}/../../include -I${SRCDIR}/include
// #cgo LDFLAGS: -L${SRCDIR}/lib -l:libtapis_auth.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
import "C"
