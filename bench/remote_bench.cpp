// What naming code costs (detail/remote_call.hpp): the pool names a task's
// callable on every submit() and its trampoline on every dispatch, and a
// worker resolves both per task. Compared with what a lookup through the
// dynamic linker would cost (dladdr; one dl_iterate_phdr call, the least a
// check for dlopen/dlclose on every call would add).
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <link.h>

#include <cstdint>
#include <multiproc/detail/remote_call.hpp>

namespace detail = multiproc::detail;

namespace {

int in_program(int x) { return x + 1; }
using int_function = int (*)(int);

std::uintptr_t address(int_function fn) {
  return reinterpret_cast<std::uintptr_t>(fn);
}

void BM_NameSameFunction(benchmark::State& state) {
  const std::uintptr_t fn = address(&in_program);
  for (auto _ : state) benchmark::DoNotOptimize(detail::name_code(fn));
}
BENCHMARK(BM_NameSameFunction);

// Two modules in turn: the last-hit cache misses every time, so this is
// the binary search over the table's ranges.
void BM_NameAlternatingModules(benchmark::State& state) {
  const std::uintptr_t fns[2] = {
      address(&in_program),
      reinterpret_cast<std::uintptr_t>(::dlsym(RTLD_DEFAULT, "abs"))};
  unsigned i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(detail::name_code(fns[++i & 1]));
  }
}
BENCHMARK(BM_NameAlternatingModules);

void BM_Resolve(benchmark::State& state) {
  const detail::code_ref ref = detail::name_code(address(&in_program));
  for (auto _ : state) benchmark::DoNotOptimize(detail::resolve_code(ref));
}
BENCHMARK(BM_Resolve);

void BM_PackAndUnpackEntry(benchmark::State& state) {
  detail::remote_entry entry =
      &detail::call_entry<int_function, int, std::tuple<int>>;
  for (auto _ : state) {
    benchmark::DoNotOptimize(detail::unpack_entry(detail::pack_entry(entry)));
  }
}
BENCHMARK(BM_PackAndUnpackEntry);

void BM_Dladdr(benchmark::State& state) {
  void* fn = reinterpret_cast<void*>(address(&in_program));
  for (auto _ : state) {
    Dl_info info{};
    benchmark::DoNotOptimize(::dladdr(fn, &info));
    benchmark::DoNotOptimize(info.dli_fbase);
  }
}
BENCHMARK(BM_Dladdr);

int stop_at_first(dl_phdr_info* info, std::size_t, void* out) {
  *static_cast<unsigned long long*>(out) = info->dlpi_adds + info->dlpi_subs;
  return 1;
}

void BM_DlIteratePhdrFirstOnly(benchmark::State& state) {
  for (auto _ : state) {
    unsigned long long counters = 0;
    ::dl_iterate_phdr(&stop_at_first, &counters);
    benchmark::DoNotOptimize(counters);
  }
}
BENCHMARK(BM_DlIteratePhdrFirstOnly);

void BM_DlFindObject(benchmark::State& state) {
  void* fn = reinterpret_cast<void*>(address(&in_program));
  for (auto _ : state) {
    dl_find_object found{};
    benchmark::DoNotOptimize(::_dl_find_object(fn, &found));
    benchmark::DoNotOptimize(found.dlfo_link_map);
  }
}
BENCHMARK(BM_DlFindObject);

}  // namespace

BENCHMARK_MAIN();
