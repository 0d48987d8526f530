#include "pool/spawned_worker.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <system_error>

#include "multiproc/codec.hpp"
#include "multiproc/detail/portable_call.hpp"
#include "multiproc/detail/remote_call.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/process.hpp"
#include "pool/wire.hpp"
#include "pool/worker_main.hpp"
#include "posix/mapping.hpp"

namespace multiproc::inline v0::detail {

std::vector<std::byte> encode_spawned_initializer(
    const multiproc::pool_initializer& initializer) {
  if (!initializer) return {};
  portable_call call;
  if (!initializer.encode_portable(call)) {
    throw usage_error("multiproc: the pool initializer is not portable");
  }
  encoder out;
  out.write(call.entry);
  out.write(static_cast<std::uint8_t>(call.has_function));
  out.write(call.function);
  out.write(call.arguments);
  return std::move(out).take_bytes();
}

namespace {

// The initializer as the worker loop runs it: its code resolved here (our
// numbering is the pool's), its arguments decoded by its trampoline.
std::function<void()> decode_initializer(const std::vector<std::byte>& bytes) {
  if (bytes.empty()) return {};
  decoder in(bytes);
  const auto entry = code_ref::unpack(in.read<std::uint64_t>());
  const bool has_function = in.read<std::uint8_t>() != 0;
  const auto function = code_ref::unpack(in.read<std::uint64_t>());
  auto arguments = in.read<std::vector<std::byte>>();
  return [entry, has_function, function, arguments = std::move(arguments)] {
    // Resolved when it runs, so that a module we lack fails the
    // initializer (the pool reports it as broken), not the worker's start.
    auto run = reinterpret_cast<portable_entry>(  // NOLINT
        resolve_code(entry));
    run(has_function ? resolve_code(function) : 0, arguments);
  };
}

}  // namespace

void run_spawned_worker(int channel, int slot_page, unsigned max_tasks,
                        const std::vector<std::byte>& initializer) {
  unique_fd page_fd(slot_page);
  unique_mapping page;
  if (int err = mapping::map_file(page_fd.get(), sizeof(wire::slot_page),
                                  PROT_READ | PROT_WRITE, MAP_SHARED, page)) {
    throw std::system_error(err, std::generic_category(), "mmap");
  }
  page_fd.reset();
  worker_boot boot{channel,
                   static_cast<wire::slot_page*>(page.get()),
                   {},
                   decode_initializer(initializer),
                   max_tasks};
  const int code = worker_main(boot);
  if (code != 0) multiproc::exit(code);
}

}  // namespace multiproc::inline v0::detail
