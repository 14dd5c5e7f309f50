#!/usr/bin/env python3
"""Writes the EasyBuild easyconfig of a libtapis_auth release (called by scripts/release.sh).

The crates and their checksums come from the release's Cargo.lock: the sha256 Cargo records for
each crates.io package is the sha256 of the .crate file EasyBuild downloads (saved as
NAME-VERSION.tar.gz), so the easyconfig builds offline from exactly the locked dependencies.

    write_easyconfig.py --version X.Y.Z --sha256 SHA --cargo-lock Cargo.lock --out-dir DIR
writes DIR/libtapis_auth-X.Y.Z-GCCcore-<version>.eb and prints its path.
"""

import argparse
import pathlib
import tomllib

TOOLCHAIN = ("GCCcore", "14.3.0")
# The build dependencies available for that toolchain in easybuild-easyconfigs.
BUILDDEPS = [("binutils", "2.44"), ("Rust", "1.88.0")]
CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"
MAX_LINE = 120

TEMPLATE = '''\
# EasyBuild easyconfig for libtapis_auth {version}. Written by `scripts/release.sh --update-recipes
# v{version}` from that tag's Cargo.lock: regenerate it rather than editing it.
#   eb libtapis_auth-{version}-{tc_name}-{tc_version}.eb --robot
easyblock = 'Cargo'

name = 'libtapis_auth'
version = '{version}'

homepage = 'https://github.com/libtapis-auth/libtapis_auth'
description = """Access tokens for Tapis v3 and Agave v2 for research codes: the C library
libtapis_auth (shared and static, with C++, Fortran and Go bindings, pkg-config and CMake files)
and the tapis-auth command (man pages, bash/zsh/fish completions)."""

toolchain = {{'name': '{tc_name}', 'version': '{tc_version}'}}

source_urls = ['https://github.com/libtapis-auth/libtapis_auth/releases/download/v%(version)s/']
sources = ['%(name)s-%(version)s.tar.gz']
checksums = [
    {{'%(name)s-%(version)s.tar.gz': '{sha256}'}},
{checksums}]

builddependencies = [
{builddeps}]

# The Cargo easyblock vendors the crates below (offline build). Its own build and install steps
# (`cargo install` of one binary) are replaced by the project's single install step, which builds
# and installs the C library (.so and .a), the tapis-auth command with its man pages and shell
# completions, pkg-config and CMake files, the Fortran module (compiled with GCCcore's gfortran),
# the Go package and an Lmod modulefile.
skipsteps = ['build', 'install']
enable_tests = False
postinstallcmds = ['cd %(start_dir)s && bash scripts/install.sh %(installdir)s']

crates = [
{crates}]

sanity_check_paths = {{
    'files': ['bin/tapis-auth', 'include/tapis_auth.h', 'include/tapis_auth.mod', 'lib/libtapis_auth.a',
              'lib/libtapis_auth.%s' % SHLIB_EXT, 'lib/libtapis_auth_fortran.a',
              'lib/pkgconfig/tapis_auth.pc', 'lib/pkgconfig/tapis_auth_static.pc',
              'lib/cmake/TapisAuth/TapisAuthConfig.cmake', 'share/man/man1/tapis-auth.1'],
    'dirs': ['share/tapis_auth/go', 'share/bash-completion/completions'],
}}

sanity_check_commands = ['tapis-auth --version', 'tapis-auth --help']

# Shell completions: bash-completion and fish look in XDG_DATA_DIRS.
modextrapaths = {{'XDG_DATA_DIRS': 'share'}}

moduleclass = 'lib'
'''


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", required=True)
    ap.add_argument("--sha256", required=True)
    ap.add_argument("--cargo-lock", required=True, type=pathlib.Path)
    ap.add_argument("--out-dir", required=True, type=pathlib.Path)
    a = ap.parse_args()

    lock = tomllib.loads(a.cargo_lock.read_text())
    crates, checksums = [], []
    for pkg in sorted(lock["package"], key=lambda p: (p["name"], p["version"])):
        source = pkg.get("source")
        if source is None:
            continue  # a member of this workspace
        if source != CRATES_IO or "checksum" not in pkg:
            raise SystemExit(f"{pkg['name']} {pkg['version']}: not a crates.io package ({source})")
        crates.append(f"    ('{pkg['name']}', '{pkg['version']}'),\n")
        entry = f"    {{'{pkg['name']}-{pkg['version']}.tar.gz': '{pkg['checksum']}'}},"
        if len(entry) > MAX_LINE:  # EasyBuild's style check
            entry = f"    {{'{pkg['name']}-{pkg['version']}.tar.gz':\n     '{pkg['checksum']}'}},"
        checksums.append(entry + "\n")

    text = TEMPLATE.format(
        version=a.version,
        sha256=a.sha256,
        tc_name=TOOLCHAIN[0],
        tc_version=TOOLCHAIN[1],
        checksums="".join(checksums),
        builddeps="".join(f"    ('{n}', '{v}'),\n" for n, v in BUILDDEPS),
        crates="".join(crates),
    )
    a.out_dir.mkdir(parents=True, exist_ok=True)
    out = a.out_dir / f"libtapis_auth-{a.version}-{TOOLCHAIN[0]}-{TOOLCHAIN[1]}.eb"
    out.write_text(text)
    print(out)


if __name__ == "__main__":
    main()
