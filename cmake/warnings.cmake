# Project code builds warning-free with these (STYLE.md "Build"); -Werror keeps it so.
function(rootstock_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wconversion -Wsign-conversion -Wshadow -Werror
    $<$<COMPILE_LANGUAGE:CXX>:-Wold-style-cast -Wnon-virtual-dtor>)
endfunction()
