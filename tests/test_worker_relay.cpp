// The worker call channel's leader/follower reading (host/src/worker/relay.cpp,
// and the shared-memory rings under it, compiled in here): the threads waiting on one channel read it in turn and
// each gets its own frames, whoever read them; a peer that dies wakes every
// waiter, the reading one and the others; a waiter's limit passes while
// another thread reads. Then the same through a host: many threads and
// re-entrant chains on two workers, every reply to its own caller.
#include "../host/src/worker/ring_channel.hpp"
#include "../host/src/worker/mailbox.hpp"
#include "../host/src/worker/relay.hpp"

#include <phost/host.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using phost::worker::Channel;
using phost::worker::RingChannel;
using phost::worker::SharedMemory;
using phost::worker::Mailbox;
using phost::worker::OpenCall;
using phost::worker::Relay;
using phost::worker::Router;

// A frame of this test's own: length, a type byte, the call id, a payload.
std::string frame(uint64_t id, uint64_t payload) {
  std::string f(4 + 1 + 16, '\0');
  f[0] = 17;  // the length after these 4 bytes
  f[4] = 5;
  std::memcpy(f.data() + 5, &id, 8);
  std::memcpy(f.data() + 13, &payload, 8);
  return f;
}
uint64_t field(const std::string& payload, size_t at) {  // payload: from the type byte on
  uint64_t v = 0;
  std::memcpy(&v, payload.data() + 1 + at, 8);
  return v;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The host's end of a call channel with a relay, as the host has for each
// worker; the worker's end is peer (both in this process, on one mapping).
struct Side {
  SharedMemory memory;
  RingChannel channel{memory, true, 20'000};
  RingChannel peer{memory, false, 20'000};
  Router router;
  std::atomic<int> ended{0};
  Relay relay{channel, [this](std::string&& f) { router.deliver(field(f, 0), std::move(f)); }, [this] { ++ended; }};
  Side() { channel.set_receive_timeout(10); }
};

bool receive(RingChannel& channel, std::string& frame) {
  Channel::Got got;
  while ((got = channel.next(frame)) == Channel::Got::kTimeout) {
  }
  return got == Channel::Got::kFrame;
}

}  // namespace

TEST_SUITE("workers") {

TEST_CASE("a relay gives each of many waiting threads its own replies, whichever thread reads them") {
  Side side;
  // The peer answers every call with its payload + 1, two at a time in reverse
  // order when two are there, so that a reader often reads another's reply first.
  std::thread peer([&side] {
    RingChannel& channel = side.peer;
    std::string a, b;
    while (receive(channel, a)) {
      channel.set_receive_timeout(1);
      const bool two = channel.next(b) == Channel::Got::kFrame;
      channel.set_receive_timeout(0);
      if (two) channel.send(frame(field(b, 0), field(b, 8) + 1));
      channel.send(frame(field(a, 0), field(a, 8) + 1));
    }
  });
  constexpr int kThreads = 8, kCalls = 300;
  std::atomic<int> wrong{0}, answered{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t)
    callers.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        Mailbox box;
        const OpenCall call(side.router, box);
        const uint64_t payload = uint64_t(t) * 1'000'000 + uint64_t(i);
        side.channel.send(frame(call.id(), payload));
        std::string reply;
        if (side.relay.wait(box, reply, 0) != Mailbox::Wait::kFrame || field(reply, 0) != call.id() ||
            field(reply, 8) != payload + 1)
          ++wrong;
        else
          ++answered;
      }
    });
  for (std::thread& c : callers) c.join();
  CHECK(wrong.load() == 0);
  CHECK(answered.load() == kThreads * kCalls);
  side.peer.shutdown();
  peer.join();
}

TEST_CASE("a peer that dies wakes every thread waiting on the relay, the reading one and the others") {
  Side side;
  constexpr int kThreads = 4;
  std::atomic<int> sent{0};
  std::vector<Mailbox::Wait> got(kThreads, Mailbox::Wait::kFrame);
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t)
    callers.emplace_back([&, t] {
      Mailbox box;
      const OpenCall call(side.router, box);
      side.channel.send(frame(call.id(), 0));
      ++sent;
      std::string reply;
      got[t] = side.relay.wait(box, reply, 0);  // no limit: only the death ends it
    });
  std::string request;
  for (int i = 0; i < kThreads; ++i) REQUIRE(receive(side.peer, request));  // every call is out, none answered
  const int64_t start = now_ns();
  side.channel.shutdown();  // what the host does when the control channel tells the worker's death
  for (std::thread& c : callers) c.join();
  CHECK(now_ns() - start < int64_t{5'000'000'000});
  for (const Mailbox::Wait w : got) CHECK(w == Mailbox::Wait::kClosed);
  CHECK(side.ended.load() == 1);
  // Later waits learn it at once.
  Mailbox box;
  const OpenCall call(side.router, box);
  std::string reply;
  CHECK(side.relay.wait(box, reply, 0) == Mailbox::Wait::kClosed);
}

TEST_CASE("a waiter's limit passes while another thread reads the relay, and the reader's own too") {
  Side side;
  RingChannel& peer = side.peer;
  // The reader: no limit, answered only after the other's limit passed.
  Mailbox reader_box;
  const OpenCall reader_call(side.router, reader_box);
  Mailbox::Wait reader_got = Mailbox::Wait::kTimeout;
  std::string reader_reply;
  std::thread reader([&] { reader_got = side.relay.wait(reader_box, reader_reply, 0); });
  // The other: 50 ms, never answered.
  Mailbox box;
  const OpenCall call(side.router, box);
  std::string reply;
  const int64_t start = now_ns();
  CHECK(side.relay.wait(box, reply, start + 50'000'000) == Mailbox::Wait::kTimeout);
  CHECK(now_ns() - start >= 50'000'000);
  peer.send(frame(reader_call.id(), 7));
  reader.join();
  CHECK(reader_got == Mailbox::Wait::kFrame);
  CHECK(field(reader_reply, 8) == 7);
  // Alone, the reading thread notices its own limit within the channel's receive timeout.
  const int64_t again = now_ns();
  CHECK(side.relay.wait(box, reply, again + 30'000'000) == Mailbox::Wait::kTimeout);
  CHECK(now_ns() - again < int64_t{2'000'000'000});
}

TEST_CASE("many threads on two workers with re-entrant chains each get their own replies") {
  phost::HostOptions options;
  options.log = [](int, std::string_view, std::string_view) {};
  phost::Host host(std::move(options));
  phost::LoadOptions load;
  load.isolation = phost::Isolation::process;
  load.workers = 2;
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, load);
  // host -> worker (w.via) -> host (app.back) -> the same worker (w.echo) and back.
  host.add("app.back", "", [](phost::Call& call) { return call.call("w.echo", call.args().retain())[0].retain(); });
  constexpr int kThreads = 6, kCalls = 100;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const int64_t n = int64_t(t) * 1000 + i;
        const bool nested = i % 2;
        const phost::Value got = nested ? host.call("w.via", phost::args("app.back", n))
                                        : host.call("w.echo", phost::args(n))[0].retain();
        if (got.as_int() != n) ++wrong;
      }
    });
  for (std::thread& t : threads) t.join();
  CHECK(wrong.load() == 0);
}

TEST_CASE("an idle worker takes no CPU after a burst of calls: its spin ends") {
  phost::HostOptions options;
  options.log = [](int, std::string_view, std::string_view) {};
  phost::Host host(std::move(options));
  phost::LoadOptions load;
  load.isolation = phost::Isolation::process;
  host.load_plugin(PHOST_FIXTURE_WORKER_PLUGIN, {}, load);
  const int64_t pid = host.call("w.pid").as_int();
  for (int i = 0; i < 2000; ++i) host.call("w.echo", phost::args(i));
  // CPU ticks (user + system) of the worker over half a second of nothing:
  // a spin that never ends would take all 50.
  const auto ticks = [pid] {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string f[13];
    for (std::string& x : f) fields >> x;
    return std::stoll(f[11]) + std::stoll(f[12]);
  };
  const long long before = ticks();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the idleness is what is measured
  CHECK(ticks() - before <= 2);
}

}  // TEST_SUITE
