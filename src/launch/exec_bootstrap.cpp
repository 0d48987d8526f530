#include "launch/exec_bootstrap.hpp"

#include <cstdint>
#include <cstring>

#include "multiproc/codec.hpp"

namespace multiproc::inline v0::detail {
namespace {

char** g_argv = nullptr;

// glibc calls .init_array entries with main's arguments (a documented
// extension), before any static constructor runs in this library.
void capture_arguments(int /*argc*/, char** argv, char** /*envp*/) {
  g_argv = argv;
}
[[gnu::section(".init_array"),
  gnu::used]] void (*const g_capture_arguments)(int, char**,
                                                char**) = &capture_arguments;

}  // namespace

char* const* program_arguments() noexcept { return g_argv; }

std::vector<std::byte> encode_bootstrap(std::span<const std::byte> request,
                                        const rlimit_plan* limits) {
  encoder out;
  out.write_size(request.size());
  out.write_bytes(request.data(), request.size());
  out.write(static_cast<std::uint8_t>(limits != nullptr));
  if (limits != nullptr) {
    out.write_size(limits->count);
    for (std::size_t i = 0; i < limits->count; ++i) {
      const rlimit_entry& e = limits->entries[i];
      out.write(static_cast<std::int32_t>(e.resource));
      out.write(static_cast<std::uint64_t>(e.value.rlim_cur));
      out.write(static_cast<std::uint64_t>(e.value.rlim_max));
    }
  }
  return std::move(out).take_bytes();
}

decoded_bootstrap decode_bootstrap(std::span<const std::byte> bytes) {
  decoder in(bytes);
  decoded_bootstrap result;
  auto view = in.read_view(in.read_size(1));
  result.request.assign(view.begin(), view.end());
  result.has_limits = in.read<std::uint8_t>() != 0;
  if (result.has_limits) {
    const std::size_t count = in.read_size(1);
    if (count > kLimitedResources) throw codec_error("bad limits in request");
    result.limits.count = count;
    for (std::size_t i = 0; i < count; ++i) {
      rlimit_entry& e = result.limits.entries[i];
      e.resource = in.read<std::int32_t>();
      e.value.rlim_cur = in.read<std::uint64_t>();
      e.value.rlim_max = in.read<std::uint64_t>();
    }
  }
  if (in.remaining() != 0) throw codec_error("bad exec bootstrap");
  return result;
}

}  // namespace multiproc::inline v0::detail
