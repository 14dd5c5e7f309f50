# Spack package for libtapis_auth and the tapis-auth command (Spack v1.x package repository
# layout: packaging/spack/spack_repo/tapis_auth/packages/tapis_auth/package.py).
#
#   spack repo add packaging/spack/spack_repo/tapis_auth
#   spack install tapis-auth            # or tapis-auth@main, tapis-auth+keyring, ...
#
# Released versions are the tarballs scripts/release.sh makes from a tag (reproducibly; it
# writes their sha256 here with --update-recipes). Until they are published at `url`, put the
# tarball in a Spack mirror or a source cache (`spack mirror add`). The build runs cargo, which
# downloads the locked crates from crates.io (as Spack's CargoPackage does); build nodes without
# network need a crates.io mirror or vendored sources.
#
# install() runs scripts/install.sh, the project's one install step: lib/libtapis_auth.{so,a}
# (stripped; the bundled SQLite in the .a renamed so it never meets the application's own),
# bin/tapis-auth with man pages and bash/zsh/fish completions, pkg-config (tapis_auth.pc,
# tapis_auth_static.pc) and CMake (TapisAuth) files, the Fortran module compiled with Spack's
# Fortran compiler (lib/libtapis_auth_fortran.a, include/tapis_auth.mod), the Go package
# (share/tapis_auth/go) and an Lmod modulefile (share/modulefiles).

from spack_repo.builtin.build_systems.generic import Package

from spack.package import *


class TapisAuth(Package):
    """libtapis_auth: Tapis v3 / Agave v2 access tokens for HPC codes in C, C++, Fortran and Go
    (a Rust library with a C ABI, pkg-config and CMake package files), and the tapis-auth
    command for job scripts."""

    homepage = "https://github.com/libtapis-auth/libtapis_auth"
    url = "https://github.com/libtapis-auth/libtapis_auth/releases/download/v0.1.0/libtapis_auth-0.1.0.tar.gz"
    git = "https://github.com/libtapis-auth/libtapis_auth.git"

    license("BSD-3-Clause")

    version("main", branch="main")
    version("0.1.0", sha256="17bf793b652f244786788df5e1705278da4704c9b0ffe22c75d0c20930abca03")

    variant("sqlite", default=True, description="SQLite credential store (bundled SQLite, renamed)")
    variant(
        "keyring",
        default=False,
        description="OS keyring store in the C library (Secret Service over D-Bus in pure Rust, "
        "kernel keyring; no system libraries). The tapis-auth command always has it",
    )
    variant(
        "fortran",
        default=True,
        description="Compile the Fortran module with this compiler "
        "(lib/libtapis_auth_fortran.a, include/tapis_auth.mod)",
    )

    depends_on("rust@1.85:", type="build")
    depends_on("c", type="build")
    depends_on("fortran", type="build", when="+fortran")

    sanity_check_is_file = [
        "bin/tapis-auth",
        "include/tapis_auth.h",
        "lib/libtapis_auth.a",
        "lib/libtapis_auth.so",
        "lib/pkgconfig/tapis_auth.pc",
        "lib/pkgconfig/tapis_auth_static.pc",
        "lib/cmake/TapisAuth/TapisAuthConfig.cmake",
        "share/man/man1/tapis-auth.1",
    ]

    def url_for_version(self, version):
        return (
            "https://github.com/libtapis-auth/libtapis_auth/releases/download/"
            f"v{version}/libtapis_auth-{version}.tar.gz"
        )

    def setup_build_environment(self, env):
        env.set("CARGO_HOME", join_path(self.stage.path, ".cargo"))

    def install(self, spec, prefix):
        # install.sh builds the .so and the .a, and writes the pkg-config and CMake link flags,
        # all from this one feature set; it compiles the Fortran module with $FC (Spack's).
        args = ["scripts/install.sh"]
        if spec.satisfies("~sqlite"):
            args.append("--no-default-features")
        if spec.satisfies("+keyring"):
            args += ["--features", "keyring"]
        args.append("--fortran" if spec.satisfies("+fortran") else "--no-fortran")
        which("bash")(*args, prefix)
