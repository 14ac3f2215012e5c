# phost_add_plugin(<target> [OUTPUT_DIRECTORY <dir>] SOURCES <file>...)
#
# A phost plugin: a MODULE library that reaches the host only through the ABI
# table (linking phost::sdk, never libphost) and exports nothing but
# phost_plugin_entry_v1. Used in this tree and shipped with the SDK package
# (find_package(phost) includes it from lib/cmake/phost/, next to the map).
include_guard(GLOBAL)

set(PHOST_PLUGIN_EXPORTS_MAP "${CMAKE_CURRENT_LIST_DIR}/plugin_exports.map"
    CACHE INTERNAL "Version script that keeps only a plugin's entry symbol")

function(phost_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "OUTPUT_DIRECTORY" "SOURCES")
  add_library(${target} MODULE ${arg_SOURCES})
  # A project that has not enabled C++ writes its plugin in C: the ABI header is all it gets.
  get_property(_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if(CXX IN_LIST _languages)
    target_link_libraries(${target} PRIVATE phost::sdk)
  else()
    target_link_libraries(${target} PRIVATE phost::plugin_api)
  endif()
  set_target_properties(${target} PROPERTIES
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(arg_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${arg_OUTPUT_DIRECTORY}")
  endif()
  if(MINGW)
    # Its own copy of the C++ runtime and winpthreads, so the DLL loads without
    # libstdc++-6.dll beside it; nothing of C++ crosses the plugin ABI. A DLL
    # exports only what is marked dllexport: the entry, no version script needed.
    target_link_options(${target} PRIVATE -static)
  elseif(NOT APPLE AND NOT WIN32)
    # An undefined symbol is a bug, caught when linking rather than loading.
    # Sanitizer runtimes leave their symbols to the executable, hence the exception.
    if(NOT PHOST_SANITIZE AND NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize" AND NOT CMAKE_C_FLAGS MATCHES "-fsanitize")
      target_link_options(${target} PRIVATE LINKER:-z,defs)
    endif()
    # Hidden visibility still exports libstdc++'s template instances.
    target_link_options(${target} PRIVATE "LINKER:--version-script=${PHOST_PLUGIN_EXPORTS_MAP}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${PHOST_PLUGIN_EXPORTS_MAP}")
  endif()
  if(COMMAND phost_warnings)  # this project's own warning set; absent for SDK users
    phost_warnings(${target})
  endif()
endfunction()
