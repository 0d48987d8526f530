// A progress bar for a long map: the progress callback runs on the calling
// thread as chunks complete, with the number of items done and the total.
//
// Python: tqdm around pool.imap, which needs a third-party package.
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <numeric>
#include <string>
#include <thread>
#include <vector>
namespace mp = multiproc;

long slow_square(long x) {
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return x * x;
}

void draw(std::size_t done, std::size_t total) {
  constexpr std::size_t kWidth = 40;
  const std::size_t filled = done * kWidth / total;
  std::cout << "\r[" << std::string(filled, '#')
            << std::string(kWidth - filled, ' ') << "] " << done << '/' << total
            << std::flush;
}

int main() {
  std::vector<long> inputs(400);
  std::iota(inputs.begin(), inputs.end(), 0L);
  mp::pool workers;
  mp::map_options options;
  options.chunksize = 10;
  options.progress = draw;
  std::vector<long> squares = workers.map(slow_square, inputs, options);
  const long sum = std::accumulate(squares.begin(), squares.end(), 0L);
  std::cout << "\nsum of squares: " << sum << std::endl;
}
