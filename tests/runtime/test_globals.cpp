// gou's script library as scripts see it: each global calls the process it
// names (so stand-ins registered by the application show the exact calls),
// keeps deadlines and cancellation, and refuses bad arguments with a 400.
#include "runtime_support.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

using rt_test::Failure;
using Opts = rt_test::Options;

namespace {

// A stand-in group that answers with what it was called with.
std::pair<std::string, phost::Handler> echo_group(std::string group) {
  return {group, [](phost::Call& call) {
            const phost_call_info info = call.info();
            phost::Value out = phost::Value::object();
            out.set("name", phost::Value::string(phost::to_view(info.name)));
            out.set("args", call.args().retain());
            return out;
          }};
}

bool logged(const rt_test::Runtime& rt, const std::string& text) {
  for (const std::string& line : rt.log_lines())
    if (line.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_SUITE("runtime gou globals") {

TEST_CASE("log formats Go verbs and writes to the host log with the script id") {
  rt_test::Runtime rt;
  rt.load("report", "function Main() {\n"
                    "  log.Info('%s has %d items at %.2f: %v %q %t %x %5d|%-4s| 100%%', 'ann', 3.9, 2.5, {a: [1]}, 'q', true, 255, 42, 'ab');\n"
                    "  log.Warn('missing %s %d', 'one');\n"
                    "  log.Error('extra', 1, 'two');\n"
                    "  const loop = {}; loop.self = loop;\n"
                    "  log.Info('cycle %v, getter %v', loop, { get x() { throw new Error('no x'); } });\n"
                    "  return log.Debug('no verbs');\n}");
  CHECK(rt.json("scripts.report.Main") == "null");
  CHECK(logged(rt, "[scripts.report] ann has 3 items at 2.50: {\"a\":[1]} \"q\" true ff    42|ab  | 100%"));
  CHECK(logged(rt, "[scripts.report] missing one %!d(MISSING)"));
  CHECK(logged(rt, "[scripts.report] extra 1 two"));
  CHECK(logged(rt, "[scripts.report] no verbs"));
  // What JSON cannot write says why, in one line (it said "circular" for a throwing getter too).
  CHECK(logged(rt, "[scripts.report] cycle [unprintable: Converting circular structure to JSON], getter [unprintable: no x]"));
}

TEST_CASE("a job's log lines name the script that queued it, not the caller whose call runs it") {
  rt_test::Runtime rt;
  rt.load("callee", "function Queue() { Promise.resolve().then(() => { log.Error('approved %d', 1000); console.log('from the job'); });\n"
                    "  return 1; }");
  rt.load("caller", "function Main() { return Process('scripts.callee.Queue'); }");
  CHECK(rt.json("scripts.caller.Main") == "1");
  CHECK(logged(rt, "[scripts.callee] approved 1000"));
  CHECK(logged(rt, "[scripts.callee] from the job"));
  CHECK_FALSE(logged(rt, "[scripts.caller]"));
}

TEST_CASE("log without a format is a 400 and log cannot be replaced by a script") {
  rt_test::Runtime rt;
  rt.load("l", "function Empty() { return log.Info(); }\n"
               "function Replace() { 'use strict'; log.Info = () => 1; }\n"
               "function Frozen() { return [Object.isFrozen(log), Object.isFrozen(time), Object.isFrozen(http)]; }");
  const Failure empty = rt.error_of("scripts.l.Empty");
  CHECK(empty.code == 400);
  CHECK(empty.message.find("log.Info(format, ...args): format is missing") != std::string::npos);
  CHECK(rt.error_of("scripts.l.Replace").message.find("TypeError") != std::string::npos);
  CHECK(rt.json("scripts.l.Frozen") == "[true,true,true]");
}

TEST_CASE("an application's own log.Info serves scripts instead of the runtime's") {
  auto lines = std::make_shared<std::vector<std::string>>();
  Opts o;
  o.processes.push_back({"log.Info", [lines](phost::Call& call) {
                           lines->push_back(call.arg<std::string>(0));
                           return phost::Value::null();
                         }});
  rt_test::Runtime rt(o);
  rt.load("l", "function Main() { log.Info('to the app %d', 1); return 1; }");
  CHECK(rt.json("scripts.l.Main") == "1");
  REQUIRE(lines->size() == 1);
  CHECK(lines->front() == "[scripts.l] to the app 1");
}

TEST_CASE("time.Sleep waits and returns null") {
  rt_test::Runtime rt;
  rt.load("t", "function Main(ms) { const t = Date.now(); const r = time.Sleep(ms); return [r, Date.now() - t >= ms]; }");
  CHECK(rt.json("scripts.t.Main", phost::args(30)) == "[null,true]");
}

TEST_CASE("time.Sleep ends at the call's deadline with 408") {
  rt_test::Runtime rt({.timeout_ms = 200});
  rt.load("t", "function Main() { time.Sleep(600000); return 'woke'; }");
  const auto start = std::chrono::steady_clock::now();
  const Failure f = rt.error_of("scripts.t.Main");
  CHECK(f.code == 408);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));  // not the ten minutes
}

TEST_CASE("a script that catches the 408 of its own deadline cannot return after it") {
  rt_test::Runtime rt({.timeout_ms = 100});
  rt.load("t", "function Main() { try { time.Sleep(600000); } catch (e) {} return 'after the deadline'; }\n"
               "function Nested() { try { Process('time.Sleep', 600000); } catch (e) { return e.code; } }");
  // The sleep's 408 and the watchdog raced: the script often won and returned.
  for (int i = 0; i < 10; ++i) {
    CHECK(rt.error_of("scripts.t.Main").code == 408);
    CHECK(rt.error_of("scripts.t.Nested").code == 408);
  }
}

TEST_CASE("time.Sleep at a script's top level ends at the load timeout") {
  rt_test::Runtime rt({.load_timeout_ms = 200});
  const Failure f = rt.load_error("t", "time.Sleep(600000);\nfunction Main() { return 1; }");
  CHECK(f.code == 408);
}

TEST_CASE("time.Sleep stops at once when the caller cancels") {
  auto mutex = std::make_shared<std::mutex>();
  auto cv = std::make_shared<std::condition_variable>();
  auto ready = std::make_shared<bool>(false);
  Opts o;
  o.timeout_ms = 0;
  o.processes.push_back({"app.ready", [=](phost::Call&) {
                           std::lock_guard lock(*mutex);
                           *ready = true;
                           cv->notify_all();
                           return phost::Value::null();
                         }});
  rt_test::Runtime rt(o);
  rt.load("t", "function Main() { Process('app.ready'); time.Sleep(600000); return 'woke'; }");
  phost_cancel* cancel = phost_cancel_new();
  REQUIRE(cancel != nullptr);
  std::atomic<bool> done{false};
  Failure f;
  std::thread caller([&] {
    phost_call_options options{};
    options.struct_size = sizeof options;
    options.cancel = cancel;
    phost_value* out = nullptr;
    const phost_status status = phost_call(rt.host().get(), phost::to_str("scripts.t.Main"), nullptr, &options, &out);
    phost_error e{};
    e.struct_size = sizeof e;
    phost_last_error(&e);
    f = {e.code, status, std::string(phost::to_view(e.message))};
    phost::api().value_release(out);
    done = true;
  });
  {
    std::unique_lock lock(*mutex);
    REQUIRE(cv->wait_for(lock, std::chrono::seconds(30), [&] { return *ready; }));
  }
  phost_cancel_trigger(cancel);  // the script is in time.Sleep, or about to be
  caller.join();
  phost_cancel_free(cancel);
  CHECK(done);
  CHECK(f.status == PHOST_E_CANCELLED);
  CHECK(f.code == 499);
}

TEST_CASE("time.Sleep reads its duration as gou does, and the time.Sleep process refuses a bad one naming it") {
  rt_test::Runtime rt({.timeout_ms = 2000});
  rt.load("t", "function Main(ms) { const t0 = Date.now(); time.Sleep(ms); return Date.now() - t0; }\n"
               "function None() { time.Sleep(); return 1; }\n"
               "function Direct(ms) { return Process('time.Sleep', ms); }");
  for (const char* none : {"-1", "\"soon\"", "null", "0.5"}) {
    const std::string took = rt.json("scripts.t.Main", phost::args(phost::Value::from_json(none)));
    CHECK_MESSAGE(std::stoi(took) < 20, none);
  }
  CHECK(std::stoi(rt.json("scripts.t.Main", phost::args("30"))) >= 30);  // a string of digits is that many ms
  CHECK(rt.json("scripts.t.None") == "1");
  CHECK(rt.error_of("scripts.t.Main", phost::args(1e12)).code == 408);  // a week at most: the deadline ends it
  for (const char* bad : {"-1", "\"soon\"", "1e12"}) {
    const Failure f = rt.error_of("scripts.t.Direct", phost::args(phost::Value::from_json(bad)));
    CHECK(f.code == 400);
    CHECK_MESSAGE(f.message.find("time.Sleep(ms)") != std::string::npos, f.message);
  }
}

TEST_CASE("time.After calls the process later with its arguments, outside the call") {
  auto mutex = std::make_shared<std::mutex>();
  auto cv = std::make_shared<std::condition_variable>();
  auto got = std::make_shared<std::string>();
  Opts o;
  o.processes.push_back({"app.later", [=](phost::Call& call) {
                           std::lock_guard lock(*mutex);
                           *got = call.args().to_json() + " depth " + std::to_string(call.info().depth);
                           cv->notify_all();
                           return phost::Value::null();
                         }});
  rt_test::Runtime rt(o);
  rt.load("t", "function Main() { return time.After(10, 'app.later', 1, {b: 2}); }\n"
               "function Denied() { return time.After(10, 'runtime.unload', 't'); }\n"
               "function Malformed() { return time.After(10, 'no such name'); }");
  CHECK(rt.json("scripts.t.Main") == "null");
  std::unique_lock lock(*mutex);
  REQUIRE(cv->wait_for(lock, std::chrono::seconds(30), [&] { return !got->empty(); }));
  CHECK(*got == R"([1,{"b":2}] depth 1)");
  lock.unlock();
  const Failure f = rt.error_of("scripts.t.Denied");
  CHECK(f.code == 403);
  CHECK(f.message.find("runtime.unload") != std::string::npos);
  // A malformed name fails at once, not when (or if) the call is due.
  const Failure malformed = rt.error_of("scripts.t.Malformed");
  CHECK(malformed.code == 400);
  CHECK_MESSAGE(malformed.message.find("time.After: malformed process name 'no such name'") != std::string::npos,
                malformed.message);
}

TEST_CASE("destroying the host stops a time.After call that is still running, though it has no deadline") {
  auto mutex = std::make_shared<std::mutex>();
  auto cv = std::make_shared<std::condition_variable>();
  auto started = std::make_shared<bool>(false);
  Opts o;
  o.timeout_ms = 0;  // no deadline: only the host's destruction ends Loop
  o.processes.push_back({"app.started", [=](phost::Call&) {
                           std::lock_guard lock(*mutex);
                           *started = true;
                           cv->notify_all();
                           return phost::Value::null();
                         }});
  auto rt = std::make_unique<rt_test::Runtime>(o);
  rt->load("t", "function Main() { return time.After(1, 'scripts.t.Loop'); }\n"
                "function Loop() { Process('app.started'); for (;;) {} }");
  CHECK(rt->json("scripts.t.Main") == "null");
  {
    std::unique_lock lock(*mutex);
    REQUIRE(cv->wait_for(lock, std::chrono::seconds(30), [&] { return *started; }));
  }
  const auto t0 = std::chrono::steady_clock::now();
  rt.reset();  // waited for Loop for good before
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
}

TEST_CASE("time.After holds a bounded amount: a flood of big arguments is a 429") {
  rt_test::Runtime rt;
  rt.load("t", "function Main() { const big = 'x'.repeat(8 << 20);\n"
               "  for (let i = 0; i < 100; i++) time.After(600000, 'app.never', big); }");
  const Failure f = rt.error_of("scripts.t.Main");
  CHECK(f.code == 429);
  CHECK_MESSAGE(f.message.find("time.After: too much is waiting already") != std::string::npos, f.message);
}

TEST_CASE("a huge log line is cut, not refused") {
  rt_test::Runtime rt;
  rt.load("l", "function Main() { log.Info('%s', 'y'.repeat(3 << 20)); return 1; }");
  CHECK(rt.json("scripts.l.Main") == "1");
  CHECK(logged(rt, "... (" + std::to_string((3 << 20) + 12) + " bytes)"));
}

TEST_CASE("FS methods call fs.<name>.<Method> with the script's arguments") {
  Opts o;
  o.processes.push_back(echo_group("fs"));
  rt_test::Runtime rt(o);
  rt.load("f", "function Main() { const fs = new FS('Data'); return [fs.name, fs.ReadFile('/a.txt'), "
               "new FS().Exists('/b'), fs.ReadDir('/', true)]; }\n"
               "function Bad(name) { return new FS(name); }\n"
               "function NoNew() { return FS('data'); }");
  CHECK(rt.json("scripts.f.Main") ==
        R"(["data",{"name":"fs.data.ReadFile","args":["/a.txt"]},{"name":"fs.system.Exists","args":["/b"]},)"
        R"({"name":"fs.data.ReadDir","args":["/",true]}])");
  for (const char* bad : {"\"../x\"", "12", "\"\"", "\"a.b\""}) {
    const Failure f = rt.error_of("scripts.f.Bad", phost::args(phost::Value::from_json(bad)));
    CHECK(f.code == 400);
    CHECK_MESSAGE(f.message.find("new FS(name)") != std::string::npos, f.message);
  }
  CHECK(rt.error_of("scripts.f.NoNew").message.find("without 'new'") != std::string::npos);
}

TEST_CASE("Query methods call query.<engine>.<Method>, and without an engine the 404 names the process") {
  Opts o;
  o.processes.push_back(echo_group("query"));
  rt_test::Runtime rt(o);
  rt.load("q", "function Main() { const q = new Query(); return [q.name, q.Get({select: ['id'], from: 'user'}), "
               "new Query('Stats').Paginate({from: 'orders'}), q.Run({stmt: 'show version'})]; }\n"
               "function Bad() { return new Query('a.b'); }");
  CHECK(rt.json("scripts.q.Main") ==
        R"(["default",{"name":"query.default.Get","args":[{"select":["id"],"from":"user"}]},)"
        R"({"name":"query.stats.Paginate","args":[{"from":"orders"}]},)"
        R"({"name":"query.default.Run","args":[{"stmt":"show version"}]}])");
  CHECK(rt.error_of("scripts.q.Bad").message.find("new Query(engine)") != std::string::npos);

  rt_test::Runtime bare;
  bare.load("q", "function Main() { return new Query().First({from: 'user'}); }");
  const Failure none = bare.error_of("scripts.q.Main");
  CHECK(none.code == 404);
  CHECK_MESSAGE(none.message.find("no process named 'query.default.first'") != std::string::npos, none.message);
}

TEST_CASE("FS over the fs plugin reads and writes under its root") {
  const auto root = rt_test::temp_dir("fs-root");
  Opts o;
  o.plugins.push_back({PHOST_FS_PLUGIN, R"({"roots": {"data": ")" + root.string() + R"("}})"});
  rt_test::Runtime rt(o);
  rt.load("f", "function Main() { const fs = new FS('data'); fs.WriteFile('note.txt', 'hé'); "
               "return [fs.ReadFile('note.txt'), fs.Exists('note.txt'), fs.Exists('gone.txt')]; }\n"
               "function Escape() { return new FS('data').ReadFile('../../etc/passwd'); }\n"
               "function Unknown() { return new FS('nowhere').ReadFile('a'); }");
  CHECK(rt.json("scripts.f.Main") == R"(["hé",true,false])");
  CHECK(rt.error_of("scripts.f.Escape").code == 400);
  CHECK(rt.error_of("scripts.f.Unknown").code == 404);
  std::filesystem::remove_all(root);
}

TEST_CASE("Store methods call stores.<name>.<Method> and GetSet computes a missing value once") {
  auto data = std::make_shared<std::map<std::string, std::string>>();
  Opts o;
  o.processes.push_back({"stores", [data](phost::Call& call) {
                           const phost_call_info info = call.info();
                           const std::string method(phost::to_view(info.method));
                           const std::string key = std::string(phost::to_view(info.id)) + "/" + call.arg<std::string>(0);
                           if (method == "Set") {
                             (*data)[key] = call.args()[1].to_json() + (call.arg_count() > 2 ? " ttl " + call.args()[2].to_json() : "");
                             return phost::Value::null();
                           }
                           if (method == "Has") return phost::Value::boolean(data->count(key) > 0);
                           if (method == "Get") return data->count(key) ? phost::Value::string((*data)[key]) : phost::Value::null();
                           throw phost::Error(404, "no " + method, PHOST_E_NOT_FOUND);
                         }});
  rt_test::Runtime rt(o);
  rt.load("s", "function Main() { const s = new Store('cache'); let made = 0;\n"
               "  const a = s.GetSet('k', (key) => { made++; return key + '!'; }, 60);\n"
               "  const b = s.GetSet('k', () => { made++; return 'again'; });\n"
               "  s.Set('n', 1);\n"
               "  return [a, b, made, s.Get('n'), s.name]; }\n"
               "function Bad() { return new Store('c').GetSet('k', 'not a function'); }\n"
               "function NoName() { return new Store(); }");
  CHECK(rt.json("scripts.s.Main") == R"(["k!","\"k!\" ttl 60",1,"1","cache"])");
  const Failure bad = rt.error_of("scripts.s.Bad");
  CHECK(bad.code == 400);
  CHECK(bad.message.find("Store.GetSet(key, fn[, ttl]): fn must be a function") != std::string::npos);
  CHECK(rt.error_of("scripts.s.NoName").code == 400);
}

TEST_CASE("Store over the store plugin keeps values of every kind") {
  Opts o;
  o.plugins.push_back({PHOST_STORE_PLUGIN, R"({"stores": {"cache": {}}})"});
  rt_test::Runtime rt(o);
  rt.load("s", "function Main() { const s = new Store('cache');\n"
               "  s.Set('a', {n: 1, big: 2n ** 60n, bytes: new Uint8Array([1, 2])}, 60);\n"
               "  const got = s.Get('a'); let made = 0;\n"
               "  const v = s.GetSet('b', (key) => { made++; return key + '!'; });\n"
               "  s.GetSet('b', () => { made++; return 'again'; });\n"
               "  return [got.n, typeof got.big, got.bytes instanceof Uint8Array, s.Has('a'), v, made, s.Len(),\n"
               "          s.GetDel('a').n, s.Has('a')]; }\n"
               "function Missing() { return new Store('nowhere').Get('a'); }");
  CHECK(rt.json("scripts.s.Main") == R"([1,"bigint",true,true,"b!",1,2,1,false])");
  CHECK(rt.error_of("scripts.s.Missing").code == 404);
}

TEST_CASE("http methods call http.<Method> with the script's arguments unchanged") {
  Opts o;
  for (const char* name : {"http.Get", "http.Post", "http.Send"}) o.processes.push_back(echo_group(name));
  rt_test::Runtime rt(o);
  rt.load("h", "function Main() { return [http.Get('http://x/a', {q: 1}, {H: 'v'}), "
               "http.Post('http://x/b', {json: true}), http.Send('PATCH', 'http://x/c')]; }");
  CHECK(rt.json("scripts.h.Main") ==
        R"([{"name":"http.Get","args":["http://x/a",{"q":1},{"H":"v"}]},)"
        R"({"name":"http.Post","args":["http://x/b",{"json":true}]},)"
        R"({"name":"http.Send","args":["PATCH","http://x/c"]}])");
}

TEST_CASE("the process rules apply to every global: a denied FS method is a 403") {
  Opts o;
  o.processes.push_back(echo_group("fs"));
  o.process_allow = {"scripts.*", "log.*"};
  rt_test::Runtime rt(o);
  rt.load("f", "function Main() { return new FS('data').ReadFile('a'); }\nfunction Log() { log.Info('x'); return 1; }");
  const Failure f = rt.error_of("scripts.f.Main");
  CHECK(f.code == 403);
  CHECK(f.message.find("fs.data.ReadFile") != std::string::npos);
  CHECK(rt.json("scripts.f.Log") == "1");
}

TEST_CASE("$L strips gou's :: prefix and is the identity without lang.Translate") {
  rt_test::Runtime rt;
  rt.load("l", "function Main() { return [$L('::Hello'), $L('Plain'), $L(7), $L()]; }");
  CHECK(rt.json("scripts.l.Main") == R"(["Hello","Plain",7,null])");
}

TEST_CASE("$L translates through the application's lang.Translate") {
  Opts o;
  o.processes.push_back({"lang.Translate", [](phost::Call& call) {
                           const std::string text = call.arg<std::string>(0);
                           return phost::Value::string(text == "Hello" ? "Bonjour" : text);
                         }});
  rt_test::Runtime rt(o);
  rt.load("l", "function Main() { return [$L('::Hello'), $L('Other')]; }");
  CHECK(rt.json("scripts.l.Main") == R"(["Bonjour","Other"])");
}

TEST_CASE("All runs its tasks at the same time and keeps gou's result shape") {
  // Each task waits until all three have started: they can only finish in parallel.
  auto mutex = std::make_shared<std::mutex>();
  auto cv = std::make_shared<std::condition_variable>();
  auto started = std::make_shared<int>(0);
  Opts o;
  o.processes.push_back({"app.meet", [=](phost::Call& call) {
                           std::unique_lock lock(*mutex);
                           ++*started;
                           cv->notify_all();
                           if (!cv->wait_for(lock, std::chrono::seconds(30), [&] { return *started >= 3; }))
                             throw phost::Error(500, "the others never came");
                           return phost::Value::integer(call.arg<int64_t>(0) * 10);
                         }});
  rt_test::Runtime rt(o);
  rt.load("p", "function Main() { return All([{process: 'app.meet', args: [1]}, {process: 'app.meet', args: [2]},\n"
               "  {process: 'app.meet', args: [3]}, {process: 'no.such'}, {process: 'runtime.unload', args: ['p']}]); }\n"
               "function AnyRace() { const t = [{process: 'time.Sleep', args: [1]}];\n"
               "  return [Any(t), Race(t)]; }");
  CHECK(rt.json("scripts.p.Main") ==
        R"([{"data":10,"index":0},{"data":20,"index":1},{"data":30,"index":2},)"
        R"({"data":null,"index":3,"error":"no process named 'no.such'","code":404},)"
        R"({"data":null,"index":4,"error":"Process('runtime.unload'): scripts may not call this process","code":403}])");
  CHECK(rt.json("scripts.p.AnyRace") == R"([[{"data":null,"index":0}],[{"data":null,"index":0}]])");
}

TEST_CASE("the results of All's tasks together are one value's worth: past it a result is dropped with 413") {
  Opts o;
  o.max_value_mb = 1;
  o.processes.push_back({"app.big", [](phost::Call&) { return phost::Value::string(std::string(300'000, 'x')); }});
  rt_test::Runtime rt(o);
  // 20 results of 300 KB: three fit in 1 MB, each of the others is a 413 (it was all 20 kept, then one 413 for the call).
  rt.load("p", "function Main() { const t = []; for (let i = 0; i < 20; i++) t.push({process: 'app.big'});\n"
               "  const r = All(t); return [r.filter((x) => x.data !== null).length,\n"
               "    r.filter((x) => x.code === 413 && x.data === null && /together are over the limits/.test(x.error)).length]; }");
  CHECK(rt.json("scripts.p.Main") == "[3,17]");
}

TEST_CASE("a task's timeout ends that task with 408 and the others go on") {
  rt_test::Runtime rt;
  rt.load("p", "function Main() { const r = All([{process: 'time.Sleep', args: [600000], timeout: 0.05},\n"
               "  {process: 'time.Sleep', args: [1]}]); return [r[0].code, r[1].error === undefined]; }");
  CHECK(rt.json("scripts.p.Main") == "[408,true]");
}

TEST_CASE("a script task's own timeout ends that task only, also when it runs on the caller's thread and isolate") {
  rt_test::Runtime rt({.timeout_ms = 20000});  // one isolate: the one task runs in the caller's own
  rt.load("t", "function Loop() { while (true) {} }\n"
               "function Sleeps() { try { time.Sleep(600000); } catch (e) { return 'caught ' + e.code; } }");
  rt.load("p", "function Main(name) { const r = All([{process: name, timeout: 0.2}]); return [r[0].code, 'went on']; }");
  // The task's stop ended the whole call with 408 before.
  CHECK(rt.json("scripts.p.Main", phost::args("scripts.t.Loop")) == R"([408,"went on"])");
  CHECK(rt.json("scripts.p.Main", phost::args("scripts.t.Sleeps")) == R"([408,"went on"])");
  CHECK(rt.json("scripts.p.Main", phost::args("scripts.t.Loop")) == R"([408,"went on"])");  // the isolate runs on
}

TEST_CASE("All refuses bad task lists with a 400 naming the task") {
  rt_test::Runtime rt;
  rt.load("p", "function Main(tasks) { return All(tasks); }");
  const std::pair<const char*, const char*> cases[] = {
      {"\"x\"", "All(tasks): tasks must be an array"},
      {"[1]", "task 0: expected an object"},
      {R"([{"process":"time.Sleep"},{"args":[]}])", "task 1: 'process' must be a non-empty string"},
      {R"([{"process":"time.Sleep","args":3}])", "task 0: 'args' must be an array"},
      {R"([{"process":"time.Sleep","timeout":"1s"}])", "task 0: 'timeout' must be a number of seconds"}};
  for (const auto& [tasks, message] : cases) {
    const Failure f = rt.error_of("scripts.p.Main", phost::args(phost::Value::from_json(tasks)));
    CHECK(f.code == 400);
    CHECK_MESSAGE(f.message.find(message) != std::string::npos, f.message);
  }
  // An Array subclass whose own map returns what it likes is read by index all the same.
  rt.load("q", "class Tasks extends Array { map() { return [[1, 2, 3], 'x', null]; } }\n"
               "function Main() { const list = new Tasks(); list.push({ args: [] }); return Any(list); }");
  const Failure f = rt.error_of("scripts.q.Main");
  CHECK(f.code == 400);
  CHECK_MESSAGE(f.message.find("Any(tasks): task 0: 'process' must be a non-empty string") != std::string::npos, f.message);
}

TEST_CASE("All of script tasks with every isolate busy is an error per task, never a hang") {
  rt_test::Runtime rt({.isolates = 1, .timeout_ms = 2000});
  rt.load("p", "function Inner(x) { return x + 1; }\n"
               "function Main() { return All([1, 2, 3, 4].map((x) => ({process: 'scripts.p.Inner', args: [x]})))\n"
               "  .every((r, i) => (r.error === undefined && r.data === i + 2) || r.code === 409); }");
  // Tasks the caller's thread runs itself succeed; one on another thread needs the only
  // isolate, which its own call chain holds: a 409 at once, not a wait.
  CHECK(rt.json("scripts.p.Main") == "true");
}

TEST_CASE("All tasks that call back into scripts keep the caller's deadline, whichever thread runs them") {
  // A task the caller's thread runs itself pushes frames on the caller's call
  // stack while the other tasks start: they once read the caller's deadline
  // from a frame that had moved (the stack's storage grows only on a fresh
  // isolate, hence a fresh runtime per round), and failed with 408 at random.
  for (int round = 0; round < 12; ++round) {
    rt_test::Runtime rt({.isolates = 3});
    rt.load("p", "function Ping(n) { return n <= 0 ? 0 : 1 + Process('scripts.p.Pong', n - 1); }\n"
                 "function Pong(n) { return n <= 0 ? 0 : 1 + Process('scripts.p.Ping', n - 1); }\n"
                 "function Main() { return All([1, 2, 3, 4, 5, 6].map(() => ({process: 'scripts.p.Pong', args: [6]})))\n"
                 "  .filter((r) => !(r.data === 6 || r.code === 409)).map((r) => r.error).slice(0, 2); }");
    CHECK(rt.json("scripts.p.Main") == "[]");
  }
}

TEST_CASE("Authorized returns the call's subject, or null") {
  rt_test::Runtime rt;
  rt.load("a", "function Main() { return Authorized(); }");
  CHECK(rt.json("scripts.a.Main") == "null");
  phost::CallOptions options;
  phost::Value subject = phost::Value::from_json(R"({"user_id":7})");
  options.subject = subject;
  CHECK(rt.json("scripts.a.Main", phost::args(), options) == R"({"user_id":7})");
}

TEST_CASE("atob and btoa are gou's: base64 of UTF-8") {
  rt_test::Runtime rt;
  rt.load("b", "function Main() { return [btoa('héllo'), atob(btoa('héllo')), atob('YWJj'), btoa('')]; }\n"
               "function Bad(x) { return atob(x); }\nfunction NoArg() { return btoa(); }");
  CHECK(rt.json("scripts.b.Main") == R"(["aMOpbGxv","héllo","abc",""])");
  for (const char* bad : {"\"abc\"", "\"a*==\"", "1"}) {
    const Failure f = rt.error_of("scripts.b.Bad", phost::args(phost::Value::from_json(bad)));
    CHECK(f.code == 400);
    CHECK_MESSAGE(f.message.find("atob(data)") != std::string::npos, f.message);
  }
  CHECK(rt.error_of("scripts.b.NoArg").code == 400);
}

TEST_CASE("TextEncoder and TextDecoder speak UTF-8") {
  rt_test::Runtime rt;
  rt.load("t", "function Main() {\n"
               "  const e = new TextEncoder(), d = new TextDecoder();\n"
               "  const bytes = e.encode('a\\u00e9\\u{1F600}');\n"
               "  const into = new Uint8Array(4); const r = e.encodeInto('a\\u00e9\\u00e9', into);\n"
               "  const bom = new Uint8Array([0xEF, 0xBB, 0xBF, 0x41]);\n"
               "  let fatal = 'none'; try { new TextDecoder('utf-8', {fatal: true}).decode(new Uint8Array([0xC3])); } catch (x) { fatal = x.name; }\n"
               "  return [Array.from(bytes), d.decode(bytes), [r.read, r.written], d.decode(bom).length,\n"
               "    new TextDecoder('utf8', {ignoreBOM: true}).decode(bom).length, d.decode(new Uint8Array([0xC3])),\n"
               "    fatal, e.encoding, d.decode(bytes.buffer)];\n}\n"
               "function Latin() { return new TextDecoder('latin1'); }");
  CHECK(rt.json("scripts.t.Main") ==
        "[[97,195,169,240,159,152,128],\"a\xC3\xA9\xF0\x9F\x98\x80\",[2,3],1,2,\"\xEF\xBF\xBD\",\"TypeError\",\"utf-8\","
        "\"a\xC3\xA9\xF0\x9F\x98\x80\"]");
  CHECK(rt.error_of("scripts.t.Latin").message.find("RangeError") != std::string::npos);
}

TEST_CASE("structuredClone copies what V8 can serialize and refuses the rest") {
  rt_test::Runtime rt;
  rt.load("c", "function Main() {\n"
               "  const o = {d: new Date(0), m: new Map([['k', [1]]]), s: new Set([2]), b: new Uint8Array([3])};\n"
               "  o.self = o;\n  const c = structuredClone(o);\n"
               "  return [c !== o, c.self === c, c.d.getTime(), c.m.get('k')[0], c.s.has(2), c.b[0], c.m.get('k') !== o.m.get('k')];\n}\n"
               "function Fn() { try { structuredClone({f() {}}); } catch (e) { return e.name; } }");
  CHECK(rt.json("scripts.c.Main") == "[true,true,0,1,true,3,true]");
  CHECK(rt.json("scripts.c.Fn") == "\"DataCloneError\"");
}

TEST_CASE("structuredClone of more than the heap can hold fails with 507, catchable, and the isolate goes on") {
  rt_test::Runtime rt({.heap_mb = 64});
  // A buffer of 40 MB fits once, not twice (it was V8's "Unable to deserialize cloned data", a 500).
  rt.load("c", "function Buffer() { return structuredClone(new ArrayBuffer(40 << 20)).byteLength; }\n"
               "function Repeated() { const s = 'x'.repeat(20 << 20); return structuredClone(new Array(10).fill(s)).length; }\n"
               "function Caught() { try { structuredClone(new ArrayBuffer(40 << 20)); } catch (e) { return [e.code, e.message]; } }\n"
               "function Small() { return structuredClone(new ArrayBuffer(1 << 20)).byteLength; }");
  const auto buffer = rt.error_of("scripts.c.Buffer");
  CHECK(buffer.code == 507);
  CHECK(buffer.message.find("structuredClone: the copy does not fit in the script heap") != std::string::npos);
  // Each reference to a string is written out again: refused while writing, not after 200 MB outside the heap.
  const auto repeated = rt.error_of("scripts.c.Repeated");
  CHECK(repeated.code == 507);
  CHECK(repeated.message.find("structuredClone: the copy does not fit in the script heap") != std::string::npos);
  CHECK(rt.json("scripts.c.Caught") == R"([507,"structuredClone: the copy does not fit in the script heap"])");
  CHECK(rt.json("scripts.c.Small") == "1048576");
}

TEST_CASE("queueMicrotask runs its callback within the call") {
  rt_test::Runtime rt;
  rt.load("q", "async function Main() { let x = 0; queueMicrotask(() => { x = 1; }); await null; return x; }\n"
               "function Bad() { queueMicrotask(1); }");
  CHECK(rt.json("scripts.q.Main") == "1");
  CHECK(rt.error_of("scripts.q.Bad").message.find("TypeError") != std::string::npos);
}

TEST_CASE("__yao_data is gou's share data of the call, and read-only") {
  rt_test::Runtime rt;
  rt.load("d", "function Main() { return __yao_data; }\n"
               "function Write() { __yao_data = 1; __yao_data.SID = 'x'; return __yao_data.SID; }\n"
               "function Strict() { 'use strict'; __yao_data = 1; }");
  CHECK(rt.json("scripts.d.Main") == R"({"SID":"","ROOT":false,"DATA":{},"ISO":""})");
  phost::CallOptions options;
  options.session = "S-1";
  phost::Value global = phost::Value::from_json(R"({"name":"alice"})");
  phost::Value subject = phost::Value::from_json(R"({"user_id":7})");
  options.global = global;
  options.subject = subject;
  CHECK(rt.json("scripts.d.Main", phost::args(), options) ==
        R"({"SID":"S-1","ROOT":false,"DATA":{"name":"alice"},"ISO":"","AUTHORIZED":{"user_id":7}})");
  CHECK(rt.json("scripts.d.Write", phost::args(), options) == R"("S-1")");
  const Failure strict = rt.error_of("scripts.d.Strict");
  CHECK(strict.message.find("TypeError: Cannot set property __yao_data") != std::string::npos);
}

TEST_CASE("Eval calls the function its source declares, as gou rewrites it, with the call's data") {
  rt_test::Runtime rt;
  rt.load("e", "function Add() { return Eval('function add(a, b) { return a + b; }', 5, 3); }\n"
               "function Greet() { return Eval(\"function greet(name) { return 'Hello, ' + name + '! ' + __yao_data.DATA.hello; }\", 'User'); }\n"
               "function Arrow() { return Eval('(x) => x * 2', 21); }\n"
               "function Scope() { var local = 1; return Eval('function f() { return typeof local; }'); }\n"
               "function Value() { return Eval('1 + 1'); }\n"
               "function Number() { return Eval(42); }\n"
               "function None() { return Eval(); }\n"
               "function Syntax() { return Eval('function ( {'); }\n"
               "function Big() { return Eval('function f() { return 1 }' + ' '.repeat(2 ** 20)); }\n"
               "function Throws() { try { Eval('function f() { throw new Exception(\"no\", 409) }'); } catch (e) { return [e.message, e.code]; } }\n"
               "function Heads() { return Eval('function a('.repeat(95000)); }\n"
               "function Counter() { const inc = Eval('var n = 0; function f() { return () => ++n; }'); inc(); inc();\n"
               "  Process('scripts.peek.Main'); return [inc(), typeof n]; }\n"
               "function Fails() { Eval('var secret = 1; function f() { throw new Error(\"no\"); }'); }");
  rt.load("peek", "function Main() { return [typeof n, typeof secret]; }");
  CHECK(rt.json("scripts.e.Add") == "8");
  phost::CallOptions options;
  phost::Value global = phost::Value::from_json(R"({"hello":"world"})");
  options.global = global;
  CHECK(rt.json("scripts.e.Greet", phost::args(), options) == R"("Hello, User! world")");
  CHECK(rt.json("scripts.e.Arrow") == "42");
  CHECK(rt.json("scripts.e.Scope") == R"("undefined")");  // global scope, not the caller's
  const Failure value = rt.error_of("scripts.e.Value");
  CHECK(value.code == 400);
  CHECK(value.message.find("Eval(source, ...args): the source must evaluate to a function") != std::string::npos);
  const Failure number = rt.error_of("scripts.e.Number");
  CHECK(number.code == 400);
  CHECK(number.message.find("the first parameter should be a string") != std::string::npos);
  CHECK(rt.error_of("scripts.e.None").message.find("Eval(source, ...args): missing parameters") != std::string::npos);
  CHECK(rt.error_of("scripts.e.Syntax").message.find("SyntaxError") != std::string::npos);
  CHECK(rt.error_of("scripts.e.Big").message.find("EvalError: eval and Function take at most 1048576 characters") !=
        std::string::npos);
  CHECK(rt.json("scripts.e.Throws") == R"(["no",409])");
  // The rewrite is linear: gou's pattern scanned to the end from each of these heads (minutes).
  phost::CallOptions soon;
  soon.timeout = std::chrono::milliseconds(5000);
  const Failure heads = rt.error_of("scripts.e.Heads", phost::args(), soon);
  CHECK_MESSAGE(heads.code == 500, heads.message);
  CHECK_MESSAGE(heads.message.find("EvalError") != std::string::npos, heads.message);
  // What a source declares is its own: not a global, not lost in a nested call, not left by a failure.
  CHECK(rt.json("scripts.e.Counter") == R"([3,"undefined"])");
  CHECK(rt.error_of("scripts.e.Fails").code == 500);
  CHECK(rt.json("scripts.peek.Main") == R"(["undefined","undefined"])");
}

TEST_CASE("Use releases its instance after the callback, also when the callback throws") {
  rt_test::Runtime rt;
  rt.load("u", "class R { constructor(a, b) { this.a = a; this.b = b; R.log.push('new ' + a + b); }\n"
               "  __release() { R.log.push('released'); throw new Error('ignored'); } }\n"
               "R.log = [];\n"
               "function Ok() { R.log = []; const v = Use(R, 1, 2, (r) => r.a + r.b); return [v, R.log]; }\n"
               "function Throws() { R.log = []; try { Use(R, 1, 2, () => { throw new Exception('boom', 418); }); }\n"
               "  catch (e) { return [e.message, e.code, R.log]; } }\n"
               "function Plain() { return Use(Object, (o) => typeof o); }\n"
               "function NoCallback() { return Use(R, 1); }\n"
               "function NotConstructor() { return Use(1, () => 1); }");
  CHECK(rt.json("scripts.u.Ok") == R"([3,["new 12","released"]])");
  CHECK(rt.json("scripts.u.Throws") == R"(["boom",418,["new 12","released"]])");
  CHECK(rt.json("scripts.u.Plain") == R"("object")");
  const Failure no_callback = rt.error_of("scripts.u.NoCallback");
  CHECK(no_callback.code == 400);
  CHECK(no_callback.message.find("the last argument must be a callback function") != std::string::npos);
  CHECK(rt.error_of("scripts.u.NotConstructor").message.find("the first argument must be a constructor") !=
        std::string::npos);
}

TEST_CASE("gou globals phost does not provide are a ReferenceError naming them") {
  rt_test::Runtime rt;
  rt.load("g", "function Main(name) { return eval(name); }\n"
               "function P() { return new Plan('p'); }\nfunction J() { return Job; }");
  const Failure p = rt.error_of("scripts.g.P");
  CHECK(p.message.find("ReferenceError: Plan is not defined") != std::string::npos);
  CHECK(rt.error_of("scripts.g.J").message.find("ReferenceError: Job is not defined") != std::string::npos);
}

TEST_CASE("globals minimal leaves only the bridge and registers no library processes") {
  rt_test::Runtime rt({.globals = "minimal"});
  rt.load("m", "function Main() { return [typeof log, typeof time, typeof FS, typeof All, typeof Eval, typeof Process, typeof console]; }");
  CHECK(rt.json("scripts.m.Main") == R"(["undefined","undefined","undefined","undefined","undefined","function","object"])");
  CHECK(rt.error_of("log.Info", phost::args("x")).code == 404);
}

TEST_CASE("a bad globals option is refused naming it") {
  CHECK_THROWS_WITH_AS(rt_test::Runtime({.globals = "all"}), doctest::Contains("'globals' must be \"gou\""),
                       phost::Error);
}

}  // TEST_SUITE
