#!/usr/bin/env bash
# Checks the site packaging as far as the tools run here:
#   release     scripts/release.sh makes byte-identical tarballs of the released tag twice (the
#               second time from a fresh clone, another time zone and umask), and their sha256
#               is the one the Spack recipe and the easyconfig record
#   spack       the recipe (Spack v1.x repository layout) compiles as Python and names its
#               repository's namespace; Spack itself is not run (it is not packaged on PyPI or
#               in Debian; see docs/c-api.md for what was checked by hand)
#   easybuild   the easyconfig is what write_easyconfig.py makes from the tag's Cargo.lock, and
#               EasyBuild itself (from PyPI, in target/venv-easybuild) parses it, runs its
#               contribution checks (style, sha256 checksums) and a dry run with the Cargo easyblock
#   lmod        the modulefile template, rendered, compiles with luac (scripts/test-install.sh
#               loads the installed one with Lmod)
# Prints "packaging: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/harness.sh
harness_init packaging
need_packages python3:python3 luac:lua5.3 /usr/share/lmod/lmod/init/bash:lmod
# (a module, not a command: the made-up path makes need_packages install it)
python3 -c "import ensurepip, venv" 2>/dev/null || need_packages /nonexistent/python3-venv:python3-venv

SPACK_REPO=packaging/spack/spack_repo/tapis_auth
RECIPE=$SPACK_REPO/packages/tapis_auth/package.py
# The newest released version the Spack recipe lists.
VERSION=$(sed -n 's/^    version("\([0-9][^"]*\)", sha256=.*/\1/p' "$RECIPE" | head -1)
EASYCONFIG=$(ls packaging/easybuild/libtapis_auth-"$VERSION"-*.eb 2>/dev/null | head -1)
echo "released version in the recipes: ${VERSION:-none} (${EASYCONFIG:-no easyconfig})"

release() (
  set -e
  [ -n "$VERSION" ] && [ -n "$EASYCONFIG" ]
  recorded=$(sed -n "s/^$VERSION \([0-9a-f]\{40\}\)$/\1/p" packaging/releases.txt)
  [ -n "$recorded" ] || { echo "packaging/releases.txt names no commit for $VERSION"; exit 1; }
  if tagged=$(git rev-parse -q --verify "refs/tags/v$VERSION^{commit}"); then
    [ "$tagged" = "$recorded" ] ||
      { echo "tag v$VERSION is $tagged, but packaging/releases.txt says $recorded"; exit 1; }
  else
    # A clone without tags: the release is the recorded commit.
    git cat-file -e "$recorded^{commit}" ||
      { echo "commit $recorded of release $VERSION is not in this clone"; exit 1; }
    git tag "v$VERSION" "$recorded"
    echo "no tag v$VERSION in this clone: tagged the recorded commit $recorded"
  fi
  sha1=$(scripts/release.sh --out "$TMP/dist1" "v$VERSION" | cut -d' ' -f1)
  git clone -q --no-local . "$TMP/clone"
  git -C "$TMP/clone" fetch -q origin "refs/tags/v$VERSION:refs/tags/v$VERSION"
  sha2=$(cd "$TMP/clone" && umask 077 && TZ=Pacific/Kiritimati scripts/release.sh --out "$TMP/dist2" "v$VERSION" | cut -d' ' -f1)
  cmp "$TMP/dist1/libtapis_auth-$VERSION.tar.gz" "$TMP/dist2/libtapis_auth-$VERSION.tar.gz"
  grep "version(\"$VERSION\", sha256=\"$sha1\")" "$RECIPE" > /dev/null ||
    { echo "the Spack recipe's sha256 for $VERSION is not $sha1"; exit 1; }
  grep "'%(name)s-%(version)s.tar.gz': '$sha1'" "$EASYCONFIG" > /dev/null ||
    { echo "the easyconfig's sha256 is not $sha1"; exit 1; }
  # The recipes are not in the tarball, so writing their sha256 did not change it.
  ! tar -tzf "$TMP/dist1/libtapis_auth-$VERSION.tar.gz" | grep -E '/packaging/(spack|easybuild)/'
  tar -tzf "$TMP/dist1/libtapis_auth-$VERSION.tar.gz" | grep "^libtapis_auth-$VERSION/scripts/install.sh$" > /dev/null
  echo "ok: release tarball of v$VERSION reproducible: $sha1"
)
step release release

spack_recipe() (
  set -e
  python3 -m py_compile "$RECIPE"
  grep -E '^  namespace: tapis_auth$' "$SPACK_REPO/repo.yaml" > /dev/null
  grep -E '^  api: v2\.[0-9]+$' "$SPACK_REPO/repo.yaml" > /dev/null
  # The class, its variants and its versions, read from the recipe's syntax tree (Spack's
  # directives are calls in the class body).
  python3 - "$RECIPE" "$VERSION" <<'PY'
import ast, re, sys
path, released = sys.argv[1:]
tree = ast.parse(open(path).read(), path)
cls = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "TapisAuth"]
assert cls and [b.id for b in cls[0].bases] == ["Package"], "no class TapisAuth(Package)"
calls = [n.value for n in cls[0].body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
def directive(name):
    return [c for c in calls if isinstance(c.func, ast.Name) and c.func.id == name]
variants = {c.args[0].value for c in directive("variant")}
assert variants == {"sqlite", "keyring", "fortran"}, f"variants: {sorted(variants)}"
versions = {c.args[0].value: {k.arg: k.value.value for k in c.keywords} for c in directive("version")}
assert versions.get("main") == {"branch": "main"}, "no development version main"
assert re.fullmatch(r"[0-9a-f]{64}", versions.get(released, {}).get("sha256", "")), \
    f"version {released} has no sha256"
print(f"variants {sorted(variants)}; versions {sorted(versions)}")
PY
  echo "ok: Spack recipe compiles; repository layout spack_repo/tapis_auth/packages/tapis_auth"
)
step spack-recipe spack_recipe

easyconfig() (
  set -e
  python3 -m py_compile "$EASYCONFIG" 2>&1
  sha=$(sed -n "s/.*'%(name)s-%(version)s.tar.gz': '\([0-9a-f]*\)'.*/\1/p" "$EASYCONFIG")
  git show "v$VERSION:Cargo.lock" > "$TMP/Cargo.lock"
  python3 packaging/easybuild/write_easyconfig.py --version "$VERSION" --sha256 "$sha" \
    --cargo-lock "$TMP/Cargo.lock" --out-dir "$TMP/eb"
  diff -u "$EASYCONFIG" "$TMP/eb/$(basename "$EASYCONFIG")"
  venv="$ROOT/target/venv-easybuild"
  [ -x "$venv/bin/eb" ] || {
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q easybuild-framework==5.4.1 easybuild-easyblocks==5.4.1 pycodestyle==2.14.0
  }
  export PATH="$venv/bin:$PATH" EASYBUILD_PREFIX="$TMP/easybuild" EASYBUILD_ALLOW_USE_AS_ROOT_AND_ACCEPT_CONSEQUENCES=1
  # EasyBuild needs a modules tool: Lmod's init script provides the `module` function and LMOD_CMD.
  set +u; . /usr/share/lmod/lmod/init/bash; set -u
  eb --check-contrib "$EASYCONFIG"
  eb --dry-run "$EASYCONFIG" | tee "$TMP/eb-dry-run.txt"
  grep "libtapis_auth/$VERSION" "$TMP/eb-dry-run.txt" > /dev/null
  echo "ok: easyconfig regenerates identically; EasyBuild contribution checks and dry run pass"
)
step easyconfig easyconfig

lmod_template() (
  set -e
  sed -e "s|@PREFIX@|/opt/tapis-auth|g" -e "s|@TAPIS_AUTH_VERSION@|0.0.0|g" packaging/lmod/tapis-auth.lua.in > "$TMP/modulefile.lua"
  luac -p "$TMP/modulefile.lua"
  echo "ok: the Lmod modulefile template compiles (luac -p)"
)
step lmod-template lmod_template

harness_summary packaging
