# tests/model.cmake — the cache-model plugin (bench/qemu-plugin/,
# docs/model.md) under qemu-x86_64 on tests/model/strides.c.  The program
# is static and non-PIE (no sanitizers: it runs under QEMU), so its
# addresses, and the plugin's report, are the same on every run.
if(TARGET heaplab-cost)
  add_executable(model_strides model/strides.c)
  target_include_directories(model_strides PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(model_strides PRIVATE -O2 -Wall -Wextra -Werror -fno-pie)
  target_link_options(model_strides PRIVATE -static -no-pie)
  add_test(NAME model_plugin
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/model/plugin.sh
                   $<TARGET_FILE:heaplab-cost> $<TARGET_FILE:model_strides>)
  set_tests_properties(model_plugin PROPERTIES LABELS model SKIP_RETURN_CODE 77
                       TIMEOUT 300)
endif()
