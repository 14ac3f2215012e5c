# Cross-building the Windows artefacts (x86-64 PE) on Debian 12 with mingw-w64,
# run under wine64 (tools/run-windows.sh does all of it):
#
#   apt-get install --no-install-recommends g++-mingw-w64-x86-64-posix wine64
#   cmake -S . -B build-windows -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake -DPHOST_BUILD_RUNTIME=OFF
#
# The posix flavour of the compilers: std::thread and std::mutex need
# winpthreads. The C++ runtime, libgcc and winpthreads are linked statically,
# so every .exe and .dll stands alone and no two modules share a C++ runtime
# by accident (none crosses the plugin ABI anyway). The Linux Boost, spdlog,
# fmt and doctest headers serve as they are; cmake/phost_windows_deps.cmake
# turns them into the targets the tree links.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(PHOST_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${PHOST_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${PHOST_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${PHOST_MINGW_TRIPLET}-windres)
set(CMAKE_AR ${PHOST_MINGW_TRIPLET}-gcc-ar-posix CACHE FILEPATH "")
set(CMAKE_RANLIB ${PHOST_MINGW_TRIPLET}-gcc-ranlib-posix CACHE FILEPATH "")

set(CMAKE_FIND_ROOT_PATH /usr/${PHOST_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# BOTH: find_package(phost) must find an install prefix named in
# CMAKE_PREFIX_PATH. This tree asks for no Linux package's config in a Windows
# build (cmake/phost_windows_deps.cmake makes its dependencies).
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# -static: libgcc, libstdc++ and winpthreads from their archives.
set(_phost_static_runtime "-static")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_phost_static_runtime}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_phost_static_runtime}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "${_phost_static_runtime}")

# ctest and doctest_discover_tests run the .exe files through wine. Debian's
# wine64 package keeps its loader out of PATH.
find_program(PHOST_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(PHOST_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PHOST_WINE64})
endif()
