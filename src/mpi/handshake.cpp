#include "mpi/handshake.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "mpi/poll_wait.hpp"
#include "mpi/protocol.hpp"
#include "remote/module_table.hpp"

namespace multiproc::inline v0::detail::mpi {
namespace {

// resize + memcpy rather than insert(): g++ 12 at -O3 reports a false
// -Wstringop-overflow on inserting into a vector that starts empty.
void put_bytes(std::vector<std::byte>& out, const void* data,
               std::size_t size) {
  const std::size_t at = out.size();
  out.resize(at + size);
  if (size != 0) std::memcpy(out.data() + at, data, size);
}

void put_u32(std::vector<std::byte>& out, std::uint32_t value) {
  put_bytes(out, &value, sizeof value);
}

void put_string(std::vector<std::byte>& out, const std::string& text) {
  put_u32(out, static_cast<std::uint32_t>(text.size()));
  put_bytes(out, text.data(), text.size());
}

class reader {
 public:
  explicit reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  std::uint32_t u32() {
    std::uint32_t value = 0;
    std::memcpy(&value, take(sizeof value), sizeof value);
    return value;
  }
  std::string string() {
    const std::uint32_t size = u32();
    const std::byte* data = take(size);
    return std::string(reinterpret_cast<const char*>(data), size);
  }

 private:
  const std::byte* take(std::size_t size) {
    if (bytes_.size() - at_ < size) {
      throw multiproc::mpi::world_error(
          "multiproc::mpi: a truncated handshake answer");
    }
    const std::byte* data = bytes_.data() + at_;
    at_ += size;
    return data;
  }
  std::span<const std::byte> bytes_;
  std::size_t at_ = 0;
};

// One agent's answer as it arrived, if it did.
struct pending {
  std::optional<agent_answer> answer;
};

}  // namespace

std::vector<std::byte> encode_answer(const agent_answer& answer) {
  std::vector<std::byte> out;
  put_u32(out, answer.same_executable ? 1 : 0);
  put_u32(out, answer.cpus);
  put_string(out, answer.host);
  put_string(out, answer.main_build_id);
  put_u32(out, static_cast<std::uint32_t>(answer.unmatched_modules.size()));
  for (std::uint32_t index : answer.unmatched_modules) put_u32(out, index);
  return out;
}

agent_answer decode_answer(std::span<const std::byte> bytes) {
  reader in(bytes);
  agent_answer answer;
  answer.same_executable = in.u32() == 1;
  answer.cpus = in.u32();
  answer.host = in.string();
  answer.main_build_id = in.string();
  const std::uint32_t unmatched = in.u32();
  for (std::uint32_t i = 0; i < unmatched; ++i) {
    answer.unmatched_modules.push_back(in.u32());
  }
  return answer;
}

std::string main_build_id(const std::vector<remote::module_record>& modules) {
  for (const auto& module : modules) {
    if (module.main_program) return module.build_id;
  }
  return {};
}

handshake_result run_handshake(MPI_Comm comm, int size,
                               const multiproc::mpi::world_options& options) {
  const auto modules = remote::describe_modules();
  const std::vector<std::byte> table = remote::encode_modules(modules);
  // Non-blocking sends: a rank that never joins must not hold rank 0 in a
  // rendezvous. Requests of ranks that did not answer are freed, not
  // waited on; the agent receives the table whenever it joins.
  std::vector<MPI_Request> sends(static_cast<std::size_t>(size),
                                 MPI_REQUEST_NULL);
  for (int rank = 1; rank < size; ++rank) {
    MPI_Isend(table.data(), static_cast<int>(table.size()), MPI_BYTE, rank,
              kTagModules, comm, &sends[static_cast<std::size_t>(rank)]);
  }
  std::vector<pending> answers(static_cast<std::size_t>(size));
  int answered = 0;
  const auto receive_one = [&] {
    int flag = 0;
    MPI_Message message;
    MPI_Status status;
    MPI_Improbe(MPI_ANY_SOURCE, kTagAnswer, comm, &flag, &message, &status);
    if (flag == 0) return answered == size - 1;
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    std::vector<std::byte> bytes(static_cast<std::size_t>(count));
    MPI_Mrecv(bytes.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE);
    answers[static_cast<std::size_t>(status.MPI_SOURCE)].answer =
        decode_answer(bytes);
    ++answered;
    return answered == size - 1;
  };
  poll_until(receive_one,
             std::chrono::steady_clock::now() + options.handshake_timeout,
             options.spin);
  for (auto& request : sends) {
    if (request != MPI_REQUEST_NULL) MPI_Request_free(&request);
  }

  const std::string ours = remote::hex(main_build_id(modules));
  handshake_result result;
  result.modules_sent = modules.size();
  for (int rank = 1; rank < size; ++rank) {
    const auto& answer = answers[static_cast<std::size_t>(rank)].answer;
    if (answer && !answer->same_executable) {
      throw multiproc::mpi::world_error(
          "rank " + std::to_string(rank) +
          " runs a different executable (build-id " +
          remote::hex(answer->main_build_id) + " \u2260 rank 0's " + ours +
          ")");
    }
  }
  for (int rank = 1; rank < size; ++rank) {
    const auto& answer = answers[static_cast<std::size_t>(rank)].answer;
    if (!answer) {
      throw multiproc::mpi::world_error(
          "rank " + std::to_string(rank) + " did not join within " +
          std::to_string(options.handshake_timeout.count()) + " s");
    }
    result.agents.push_back({rank, answer->host, answer->cpus});
    for (std::uint32_t index : answer->unmatched_modules) {
      result.differing[index].push_back(rank);
    }
  }
  return result;
}

}  // namespace multiproc::inline v0::detail::mpi
