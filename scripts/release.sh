#!/usr/bin/env bash
# Makes the release tarball of a tag, reproducibly: the same tag gives the same bytes on any
# machine, in any clone, at any time, umask or time zone (git archive of the tag's tree, entries
# dated by the tagged commit, gzip -n without name or time stamp).
#   scripts/release.sh [--out DIR] [--update-recipes] TAG
#     DIR/libtapis_auth-X.Y.Z.tar.gz   (TAG is vX.Y.Z and must match the version in Cargo.toml)
#     prints "sha256  libtapis_auth-X.Y.Z.tar.gz"
#   --out DIR           where to write it (default: dist/)
#   --update-recipes    also write the tarball's sha256 into the Spack recipe's version("X.Y.Z")
#                       and regenerate the EasyBuild easyconfig (its crates and checksums come from
#                       the tag's Cargo.lock): packaging/spack/..., packaging/easybuild/...
# The recipes themselves are left out of the tarball (.gitattributes export-ignore), so updating
# them after tagging does not change it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist update=0 tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) shift; out="${1:?--out needs a directory}" ;;
    --update-recipes) update=1 ;;
    -h|--help) awk 'NR > 1 { if (!/^#/) exit; print }' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
    *) tag="$1" ;;
  esac
  shift
done
[ -n "$tag" ] || { echo "usage: $0 [--out DIR] [--update-recipes] TAG" >&2; exit 64; }
git rev-parse -q --verify "refs/tags/$tag" >/dev/null || { echo "no tag $tag in this repository" >&2; exit 1; }
version=${tag#v}
tagged=$(git show "$tag:Cargo.toml" | sed -n 's/^version = "\(.*\)"/\1/p' | head -1)
[ "$tagged" = "$version" ] || { echo "tag $tag has version $tagged in Cargo.toml, expected $version" >&2; exit 1; }

name="libtapis_auth-${version}"
mkdir -p "$out"
# git archive dates every entry with the commit time and takes modes from the tree (0644/0755),
# owners 0/0: nothing from this machine. gzip -n leaves out the name and time stamp.
# tar.umask and the end-of-line settings are pinned: a user's git config must not change the bytes.
git -c tar.umask=0022 -c core.autocrlf=false -c core.eol=lf \
  archive --format=tar --prefix="${name}/" "${tag}^{commit}" | gzip -9 -n > "$out/${name}.tar.gz"
sha=$(sha256sum "$out/${name}.tar.gz" | cut -d' ' -f1)
echo "${sha}  ${name}.tar.gz"

if [ "$update" = 1 ]; then
  recipe=packaging/spack/spack_repo/tapis_auth/packages/tapis_auth/package.py
  python3 - "$recipe" "$version" "$sha" <<'EOF'
import re, sys
path, version, sha = sys.argv[1:]
text = open(path).read()
line = f'    version("{version}", sha256="{sha}")'
pattern = re.compile(r'^    version\("' + re.escape(version) + r'", sha256="[0-9a-f]*"\)$', re.M)
if pattern.search(text):
    text = pattern.sub(line, text)
else:  # a new version goes first, after the development branch
    text = text.replace('    version("main", branch="main")\n', '    version("main", branch="main")\n' + line + "\n", 1)
open(path, "w").write(text)
EOF
  git show "$tag:Cargo.lock" > "$out/Cargo.lock.$version"
  python3 packaging/easybuild/write_easyconfig.py --version "$version" --sha256 "$sha" \
    --cargo-lock "$out/Cargo.lock.$version" --out-dir packaging/easybuild
  rm -f "$out/Cargo.lock.$version"
  echo "updated $recipe and packaging/easybuild/ for $version"
fi
