#!/usr/bin/env bash
# A consumer built with pkg-config only: shared and static links of examples/c/get_token.c.
# Usage: PKG_CONFIG_PATH=PREFIX/lib/pkgconfig build.sh OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
cc -std=c11 -Wall -Wextra -Werror "$here/../../../../examples/c/get_token.c" $(pkg-config --cflags --libs tapis_auth) \
  -Wl,-rpath,"$(pkg-config --variable=libdir tapis_auth)" -o "$out/get_token_pc_shared"
cc -std=c11 -Wall -Wextra -Werror "$here/../../../../examples/c/get_token.c" $(pkg-config --cflags tapis_auth) \
  "$(pkg-config --variable=libdir tapis_auth)/libtapis_auth.a" $(pkg-config --libs-only-other --static tapis_auth) \
  $(pkg-config --static --libs tapis_auth | sed 's/-ltapis_auth//; s/-L[^ ]*//') -o "$out/get_token_pc_static"
