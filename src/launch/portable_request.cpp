#include "launch/portable_request.hpp"

#include <cstdint>

#include "multiproc/codec.hpp"

namespace multiproc::inline v0::detail {
namespace {

// Both ends are the same program, so layout needs no negotiation; the
// marker and version catch bytes that are not a request at all (a stream
// out of step) before they are read as lengths.
constexpr std::uint32_t kMarker = 0x4d504c52;  // "MPLR"
constexpr std::uint32_t kVersion = 2;

}  // namespace

std::vector<std::byte> encode_portable_request(const portable_request& request,
                                               std::span<const passed_fd> fds) {
  encoder out;
  out.write(kMarker);
  out.write(kVersion);
  const portable_context& c = request.context;
  out.write(c.name);
  out.write(c.parent_name);
  out.write(static_cast<std::int32_t>(c.creator_pid));
  out.write(c.identity);
  // Flags as bytes: a corrupt byte must not become a bool that is neither.
  out.write(static_cast<std::uint8_t>(c.daemon));
  out.write(static_cast<std::uint8_t>(c.kill_on_parent_death));
  out.write(request.target);
  out.write(request.arguments);
  out.write(request.arguments_fd);
  out.write(request.registrations);
  out.write_size(fds.size());
  for (const passed_fd& fd : fds)
    out.write(static_cast<std::int32_t>(fd.child_fd));
  return std::move(out).take_bytes();
}

decoded_request decode_portable_request(std::span<const std::byte> bytes) {
  decoder in(bytes);
  if (in.read<std::uint32_t>() != kMarker) {
    throw codec_error("multiproc: these bytes are not a launch request");
  }
  if (in.read<std::uint32_t>() != kVersion) {
    throw codec_error(
        "multiproc: the launch request comes from another multiproc version");
  }
  decoded_request result;
  portable_context& c = result.request.context;
  c.name = in.read<std::string>();
  c.parent_name = in.read<std::string>();
  c.creator_pid = static_cast<pid_t>(in.read<std::int32_t>());
  c.identity = in.read<std::vector<unsigned>>();
  c.daemon = in.read<std::uint8_t>() != 0;
  c.kill_on_parent_death = in.read<std::uint8_t>() != 0;
  result.request.target = in.read<std::vector<std::byte>>();
  result.request.arguments = in.read<std::vector<std::byte>>();
  result.request.arguments_fd = in.read<std::int32_t>();
  result.request.registrations = in.read<std::vector<std::vector<std::byte>>>();
  const std::size_t count = in.read_size(sizeof(std::int32_t));
  result.child_fds.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    result.child_fds.push_back(in.read<std::int32_t>());
  }
  if (in.remaining() != 0) {
    throw codec_error("multiproc: bytes left over after the launch request");
  }
  return result;
}

}  // namespace multiproc::inline v0::detail
