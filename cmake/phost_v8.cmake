# phost_v8.cmake -- locate V8 (as shipped in Debian's libnode108 / libnode-dev,
# Node 18, V8 10.2) and provide the imported target phost::v8.
#
#   include(cmake/phost_v8.cmake)
#   target_link_libraries(x PRIVATE phost::v8)
#
# Search order:
#   1. ${PHOST_V8_PREFIX}  (default: <checkout>/.deps/libnode/usr, filled by
#      tools/setup.sh), headers in include/node, library lib/<multiarch>/libnode.so*
#   2. the system, but system headers (/usr/include/node) are only accepted
#      together with a system libnode whose V8 version agrees with them (on
#      machines with NodeSource's nodejs, /usr/include/node holds V8 11.3
#      headers and there is no library at all).
# Overrides: PHOST_V8_INCLUDE_DIR (dir with v8-version.h), PHOST_V8_LIBRARY.
#
# Results: target phost::v8, PHOST_V8_VERSION, PHOST_V8_INCLUDE_DIR_FOUND,
#          PHOST_V8_LIBRARY_FOUND.
include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.21)
  message(FATAL_ERROR "phost_v8.cmake needs CMake >= 3.21 (find_* NO_CACHE)")
endif()

get_filename_component(_phost_v8_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(PHOST_V8_PREFIX "${_phost_v8_root}/.deps/libnode/usr" CACHE PATH
    "Prefix holding include/node and lib/<arch>/libnode.so.108 (see tools/setup.sh)")
set(PHOST_V8_INCLUDE_DIR "" CACHE PATH
    "Override: directory containing v8.h and v8-version.h (empty = search)")
set(PHOST_V8_LIBRARY "" CACHE FILEPATH
    "Override: path of libnode.so.108 / libv8 (empty = search)")

set(_phost_v8_fix "Run tools/setup.sh (it unpacks Debian's libnode108 + libnode-dev 18.x \
into ${_phost_v8_root}/.deps/libnode), or point -DPHOST_V8_PREFIX=<dir> at a prefix \
with include/node/v8-version.h and lib/<arch>/libnode.so.108 (or set \
PHOST_V8_INCLUDE_DIR / PHOST_V8_LIBRARY explicitly).")

set(_phost_v8_libdirs)
if(CMAKE_LIBRARY_ARCHITECTURE)
  list(APPEND _phost_v8_libdirs "${PHOST_V8_PREFIX}/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
endif()
list(APPEND _phost_v8_libdirs "${PHOST_V8_PREFIX}/lib" "${PHOST_V8_PREFIX}/lib64")
# Prefer the real, versioned library; libnode.so is just a symlink to it.
set(_phost_v8_libnames libnode.so.108 node v8)

# "major.minor.build.patch" from <dir>/v8-version.h
function(_phost_v8_header_version dir out)
  file(STRINGS "${dir}/v8-version.h" _lines REGEX "^#define V8_(MAJOR_VERSION|MINOR_VERSION|BUILD_NUMBER|PATCH_LEVEL) +[0-9]+")
  foreach(_k MAJOR_VERSION MINOR_VERSION BUILD_NUMBER PATCH_LEVEL)
    set(_v_${_k} "")
    foreach(_l IN LISTS _lines)
      if(_l MATCHES "^#define V8_${_k} +([0-9]+)")
        set(_v_${_k} "${CMAKE_MATCH_1}")
      endif()
    endforeach()
  endforeach()
  if(_v_MAJOR_VERSION STREQUAL "" OR _v_MINOR_VERSION STREQUAL "")
    message(FATAL_ERROR "phost_v8: cannot parse V8 version from ${dir}/v8-version.h")
  endif()
  set(${out} "${_v_MAJOR_VERSION}.${_v_MINOR_VERSION}.${_v_BUILD_NUMBER}.${_v_PATCH_LEVEL}" PARENT_SCOPE)
endfunction()

# V8 version compiled into the library, read from its embedded version string
# (libnode108: "10.2.154.26-node.37"; ~0.6 s on the 47 MB library, so the
# result is cached keyed by real path + mtime + size).
function(_phost_v8_library_version lib out)
  file(REAL_PATH "${lib}" _real)
  file(TIMESTAMP "${_real}" _mtime "%s" UTC)
  file(SIZE "${_real}" _size)
  set(_key "${_real}|${_mtime}|${_size}")
  if(DEFINED CACHE{_PHOST_V8_LIBVER_KEY} AND "$CACHE{_PHOST_V8_LIBVER_KEY}" STREQUAL "${_key}")
    set(${out} "$CACHE{_PHOST_V8_LIBVER}" PARENT_SCOPE)
    return()
  endif()
  file(STRINGS "${_real}" _s LENGTH_MINIMUM 12 LENGTH_MAXIMUM 32 LIMIT_COUNT 1
       REGEX "^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+-node\\.[0-9]+$")
  if(_s MATCHES "^([0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+)-node")
    set(_ver "${CMAKE_MATCH_1}")
  elseif(_real MATCHES "libnode\\.so\\.([0-9]+)$")
    # Fallback: Node's NODE_MODULE_VERSION (= soname) -> V8 major.minor.
    set(_map "83=8.4" "93=9.4" "108=10.2" "115=11.3" "127=12.4")
    set(_ver "")
    foreach(_m IN LISTS _map)
      if(_m MATCHES "^${CMAKE_MATCH_1}=(.*)$")
        set(_ver "${CMAKE_MATCH_1}")
      endif()
    endforeach()
  else()
    set(_ver "")
  endif()
  if(_ver STREQUAL "")
    message(FATAL_ERROR "phost_v8: cannot determine the V8 version of ${_real} "
      "(no \"X.Y.Z.W-node.N\" version string in it).\n${_phost_v8_fix}")
  endif()
  set(_PHOST_V8_LIBVER_KEY "${_key}" CACHE INTERNAL "")
  set(_PHOST_V8_LIBVER "${_ver}" CACHE INTERNAL "")
  set(${out} "${_ver}" PARENT_SCOPE)
endfunction()

function(_phost_v8_majmin ver out)
  string(REGEX MATCH "^[0-9]+\\.[0-9]+" _mm "${ver}")
  set(${out} "${_mm}" PARENT_SCOPE)
endfunction()

# ---------------------------------------------------------------- search
set(_inc "")
set(_lib "")
set(_phost_v8_ignored "")
if(PHOST_V8_INCLUDE_DIR)
  set(_inc "${PHOST_V8_INCLUDE_DIR}")
  if(NOT EXISTS "${_inc}/v8-version.h")
    message(FATAL_ERROR "phost_v8: PHOST_V8_INCLUDE_DIR=${_inc} has no v8-version.h.\n${_phost_v8_fix}")
  endif()
endif()
if(PHOST_V8_LIBRARY)
  set(_lib "${PHOST_V8_LIBRARY}")
  if(NOT EXISTS "${_lib}")
    message(FATAL_ERROR "phost_v8: PHOST_V8_LIBRARY=${_lib} does not exist.\n${_phost_v8_fix}")
  endif()
endif()

# 1. the prefix (only what was not overridden)
if(NOT _inc)
  find_path(_phost_v8_pinc v8-version.h PATHS "${PHOST_V8_PREFIX}/include/node"
            NO_DEFAULT_PATH NO_CACHE)
endif()
if(NOT _lib)
  find_library(_phost_v8_plib NAMES ${_phost_v8_libnames} PATHS ${_phost_v8_libdirs}
               NO_DEFAULT_PATH NO_CACHE)
endif()
# Take the prefix's headers and library as a pair (never mix a prefix header
# with a system library or vice versa unless the user overrode one of them).
if((_inc OR _phost_v8_pinc) AND (_lib OR _phost_v8_plib))
  if(NOT _inc)
    set(_inc "${_phost_v8_pinc}")
  endif()
  if(NOT _lib)
    set(_lib "${_phost_v8_plib}")
  endif()
endif()

# 2. the system
if(NOT _inc OR NOT _lib)
  find_library(_phost_v8_slib NAMES ${_phost_v8_libnames} NO_CACHE)
  find_path(_phost_v8_sinc v8-version.h PATH_SUFFIXES node nodejs/deps/v8/include NO_CACHE)
  if(NOT _lib AND _phost_v8_slib)
    set(_lib "${_phost_v8_slib}")
  endif()
  if(NOT _inc AND _phost_v8_sinc)
    if(_lib)
      set(_inc "${_phost_v8_sinc}")
    else()
      # e.g. NodeSource nodejs: /usr/include/node (V8 11.3), no libnode at all
      set(_phost_v8_ignored "${_phost_v8_sinc}")
      message(STATUS "phost_v8: ignoring ${_phost_v8_sinc}: no libnode library belongs to it")
    endif()
  endif()
endif()

if(NOT _inc OR NOT _lib)
  if(NOT _inc AND _phost_v8_ignored)
    set(_miss "libnode.so.108 (system headers ${_phost_v8_ignored} were ignored: \
no libnode library belongs to them, e.g. NodeSource's nodejs)")
  elseif(NOT _inc)
    set(_miss "V8 headers (v8-version.h)")
  else()
    set(_miss "the libnode library (libnode.so.108)")
  endif()
  message(FATAL_ERROR "phost_v8: could not find ${_miss}: looked in "
    "PHOST_V8_PREFIX=${PHOST_V8_PREFIX} and the system.\n${_phost_v8_fix}")
endif()

string(REGEX REPLACE "(.)/+$" "\\1" _inc "${_inc}")

# --------------------------------------------------------------- versions
_phost_v8_header_version("${_inc}" _hver)
_phost_v8_library_version("${_lib}" _lver)
_phost_v8_majmin("${_hver}" _hmm)
_phost_v8_majmin("${_lver}" _lmm)
if(NOT _hmm STREQUAL _lmm)
  message(FATAL_ERROR "phost_v8: V8 header/library version mismatch:\n"
    "  headers ${_inc}/v8-version.h are V8 ${_hver}\n"
    "  library ${_lib} is V8 ${_lver}\n"
    "Mixing them miscompiles or crashes. ${_phost_v8_fix}")
endif()

# Defines an embedder must share with the V8 build. Read them from node's
# config.gypi next to the headers (Debian's libnode108 has
# v8_enable_pointer_compression=0 and v8_enable_31bit_smis_on_64bit_arch=0,
# so nothing is defined; V8::Initialize() aborts at run time on a mismatch).
set(_defs "")
if(EXISTS "${_inc}/config.gypi")
  file(READ "${_inc}/config.gypi" _gypi)
  set(_pc 0)
  set(_smi31 0)
  if(_gypi MATCHES "'v8_enable_pointer_compression': *1")
    set(_pc 1)
  endif()
  if(_gypi MATCHES "'v8_enable_31bit_smis_on_64bit_arch': *1")
    set(_smi31 1)
  endif()
  if(_pc)
    list(APPEND _defs V8_COMPRESS_POINTERS V8_COMPRESS_POINTERS_IN_ISOLATE_CAGE)
  endif()
  if(_pc OR _smi31)
    list(APPEND _defs V8_31BIT_SMIS_ON_64BIT_ARCH)
  endif()
endif()

# ----------------------------------------------------------------- target
file(REAL_PATH "${_lib}" _lib_real)
if(NOT TARGET phost::v8)
  add_library(phost::v8 SHARED IMPORTED GLOBAL)
endif()
set_target_properties(phost::v8 PROPERTIES
  IMPORTED_LOCATION "${_lib_real}"
  INTERFACE_INCLUDE_DIRECTORIES "${_inc}"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${_inc}"
  INTERFACE_COMPILE_DEFINITIONS "${_defs}")

set(PHOST_V8_VERSION "${_lver}")
set(PHOST_V8_INCLUDE_DIR_FOUND "${_inc}")
set(PHOST_V8_LIBRARY_FOUND "${_lib_real}")
message(STATUS "V8 ${_lver} (headers ${_inc}, library ${_lib_real})")
if(_defs)
  message(STATUS "V8 embedder defines: ${_defs}")
endif()
