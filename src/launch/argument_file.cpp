#include "launch/argument_file.hpp"

#include <sys/mman.h>

#include <system_error>

#include "posix/io.hpp"

namespace multiproc::inline v0::detail {

argument_writer::argument_writer() noexcept : encoder_(&sink, this) {}

void argument_writer::sink(void* self, const void* data, std::size_t size) {
  auto& writer = *static_cast<argument_writer*>(self);
  if (!writer.file_) {
    if (int err = mapping::create_memfd("multiproc-arguments", writer.file_)) {
      throw std::system_error(err, std::generic_category(), "memfd_create");
    }
  }
  const std::span<const std::byte> bytes(static_cast<const std::byte*>(data),
                                         size);
  if (int err = io::pwrite_all(writer.file_.get(), bytes, writer.written_)) {
    throw std::system_error(err, std::generic_category(), "pwrite");
  }
  writer.written_ += size;
}

unique_fd argument_writer::finish(std::vector<std::byte>& small) {
  if (!file_) {
    small = std::move(encoder_).take_bytes();
    return {};
  }
  encoder_.flush();
  return std::move(file_);
}

mapped_arguments::mapped_arguments(int fd) {
  unique_fd owned(fd);
  std::uint64_t size = 0;
  if (int err = io::file_size(owned.get(), size)) {
    throw std::system_error(err, std::generic_category(), "fstat");
  }
  if (size == 0) return;
  // Populated at once: the decode then reads every page, and one call
  // maps them all far faster than a fault each.
  if (int err = mapping::map_file(owned.get(), size, PROT_READ,
                                  MAP_PRIVATE | MAP_POPULATE, mapping_)) {
    throw std::system_error(err, std::generic_category(), "mmap");
  }
}

std::span<const std::byte> mapped_arguments::bytes() const noexcept {
  return {static_cast<const std::byte*>(mapping_.get()), mapping_.size()};
}

void mapped_arguments::release(void* self) noexcept {
  static_cast<mapped_arguments*>(self)->mapping_.reset();
}

}  // namespace multiproc::inline v0::detail
