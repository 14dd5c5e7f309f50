# Spack package for libtapis_auth (C/C++/Fortran/Go access to Tapis v3 / Agave v2 tokens).
#
# Not run in CI. To use: copy this directory into a Spack repository
# (`spack repo create myrepo; cp -r packaging/spack/tapis-auth myrepo/packages/`), then
# `spack install tapis-auth`. Build nodes without crates.io access need a vendored source
# tarball (`cargo vendor` + .cargo/config.toml) — set the url/sha256 of such a tarball below.
#
# The build runs scripts/install.sh, which builds the ffi crate with cargo (release) and
# installs lib/libtapis_auth.{a,so}, include/tapis_auth.{h,hpp,f90}, lib/pkgconfig/tapis_auth.pc
# and lib/cmake/TapisAuth/. Spack's generic CargoPackage only installs binaries, hence a custom
# install().

from spack.package import *


class TapisAuth(Package):
    """libtapis_auth: Tapis v3 / Agave v2 access tokens for HPC codes in C, C++, Fortran and Go
    (a Rust library with a C ABI, pkg-config and CMake package files)."""

    homepage = "https://github.com/libtapis-auth/libtapis_auth"
    git = "https://github.com/libtapis-auth/libtapis_auth.git"

    license("BSD-3-Clause")

    version("main", branch="main")

    variant("sqlite", default=True, description="SQLite credential store (bundled SQLite)")
    variant("keyring", default=False, description="OS keyring store (links libdbus-1)")
    variant("fortran", default=True, description="Precompile the Fortran module (.mod) with this compiler")

    depends_on("rust@1.85:", type="build")
    depends_on("pkgconfig", type="build")
    depends_on("dbus", when="+keyring")
    depends_on("c", type="build")
    depends_on("fortran", type="build", when="+fortran")

    def setup_build_environment(self, env):
        env.set("CARGO_HOME", join_path(self.stage.path, ".cargo"))

    def install(self, spec, prefix):
        # install.sh builds the .so and the .a, and writes the pkg-config and CMake link flags,
        # all from this one feature set.
        args = ["scripts/install.sh"]
        if spec.satisfies("~sqlite"):
            args.append("--no-default-features")
        if spec.satisfies("+keyring"):
            args += ["--features", "keyring"]
        which("bash")(*args, prefix)
        if spec.satisfies("+fortran"):
            with working_dir(prefix.include):
                Executable(spack_fc)("-c", "tapis_auth.f90", "-o", join_path(self.stage.path, "tapis_auth.o"))
