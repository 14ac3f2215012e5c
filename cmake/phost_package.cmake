# The installed package: find_package(phost 1 CONFIG) for CMake users, phost.pc
# for everyone else. The targets' own install rules sit next to them
# (plugin_api/, sdk/, host/, tools/, runtime/); this file installs what ties
# them together. Included once, from the top-level CMakeLists.txt.
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)

# phost::plugin_api, phost::sdk, phost::host: the names the in-tree ALIAS
# targets already have, so this tree links exactly as its users do.
install(EXPORT phostTargets NAMESPACE phost:: DESTINATION "${PHOST_INSTALL_CMAKEDIR}")

configure_package_config_file(cmake/phostConfig.cmake.in "${PROJECT_BINARY_DIR}/phostConfig.cmake"
  INSTALL_DESTINATION "${PHOST_INSTALL_CMAKEDIR}"
  PATH_VARS PHOST_INSTALL_PLUGINDIR)
# Same major, same embedder ABI (the SOVERSION); not arch-independent, libphost is a binary.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/phostConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/phostConfig.cmake"
  "${PROJECT_BINARY_DIR}/phostConfigVersion.cmake"
  cmake/phost_plugin.cmake
  cmake/plugin_exports.map
  DESTINATION "${PHOST_INSTALL_CMAKEDIR}")

# phost.pc: -I, -L, -l and, outside /usr, an rpath, so that the documented
# `cc app.c $(pkg-config --cflags --libs phost)` gives a program that starts;
# the library's warning policy is not its users' business. The prefix is the
# .pc file's own place (${pcfiledir}), so a moved or unpacked prefix keeps
# working; the rpath is decided at install time, when the prefix is known.
file(RELATIVE_PATH _phost_pc_up "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" _phost_pc_up "${_phost_pc_up}")
set(PHOST_PC_PREFIX "\${pcfiledir}/${_phost_pc_up}")
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(PHOST_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(PHOST_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
set(PHOST_PC_RPATH "@PHOST_PC_RPATH@")  # filled in at install time
configure_file(cmake/phost.pc.in "${PROJECT_BINARY_DIR}/phost.pc.in" @ONLY)
install(CODE "
  if(\"\${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\")
    set(PHOST_PC_RPATH \"\")  # the system's library path
  else()
    set(PHOST_PC_RPATH \"-Wl,-rpath,\\\${libdir} \")
  endif()
  configure_file(\"${PROJECT_BINARY_DIR}/phost.pc.in\" \"${PROJECT_BINARY_DIR}/phost.pc\" @ONLY)")
install(FILES "${PROJECT_BINARY_DIR}/phost.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

# The references (share/doc/phost): for script authors, for embedders, for
# plugin authors. The man page is installed with the CLI (tools/).
install(FILES docs/scripts.md docs/embedding.md DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(FILES sdk/README.md DESTINATION "${CMAKE_INSTALL_DOCDIR}" RENAME plugins.md)
