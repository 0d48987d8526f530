// Naming code as (module, offset) and finding it again: in this process,
// in a library loaded later, in a pool's workers, and through a peer's
// module table (what a forkserver, spawn or MPI handshake will exchange).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <multiproc/detail/remote_call.hpp>
#include <multiproc/errors.hpp>
#include <multiproc/pool.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "remote/module_exchange.hpp"
#include "remote/module_table.hpp"
#include "support/child_io.hpp"

namespace mp = multiproc;
namespace detail = multiproc::detail;
namespace remote = multiproc::detail::remote;

namespace {

using multiproc::testing::with_processes;

int twice(int x) { return 2 * x; }
int g_data = 7;  // data, not code: cannot be named

using int_function = int (*)(int);

std::uintptr_t address_of(int_function fn) {
  return reinterpret_cast<std::uintptr_t>(fn);
}

// The helper library, loaded for one test and closed after it.
struct helper_library {
  void* handle = ::dlopen(MULTIPROC_REMOTE_HELPER_LIB, RTLD_NOW | RTLD_LOCAL);
  helper_library() = default;
  helper_library(const helper_library&) = delete;
  helper_library& operator=(const helper_library&) = delete;
  ~helper_library() { close(); }
  void close() {
    if (handle != nullptr) ::dlclose(handle);
    handle = nullptr;
  }
  int_function triple() const {
    return reinterpret_cast<int_function>(
        ::dlsym(handle, "multiproc_remote_helper_triple"));
  }
};

bool helper_is_loaded() {
  void* handle = ::dlopen(MULTIPROC_REMOTE_HELPER_LIB, RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  ::dlclose(handle);
  return true;
}

const remote::module_info& module_of(detail::code_ref ref) {
  return remote::current_modules().modules.at(ref.module);
}

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const mp::usage_error& e) {
    return e.what();
  }
  return "(no usage_error)";
}

// `readelf -n file`'s Build ID line as hex, or "" when readelf is missing
// or prints none.
std::string readelf_build_id(const std::string& file) {
  std::string command = "readelf -n '" + file + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"),
                                             &::pclose);
  if (!pipe) return {};
  char line[512];
  const std::string key = "Build ID: ";
  std::string found;
  while (std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    std::string text(line);
    auto at = text.find(key);
    if (at == std::string::npos) continue;
    found = text.substr(at + key.size());
    while (!found.empty() && (found.back() == '\n' || found.back() == ' ')) {
      found.pop_back();
    }
    break;
  }
  return found;
}

bool readelf_exists() {
  return std::system("readelf --version >/dev/null 2>&1") == 0;
}

std::string self_path() {
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : "";
}

}  // namespace

TEST(RemoteCodeRef, PacksIntoOneWordAndBack) {
  const detail::code_ref ref{12, 0x1234'5678'9abcULL};
  EXPECT_EQ(detail::code_ref::unpack(ref.pack()), ref);
  const detail::code_ref none{detail::code_ref::kNoModule, 0};
  EXPECT_EQ(detail::code_ref::unpack(none.pack()).module,
            detail::code_ref::kNoModule);
}

TEST(RemoteCodeRef, NamesAFunctionOfTheProgramAndResolvesItAgain) {
  const detail::code_ref ref = detail::name_function(&twice);
  const remote::module_info& module = module_of(ref);
  EXPECT_TRUE(module.main_program);
  EXPECT_TRUE(module.loaded);
  EXPECT_EQ(module.base + ref.offset, address_of(&twice));
  auto resolved = detail::resolve_function<int_function>(ref);
  EXPECT_EQ(resolved, &twice);
  EXPECT_EQ(resolved(21), 42);
  // A second name takes the cached path and must agree.
  EXPECT_EQ(detail::name_function(&twice), ref);
}

TEST(RemoteCodeRef, NamesTheLibrarysOwnTrampolines) {
  // A trampoline instantiated here lies in the program; one in libc (a
  // function of another module) gets that module's number.
  const detail::code_ref entry = detail::name_function(
      &detail::call_entry<int_function, int, std::tuple<int>>);
  EXPECT_TRUE(module_of(entry).main_program);
  using libc_function = int (*)(int);
  // Through dlsym: in a program built without -fPIE, &abs would be the
  // program's own PLT stub.
  auto libc_abs = reinterpret_cast<libc_function>(::dlsym(RTLD_DEFAULT, "abs"));
  ASSERT_NE(libc_abs, nullptr);
  const detail::code_ref in_libc = detail::name_function(libc_abs);
  EXPECT_NE(in_libc.module, entry.module);
  EXPECT_FALSE(module_of(in_libc).main_program);
  EXPECT_EQ(detail::resolve_function<libc_function>(in_libc), libc_abs);
}

TEST(RemoteCodeRef, EntryWordsRoundTrip) {
  detail::remote_entry entry =
      &detail::call_entry<int_function, int, std::tuple<int>>;
  EXPECT_EQ(detail::unpack_entry(detail::pack_entry(entry)), entry);
}

TEST(RemoteCodeRef, RefusesAddressesOutsideCode) {
  auto heap = std::make_unique<int>(1);
  std::string message = message_of(
      [&] { detail::name_code(reinterpret_cast<std::uintptr_t>(heap.get())); });
  EXPECT_NE(message.find("lies in no loaded module"), std::string::npos)
      << message;
  // Data of the program is in a module, but not in its code.
  message = message_of(
      [] { detail::name_code(reinterpret_cast<std::uintptr_t>(&g_data)); });
  EXPECT_NE(message.find("lies in no loaded module"), std::string::npos)
      << message;
  detail::code_ref ignored;
  EXPECT_FALSE(detail::try_name_code(
      reinterpret_cast<std::uintptr_t>(heap.get()), ignored));
  // A word naming nothing is refused where it is resolved.
  message = message_of([] {
    detail::unpack_entry(
        detail::code_ref{detail::code_ref::kNoModule, 0}.pack());
  });
  EXPECT_NE(message.find("no loaded module of the sender"), std::string::npos)
      << message;
}

TEST(RemoteCodeRef, RefusesAnUnknownModuleOrAnOffsetOutsideItsCode) {
  std::string message = message_of([] { detail::resolve_code({60000, 0x10}); });
  EXPECT_NE(message.find("module #60000"), std::string::npos) << message;

  const detail::code_ref ref = detail::name_function(&twice);
  const remote::module_info& module = module_of(ref);
  std::uint64_t past_code = 0;
  for (const auto& segment : module.code) {
    past_code = std::max(past_code, segment.end);
  }
  message = message_of([&] {
    detail::resolve_code({ref.module, past_code + 0x100000});
  });
  EXPECT_NE(message.find("outside the executable segments"), std::string::npos)
      << message;
  EXPECT_NE(message.find(module.path), std::string::npos) << message;
}

TEST(RemoteCodeRef, NamesCodeInALibraryLoadedAfterTheTableWasBuilt) {
  ASSERT_FALSE(helper_is_loaded());
  const std::size_t known_before = remote::current_modules().modules.size();
  helper_library library;
  ASSERT_NE(library.handle, nullptr) << ::dlerror();
  int_function triple = library.triple();
  ASSERT_NE(triple, nullptr);

  const detail::code_ref ref = detail::name_function(triple);
  EXPECT_GE(ref.module, known_before);  // a new number, old ones kept
  const remote::module_info& module = module_of(ref);
  EXPECT_EQ(module.path, MULTIPROC_REMOTE_HELPER_LIB);
  EXPECT_FALSE(module.build_id.empty());
  EXPECT_EQ(detail::resolve_function<int_function>(ref)(5), 15);
  // The program's functions keep their numbers.
  EXPECT_TRUE(module_of(detail::name_function(&twice)).main_program);
}

TEST(RemoteCodeRef, RefusesCodeOfALibraryUnloadedSince) {
  ASSERT_FALSE(helper_is_loaded());
  helper_library library;
  ASSERT_NE(library.handle, nullptr) << ::dlerror();
  const detail::code_ref ref = detail::name_function(library.triple());
  library.close();
  ASSERT_FALSE(helper_is_loaded()) << "dlclose did not unload the helper";
  const std::string message = message_of([&] { detail::resolve_code(ref); });
  EXPECT_NE(message.find("no longer loaded"), std::string::npos) << message;
  EXPECT_NE(message.find(MULTIPROC_REMOTE_HELPER_LIB), std::string::npos)
      << message;
}

TEST(RemoteCodeRef, BuildIdsAgreeWithReadelf) {
  if (!readelf_exists()) GTEST_SKIP() << "readelf is not installed";
  const detail::code_ref in_program = detail::name_function(&twice);
  EXPECT_EQ(remote::hex(module_of(in_program).build_id),
            readelf_build_id(self_path()));

  helper_library library;
  ASSERT_NE(library.handle, nullptr) << ::dlerror();
  const detail::code_ref in_helper = detail::name_function(library.triple());
  const std::string expected = readelf_build_id(MULTIPROC_REMOTE_HELPER_LIB);
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(remote::hex(module_of(in_helper).build_id), expected);
}

TEST(RemoteCodeRef, NamesFromManyThreadsWhileALibraryComesAndGoes) {
  // Readers use published snapshots without a lock while the loader
  // thread's misses publish new ones: every name must still resolve to
  // the function named.
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> namers;
  for (int t = 0; t < 3; ++t) {
    namers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        const detail::code_ref ref = detail::name_function(&twice);
        if (detail::resolve_function<int_function>(ref) != &twice) ++wrong;
      }
    });
  }
  for (int round = 0; round < 30; ++round) {
    helper_library library;
    ASSERT_NE(library.handle, nullptr) << ::dlerror();
    const detail::code_ref ref = detail::name_function(library.triple());
    EXPECT_EQ(detail::resolve_function<int_function>(ref)(round), 3 * round);
  }
  stop = true;
  for (auto& namer : namers) namer.join();
  EXPECT_EQ(wrong.load(), 0);
}

// --- A peer's table ----------------------------------------------------------

TEST(RemoteModuleExchange, TheDescriptionRoundTrips) {
  const std::vector<remote::module_record> table = remote::describe_modules();
  ASSERT_FALSE(table.empty());
  EXPECT_TRUE(table.front().main_program);
  const auto decoded = remote::decode_modules(remote::encode_modules(table));
  ASSERT_EQ(decoded.size(), table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(decoded[i].index, table[i].index);
    EXPECT_EQ(decoded[i].path, table[i].path);
    EXPECT_EQ(decoded[i].build_id, table[i].build_id);
    EXPECT_EQ(decoded[i].main_program, table[i].main_program);
  }
}

// A peer that numbered the same modules in another order (an exec that
// loaded them differently) and whose executable sits at another path.
std::vector<remote::module_record> renumbered(
    std::vector<remote::module_record> table) {
  const auto count = static_cast<std::uint32_t>(table.size());
  for (auto& record : table) {
    record.index = count - 1 - record.index % count + 100;
    if (record.main_program) record.path = "/elsewhere/the-same-program";
  }
  return table;
}

std::uint32_t peer_index_of(const std::vector<remote::module_record>& peer,
                            const std::vector<remote::module_record>& local,
                            std::uint32_t local_index) {
  for (std::size_t i = 0; i < local.size(); ++i) {
    if (local[i].index == local_index) return peer[i].index;
  }
  ADD_FAILURE() << "module #" << local_index << " is not described";
  return 0;
}

TEST(RemoteModuleExchange, MapsAPeersNumbersToOursByBuildId) {
  helper_library library;
  ASSERT_NE(library.handle, nullptr) << ::dlerror();
  const detail::code_ref in_program = detail::name_function(&twice);
  const detail::code_ref in_helper = detail::name_function(library.triple());

  const auto local = remote::describe_modules();
  const auto peer = renumbered(local);
  const remote::module_map map(
      remote::decode_modules(remote::encode_modules(peer)));
  for (detail::code_ref ref : {in_program, in_helper}) {
    const detail::code_ref sent{peer_index_of(peer, local, ref.module),
                                ref.offset};
    EXPECT_NE(sent.module, ref.module);
    EXPECT_EQ(map.to_local(sent), ref);
  }
  const detail::code_ref sent{peer_index_of(peer, local, in_helper.module),
                              in_helper.offset};
  EXPECT_EQ(detail::resolve_function<int_function>(map.to_local(sent))(3), 9);
}

TEST(RemoteModuleExchange, RefusesCodeOfAModuleThatDiffersOrIsMissing) {
  helper_library library;
  ASSERT_NE(library.handle, nullptr) << ::dlerror();
  const detail::code_ref in_helper = detail::name_function(library.triple());
  auto peer = remote::describe_modules();
  remote::module_record* helper = nullptr;
  for (auto& record : peer) {
    if (record.index == in_helper.module) helper = &record;
  }
  ASSERT_NE(helper, nullptr);
  helper->build_id[0] = static_cast<char>(helper->build_id[0] ^ 0x5a);
  peer.push_back({500, "/nowhere/libghost.so", "\x01\x02\x03\x04", false});
  peer.push_back({501, "/nowhere/libplain.so", "", false});
  const remote::module_map map(peer);

  std::string message = message_of([&] {
    map.to_local({in_helper.module, in_helper.offset});
  });
  EXPECT_NE(message.find(MULTIPROC_REMOTE_HELPER_LIB), std::string::npos)
      << message;
  EXPECT_NE(message.find("differs here"), std::string::npos) << message;

  message = message_of([&] { map.to_local({500, 0}); });
  EXPECT_NE(message.find("/nowhere/libghost.so (build-id 01020304) is not "
                         "loaded"),
            std::string::npos)
      << message;
  message = message_of([&] { map.to_local({501, 0}); });
  EXPECT_NE(message.find("has no GNU build-id"), std::string::npos) << message;
  message = message_of([&] { map.to_local({499, 0}); });
  EXPECT_NE(message.find("does not list"), std::string::npos) << message;

  // The modules that match still map.
  const detail::code_ref in_program = detail::name_function(&twice);
  EXPECT_EQ(map.to_local(in_program), in_program);

  // What an MPI agent reports to rank 0 in the handshake: exactly the
  // three that cannot run here.
  EXPECT_EQ(map.unmatched(),
            (std::vector<std::uint32_t>{in_helper.module, 500, 501}));
}

TEST(RemoteModuleExchange, AdoptingACreatorsNumberingMakesItsNamesOurs) {
  // What a spawned copy does before its target runs: afterwards the
  // creator's code_refs (a pool task's entry, a function pointer in its
  // payload) resolve here as they are, and our own names use its numbers.
  helper_library library;
  ASSERT_NE(library.handle, nullptr) << ::dlerror();
  const detail::code_ref in_program = detail::name_function(&twice);
  const detail::code_ref in_helper = detail::name_function(library.triple());
  const auto local = remote::describe_modules();
  auto creator = renumbered(local);
  creator.push_back({90, "/nowhere/libghost.so", "\x01\x02\x03\x04", false});
  remote::adopt_numbering(creator);

  const detail::code_ref program_there{
      peer_index_of(creator, local, in_program.module), in_program.offset};
  const detail::code_ref helper_there{
      peer_index_of(creator, local, in_helper.module), in_helper.offset};
  EXPECT_EQ(detail::name_function(&twice), program_there);
  EXPECT_EQ(detail::name_function(library.triple()), helper_there);
  EXPECT_EQ(detail::resolve_function<int_function>(program_there)(4), 8);
  EXPECT_EQ(detail::resolve_function<int_function>(helper_there)(3), 9);
  // A module the creator has and we lack: its code is refused, by name.
  const std::string message = message_of([] { detail::resolve_code({90, 0}); });
  EXPECT_NE(message.find("/nowhere/libghost.so"), std::string::npos) << message;
}

// --- In a pool ---------------------------------------------------------------

TEST(RemotePool, RunsCodeOfALibraryItsWorkersInherited) {
  helper_library library;
  ASSERT_NE(library.handle, nullptr) << ::dlerror();
  mp::pool workers(with_processes(2));
  EXPECT_EQ(workers.apply(library.triple(), 14), 42);
  EXPECT_EQ(workers.map(library.triple(), std::vector<int>{1, 2, 3}),
            (std::vector<int>{3, 6, 9}));
  EXPECT_EQ(workers.apply(&twice, 4), 8);
  EXPECT_EQ(workers.apply([](int x) { return x - 1; }, 4), 3);
  workers.close();
  workers.join();
}

TEST(RemotePool, RefusesCodeOfALibraryLoadedAfterItsWorkersStarted) {
  mp::pool workers(with_processes(1));
  EXPECT_EQ(workers.apply(&twice, 5), 10);  // the worker is up
  helper_library library;
  ASSERT_NE(library.handle, nullptr) << ::dlerror();
  // The worker, forked before the dlopen, has no such module: the task
  // fails (the worker's usage_error, carried as a remote_error), the pool
  // goes on.
  auto result = workers.submit(library.triple(), 1);
  try {
    result.get();
    ADD_FAILURE() << "the task ran";
  } catch (const mp::remote_error& e) {
    EXPECT_EQ(e.type_name(), "multiproc::usage_error");
    EXPECT_NE(std::string(e.what()).find("never loaded"), std::string::npos)
        << e.what();
  }
  // The worker survives and runs the next task.
  EXPECT_EQ(workers.apply(&twice, 6), 12);
  workers.close();
  workers.join();
}
