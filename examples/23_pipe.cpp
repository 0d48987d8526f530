// A pipe between parent and child: the child sends a greeting, the parent
// answers, and when the child has ended the parent's recv() says so
// (end-of-file), because the parent closed its copy of the child's end.
//
// Python: parent_conn, child_conn = Pipe()
//         p = Process(target=f, args=(child_conn,)); p.start()
//         child_conn.close(); print(parent_conn.recv()); ...
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <string>
namespace mp = multiproc;

int main() {
  auto [parent_end, child_end] = mp::pipe<std::string>();

  mp::process child([child_end]() mutable {
    child_end.send("hello from " + mp::current_process().name());
    const std::string answer = child_end.recv();
    std::cout << "Child: got '" << answer << "'" << std::endl;
  });
  child.start();
  // The orchestrating parent is done with the child's end: close it, so
  // that it does not count as a peer of its own end (the sides rule).
  child_end.close();

  std::cout << "Main: got '" << parent_end.recv() << "'" << std::endl;
  parent_end.send("hello back");
  child.join();
  std::cout << "Main: child ended with exit code " << *child.exitcode()
            << std::endl;
  try {
    (void)parent_end.recv();
  } catch (const mp::eof_error& e) {
    std::cout << "Main: then " << e.what() << std::endl;
  }
}
