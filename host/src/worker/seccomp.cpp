#include "seccomp.hpp"

#if PHOST_HAVE_SECCOMP
#include <seccomp.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define PHOST_LEAK_CHECKED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define PHOST_LEAK_CHECKED 1
#endif
#endif

namespace phost::worker {

#if PHOST_LEAK_CHECKED
std::string enter_seccomp_filter() { return {}; }
#elif PHOST_HAVE_SECCOMP
namespace {

// Refused outright. A name the architecture lacks is skipped.
constexpr const char* kDenied[] = {
    // other programs and processes (threads are clone with CLONE_THREAD, below)
    "execve", "execveat", "fork", "vfork",
    // other processes' memory and state
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    // kernel and machine administration
    "mount", "umount2", "pivot_root", "chroot", "swapon", "swapoff", "reboot", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "acct", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "sethostname", "setdomainname", "iopl", "ioperm", "quotactl", "syslog", "vhangup",
    "open_by_handle_at", "name_to_handle_at", "fanotify_init", "lookup_dcookie",
    // namespaces, kernel attack surface
    "unshare", "setns", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "tkill",
    // signals and memory advice through a pidfd (pidfd_open takes any pid)
    "pidfd_send_signal", "process_madvise",
};

// Take a process as their first argument: only 0, the caller, is let through
// (not the host's rlimits or its pages' NUMA nodes; a rule cannot compare one
// argument twice, and the C library passes 0). The scheduling calls
// (sched_setaffinity, setpriority...) stay open: they take thread ids, which
// a filter cannot tell from other processes.
constexpr const char* kCallerOnly[] = {"prlimit64", "migrate_pages", "move_pages"};

}  // namespace

std::string enter_seccomp_filter() {
  scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
  if (!filter) return "seccomp_init failed";
  struct Free {
    scmp_filter_ctx f;
    ~Free() { seccomp_release(f); }
  } const free{filter};
  const uint32_t refuse = SCMP_ACT_ERRNO(EPERM);
  for (const char* name : kDenied)
    if (const int nr = seccomp_syscall_resolve_name(name); nr != __NR_SCMP_ERROR)
      if (const int rc = seccomp_rule_add(filter, refuse, nr, 0); rc != 0)
        return std::string("seccomp_rule_add(") + name + "): " + std::strerror(-rc);
  // New threads only: a clone without CLONE_THREAD is a new process. clone3
  // hides its flags in memory a filter cannot read: ENOSYS makes the C
  // library fall back to clone.
  int rc = seccomp_rule_add(filter, refuse, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
  if (rc == 0) rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  // Signals to itself only: its process group is its host's (kill(0, ...)).
  const pid_t self = ::getpid();
  if (rc == 0) rc = seccomp_rule_add(filter, refuse, SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_NE, static_cast<scmp_datum_t>(self)));
  if (rc == 0) rc = seccomp_rule_add(filter, refuse, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_NE, static_cast<scmp_datum_t>(self)));
  if (rc == 0) rc = seccomp_rule_add(filter, refuse, SCMP_SYS(rt_sigqueueinfo), 1, SCMP_A0(SCMP_CMP_NE, static_cast<scmp_datum_t>(self)));
  if (rc == 0) rc = seccomp_rule_add(filter, refuse, SCMP_SYS(rt_tgsigqueueinfo), 1, SCMP_A0(SCMP_CMP_NE, static_cast<scmp_datum_t>(self)));
  for (const char* name : kCallerOnly)
    if (const int nr = seccomp_syscall_resolve_name(name); rc == 0 && nr != __NR_SCMP_ERROR)
      rc = seccomp_rule_add(filter, refuse, nr, 1, SCMP_A0(SCMP_CMP_NE, 0));
  if (rc != 0) return std::string("seccomp_rule_add: ") + std::strerror(-rc);
  // Every thread, the plugin's own included (no_new_privs is set too).
  if ((rc = seccomp_attr_set(filter, SCMP_FLTATR_CTL_TSYNC, 1)) != 0)
    return std::string("seccomp TSYNC: ") + std::strerror(-rc);
  if ((rc = seccomp_load(filter)) != 0) return std::string("seccomp_load: ") + std::strerror(-rc);
  return {};
}
#else
std::string enter_seccomp_filter() { return "phost was built without libseccomp"; }
#endif

}  // namespace phost::worker
