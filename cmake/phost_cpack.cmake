# The Debian package: `cpack -G DEB` in the build tree writes
# phost_<version>_amd64.deb, everything `cmake --install` installs, under /usr.
# Its Depends come from dpkg-shlibdeps (Debian 12's libraries: Boost.JSON,
# spdlog, fmt, SQLite, libcurl, libstdc++, and libnode108 when the build used the
# system's). A libnode unpacked by tools/setup.sh ships inside, beside the V8
# plugin (runtime/CMakeLists.txt); its own libraries become dependencies too.
include_guard(GLOBAL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME phost)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "phost maintainers <phost@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "libphost, its C and C++ API and SDK headers, the phost CLI, the shipped plugins \
(V8 runtime, fs, store, http, echo) in /usr/lib/phost, the CMake package and phost.pc.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # phost_1.0.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)  # libphost.so.1's shlibs and the ldconfig trigger
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "cmake, g++, pkg-config")
# dpkg-shlibdeps resolves libraries the package ships itself (libphost for the
# CLI, a bundled libnode for the V8 plugin) in these staged folders (it runs in
# the staging root, hence relative).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "usr/${CMAKE_INSTALL_LIBDIR}" "usr/${PHOST_INSTALL_PLUGINDIR}")
include(CPack)
