// For the thread_locals every call touches. In a shared library a
// thread_local is reached through a __tls_get_addr call, and one with a
// dynamic initializer also through a guard; initial-exec makes it one
// instruction (the variables are small: the static TLS room glibc keeps for
// libraries loaded later holds them). Constant-initialized only.
#pragma once

#if defined(__GNUC__) && !defined(_WIN32)
#define PHOST_FAST_TLS __attribute__((tls_model("initial-exec")))
#else
#define PHOST_FAST_TLS
#endif
