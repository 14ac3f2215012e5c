// offsets.c compiled as C++: its checks run at compile time, in both
// languages (the target also builds offsets.c as C99).
#include "offsets.c"

#include <doctest/doctest.h>

extern "C" int phost_abi_offsets_c(void);

TEST_SUITE_BEGIN("abi");

TEST_CASE("C99 and C++ compile the same golden v1.0 layout") {
  CHECK(phost_abi_offsets_c() == phost_abi_offsets_cxx());
  CHECK(phost_abi_offsets_cxx() == static_cast<int>(sizeof(phost_api)));
}

TEST_SUITE_END();
