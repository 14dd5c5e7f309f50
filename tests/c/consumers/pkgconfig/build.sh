#!/usr/bin/env bash
# A consumer built with pkg-config only: shared and static links of examples/c/get_token.c, with
# the documented recipes (tapis_auth.pc for the shared library, tapis_auth_static.pc for the
# static one; no library paths given by hand).
# Usage: PKG_CONFIG_PATH=PREFIX/lib/pkgconfig build.sh OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
src="$here/../../../../examples/c/get_token.c"
cc -std=c11 -Wall -Wextra -Werror "$src" $(pkg-config --cflags --libs tapis_auth) \
  -Wl,-rpath,"$(pkg-config --variable=libdir tapis_auth)" -o "$out/get_token_pc_shared"
cc -std=c11 -Wall -Wextra -Werror "$src" $(pkg-config --cflags --libs tapis_auth_static) -o "$out/get_token_pc_static"
