//go:build tapisauth_pkgconfig

package tapisauth

// Installed library: `go build -tags tapisauth_pkgconfig` with PKG_CONFIG_PATH pointing at
// PREFIX/lib/pkgconfig. Add `--static` via PKG_CONFIG="pkg-config --static" to link statically.

// #cgo pkg-config: tapis_auth
import "C"
