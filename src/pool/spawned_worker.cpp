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
#include "pool/initializer_bytes.hpp"
#include "pool/wire.hpp"
#include "pool/worker_main.hpp"
#include "posix/mapping.hpp"

namespace multiproc::inline v0::detail {

void run_spawned_worker(int channel, int slot_page, unsigned max_tasks,
                        const std::vector<std::byte>& initializer, bool held) {
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
                   decode_initializer_bytes(initializer),
                   max_tasks};
  boot.held = held;
  const int code = worker_main(boot);
  if (code != 0) multiproc::exit(code);
}

}  // namespace multiproc::inline v0::detail
