// The entry of the phost-worker program (host/src/worker/program.c), exported
// by libphost but not part of its API: phost_worker_main(argc, argv) with
// argv[1] the parent host's pid; the channels are the rings in the shared
// memory on fd kSharedFd (calls and their replies, read by the threads that
// wait for them: ring_channel.hpp, relay.hpp) and the socket kControlFd
// (everything else: loading, logs, cancellations, calls the plugin starts on
// its own threads; read by one thread on each side, which also notices the
// other side's death there).
#pragma once

#include <phost/phost.h>

namespace phost::worker {
inline constexpr int kControlFd = 3;
inline constexpr int kSharedFd = 4;  // the shared memory (shared.hpp), closed once mapped
// How long a thread that sent a frame and now waits for the other side
// polls the call channel's ring before it sleeps on its futex, at most.
int64_t spin_ns() noexcept;
}

extern "C" PHOST_API int PHOST_CALL phost_worker_main(int argc, char** argv);
