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

# `heaplab run --env host --clock modelled`: the cell child under
# qemu-x86_64 with the plugin; three identical runs, the instructions
# against callgrind's, the refusals (skipped, 77, without qemu-x86_64).
if(TARGET heaplab-cost)
  add_test(NAME cli_modelled_host
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/model/host.sh $<TARGET_FILE:heaplab>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli_modelled_host PROPERTIES LABELS "cli;model" SKIP_RETURN_CODE 77
                       TIMEOUT 900)
endif()

# The same plugin under qemu-system-i386 with the kernel's test=model
# (kernel_port/selftest_model.c).  The kernel is added after tests/, so it
# is named by its path (as in tests/kernel.cmake).
if(TARGET heaplab-cost AND HEAPLAB_BUILD_I386)
  find_program(HL_QEMU_I386 qemu-system-i386)
  if(HL_QEMU_I386)
    add_test(NAME model_kernel
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/model/kernel.sh ${HL_QEMU_I386}
                     ${PROJECT_BINARY_DIR}/kernel_port/heaplab-kernel.elf
                     $<TARGET_FILE:heaplab-cost>)
    set_tests_properties(model_kernel PROPERTIES LABELS "model;kernel;qemu" TIMEOUT 300)
    # clock=modelled cells: the per-op histograms of the PEROP pass's
    # modelled variant in the plugin's hist= file
    # (12 s in release; about 300 s in a checked build on a loaded VM)
    add_test(NAME model_kernel_perop
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/model/kernel_perop.sh ${HL_QEMU_I386}
                     ${PROJECT_BINARY_DIR}/kernel_port/heaplab-kernel.elf
                     $<TARGET_FILE:heaplab-cost>)
    set_tests_properties(model_kernel_perop PROPERTIES LABELS "model;kernel;qemu" TIMEOUT 900)
  endif()
endif()

# test=model without the plugin: the markers are plain NOPs to the kernel.
if(HEAPLAB_BUILD_I386 AND HL_QEMU_I386)
  add_test(NAME kernel_model
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/kernel/qemu_test.sh ${HL_QEMU_I386}
                   ${PROJECT_BINARY_DIR}/kernel_port/heaplab-kernel.elf "test=model" 33
                   --want "^@HL model,expect,3,8201,2048,1024,2,fits-l2$"
                   --want "^@HL test,model,pass$")
  set_tests_properties(kernel_model PROPERTIES LABELS "kernel;qemu" TIMEOUT 90)
endif()

# The plugin's install entry point without QEMU (dlopen; the QEMU
# functions it registers with are stubs this executable exports).
if(TARGET heaplab-cost)
  add_executable(model_plugin_load model/plugin_load.c)
  target_include_directories(model_plugin_load PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(model_plugin_load PRIVATE -Wall -Wextra -Werror)
  target_link_libraries(model_plugin_load PRIVATE PkgConfig::CMOCKA ${CMAKE_DL_LIBS})
  set_target_properties(model_plugin_load PROPERTIES ENABLE_EXPORTS ON)
  add_test(NAME model_plugin_load
           COMMAND model_plugin_load $<TARGET_FILE:heaplab-cost>)
  set_tests_properties(model_plugin_load PROPERTIES LABELS "model;unit")
endif()
