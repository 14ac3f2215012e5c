// The entry of the phost-worker program (host/src/worker/program.c), exported
// by libphost but not part of its API: phost_worker_main(argc, argv) with
// argv[1] the parent host's pid; the channel is fd kChannelFd.
#pragma once

#include <phost/phost.h>

namespace phost::worker {
inline constexpr int kChannelFd = 3;
}

extern "C" PHOST_API int PHOST_CALL phost_worker_main(int argc, char** argv);
