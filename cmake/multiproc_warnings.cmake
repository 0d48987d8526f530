# Warnings and sanitizers for the project's own targets. Warnings stay
# private; a sanitizer's link option is public, because a sanitized static
# library cannot be linked without its runtime.
function(multiproc_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
    -Wold-style-cast -Wnon-virtual-dtor -Woverloaded-virtual
    -Wcast-align -Wnull-dereference -Wdouble-promotion -Wformat=2)
  if(MULTIPROC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(MULTIPROC_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=${MULTIPROC_SANITIZE} -fno-omit-frame-pointer
      -fno-sanitize-recover=all)
    target_link_options(${target} PUBLIC -fsanitize=${MULTIPROC_SANITIZE})
  endif()
endfunction()
