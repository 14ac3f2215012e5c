// The worker's seccomp filter, installed once its plugin is loaded: the
// system calls a plugin serving calls has no business making fail with
// EPERM (running programs, new processes, tracing or signalling others,
// kernel administration, namespaces, BPF, io_uring). Everything else stays
// allowed: files, sockets, threads and memory are what plugins use.
#pragma once

#include <string>

namespace phost::worker {

// Applies the filter to every thread of this process (the plugin may have
// started some). Returns "" on success, else why not (built without
// libseccomp, or the kernel refused). In AddressSanitizer builds it does
// nothing and returns "": LeakSanitizer checks the worker at its exit from
// a tracer process it clones, which the filter refuses.
std::string enter_seccomp_filter();

}  // namespace phost::worker
