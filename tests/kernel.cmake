# tests/kernel.cmake — the i386 kernel's tests: the image's static shape,
# and self-tests booted in QEMU (TCG), one ctest test per self-test.
# Included last by tests/CMakeLists.txt.  The kernel itself is added after
# tests/ (top-level CMakeLists.txt), so it is named by its path here.
if(NOT HEAPLAB_BUILD_I386)
  return()
endif()

set(_kelf ${PROJECT_BINARY_DIR}/kernel_port/heaplab-kernel.elf)
set(_kdir ${CMAKE_CURRENT_SOURCE_DIR}/kernel)

add_test(NAME kernel_image COMMAND ${_kdir}/image_check.sh ${_kelf})
set_tests_properties(kernel_image PROPERTIES LABELS "kernel")

# The kernel's own kinds of the line protocol as bench/host/qemu.c reads
# them (no QEMU needed).
# Not hl_unit_test: hl_testlib's port library would come before hl_cli's
# allocators on the link line, leaving a checked build's hl_report
# unresolved; hl_cli brings the port itself, in order.
add_executable(test_qemu_proto test_qemu_proto.c
               ${PROJECT_SOURCE_DIR}/bench/host/no_test_allocators.c)
target_link_libraries(test_qemu_proto PRIVATE hl_cli PkgConfig::CMOCKA)
add_test(NAME test_qemu_proto COMMAND test_qemu_proto)
set_tests_properties(test_qemu_proto PROPERTIES LABELS "kernel;unit")

# The modelled clock's report reader and paths (bench/host/modelled.h; no
# QEMU needed).  Linked as test_qemu_proto, for the same reason.
add_executable(test_modelled test_modelled.c
               ${PROJECT_SOURCE_DIR}/bench/host/no_test_allocators.c)
target_link_libraries(test_modelled PRIVATE hl_cli PkgConfig::CMOCKA)
add_test(NAME test_modelled COMMAND test_modelled)
set_tests_properties(test_modelled PROPERTIES LABELS "model;unit")

# The test driver of qemu_run_cell (tests/kernel/qemu_cell_test.sh runs it).
add_executable(qemu_cell_main qemu_cell_main.c
               ${PROJECT_SOURCE_DIR}/bench/host/no_test_allocators.c)
target_link_libraries(qemu_cell_main PRIVATE hl_cli)

find_program(HL_QEMU_I386 qemu-system-i386)
if(NOT HL_QEMU_I386)
  message(WARNING "qemu-system-i386 not found (tools/setup installs qemu-system-x86): "
                  "the kernel's QEMU tests are not registered")
  return()
endif()

# hl_kernel_test(NAME APPEND STATUS [ARGS...]): tests/kernel/qemu_test.sh.
function(hl_kernel_test name append status)
  add_test(NAME ${name}
           COMMAND ${_kdir}/qemu_test.sh ${HL_QEMU_I386} ${_kelf} "${append}" ${status} ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS "kernel;qemu" TIMEOUT 90)
endfunction()

# Boots, prints on COM1, ends QEMU through isa-debug-exit with 0x10 -> 33.
hl_kernel_test(kernel_boot "test=boot" 33
  --want "^@HL meta,kernel,heaplab-i386$"
  --want "^@HL meta,cmdline,\"?[^ ]*heaplab-kernel.elf test=boot\"?$"
  --want "^@HL test,boot,pass$")
# No test asked for: a clean boot is success.
hl_kernel_test(kernel_idle "" 33 --reject "^@HL test,")
# Exceptions: raised, named, recovered.
hl_kernel_test(kernel_exceptions "test=exceptions" 33
  --want "^@HL fault,divide,#DE,err=0x0,"
  --want "^@HL fault,breakpoint,#BP,"
  --want "^@HL fault,invalid-opcode,#UD,"
  --want "^@HL fault,general-protection,#GP,err=0x30,"
  --want "^@HL test,exceptions,pass$")
# An unexpected exception: the register dump, then the failure status.
hl_kernel_test(kernel_unhandled_exception "test=panic" 35
  --want "^EXCEPTION #UD Invalid Opcode \\(vector 6\\) err=0x00000000 eip=0x[0-9a-f]{8} cs=0x0008 ring 0$"
  --want "^  eax=0x[0-9a-f]{8} ebx=0x[0-9a-f]{8} ecx=0x[0-9a-f]{8} edx=0x[0-9a-f]{8}$"
  --want "^  cr0=0x8001[0-9a-f]{4} cr2="
  --want "^@HL error,exception,#UD,vector=6,"
  --reject "^@HL test,panic,")
# An unknown test name fails the run.
hl_kernel_test(kernel_unknown_test "test=boot,no-such-test" 35
  --want "^@HL error,selftest,unknown test name")
hl_kernel_test(kernel_paging "test=paging" 33 --want "^@HL test,paging,pass$")
# Protection: each fault decoded (P, W/R, U/S, RSVD, I/D) and recovered.
hl_kernel_test(kernel_protect "test=protect" 33
  --want "^@HL fault,ro-write-rodata,#PF,err=0x3,p=1,w=1,u=0,rsvd=0,id=0,ring=0,"
  --want "^@HL fault,ro-write-wp-off,none$"
  --want "^@HL fault,unmapped-read,#PF,err=0x0,p=0,w=0,u=0,rsvd=0,id=0,ring=0,"
  --want "^@HL fault,unmapped-write,#PF,err=0x2,p=0,w=1,u=0,"
  --want "^@HL fault,user-read-user,#UD,.*ring=3,"
  --want "^@HL fault,user-read-kernel,#PF,err=0x5,p=1,w=0,u=1,rsvd=0,id=0,ring=3,"
  --want "^@HL fault,user-write-kernel,#PF,err=0x7,p=1,w=1,u=1,rsvd=0,id=0,ring=3,"
  --want "^@HL fault,user-read-unmapped,#PF,err=0x4,p=0,w=0,u=1,"
  --want "^@HL fault,reserved-bit,#PF,err=0x[89],p=[01],w=0,u=0,rsvd=1,id=0,"
  --want "^@HL fault,fetch-unmapped,#PF,err=0x10,p=0,w=0,u=0,rsvd=0,id=1,"
  --want "^@HL fault,fetch-user-smep,#PF,err=0x11,p=1,w=0,u=0,rsvd=0,id=1,"
  --want "^@HL test,protect,pass$")
# Demand paging: 16 pages, exactly 16 faults.
hl_kernel_test(kernel_demand "test=demand" 33
  --want "^@HL meta,demand_faults,16$"
  --want "^@HL fault,demand-ro-write,#PF,err=0x3,p=1,w=1,"
  --want "^@HL test,demand,pass$")
# Device mapping: PCD|PWT entries; the console mirrored to VGA text.
hl_kernel_test(kernel_device "test=device" 33 --vga --want "^@HL test,device,pass$")
hl_kernel_test(kernel_frames "test=frames" 33
  --want "^@HL meta,frames_used,[1-9][0-9]*$"
  --want "^@HL test,frames,pass$")
# The kernel's own heap (kheap=, default buddy): blocks of every size and
# alignment, page tables made after boot from it.  Every registry
# allocator can be it (heap ones pad page tables to 4 KiB alignment);
# cow and huge run on it too (counts, tables, clones).
hl_kernel_test(kernel_kheap "vga=off test=kheap" 33
  --want "^@HL meta,kheap,buddy$" --want "^@HL meta,kheap_bytes,4194304$"
  --want "^@HL test,kheap,pass$")
foreach(_ka bitmap-seed bitmap-fast firstfit-seed nextfit bestfit firstfit-lifo slab tlsf bump)
  hl_kernel_test(kernel_kheap_${_ka} "vga=off kheap=${_ka} kheap_mib=2 test=kheap,cow,huge,tlb" 33
    --want "^@HL meta,kheap,${_ka}$" --want "^@HL test,kheap,pass$" --want "^@HL test,cow,pass$")
endforeach()
hl_kernel_test(kernel_kheap_bad "vga=off kheap=no-such test=boot" 35
  --want "^@HL error,usage,bad value for kheap=: 'no-such' \\(unknown allocator 'no-such' for kheap=\\)$"
  --reject "^@HL test,")
hl_kernel_test(kernel_kheap_bad_size "vga=off kheap_mib=65" 35
  --want "^@HL error,usage,bad value for kheap_mib=: '65' ")
hl_kernel_test(kernel_hugepool_too_big "vga=off hugepool_mib=128" 35
  --want "^@HL error,usage,bad value for hugepool_mib=: '128' \\(no room")
# Huge pages: 4 MiB PSE mappings from buddy order-10 frames beside 4 KiB
# ones; walk, unmap and fault paths; 4 MiB demand paging.
hl_kernel_test(kernel_huge "vga=off test=huge" 33
  --want "^@HL meta,huge_frames,2$"
  --want "^@HL fault,huge-unmapped,#PF,err=0x0,p=0,"
  --want "^@HL fault,huge-ro-write,#PF,err=0x3,p=1,w=1,"
  --want "^@HL meta,huge_demand_faults,2$"
  --want "^@HL test,huge,pass$")
# No pool: 4 KiB pages only, the huge cases skipped; a small -m (the
# qemu_cell oom case boots -m 16) boots without the default pool.
hl_kernel_test(kernel_huge_none "vga=off hugepool_mib=0 test=huge,tlb" 33
  --want "^@HL meta,huge_frames,0$" --want "^@HL skip,huge,all,no huge pool"
  --want "^@HL test,tlb,pass$" --reject "^@HL meta,tlb_remap_4m,")
# The TLB: a remap (4 KiB and 4 MiB) is seen only through invlpg.
hl_kernel_test(kernel_tlb "vga=off test=tlb" 33
  --want "^@HL meta,tlb_remap_4k,new$" --want "^@HL meta,tlb_remap_4m,new$"
  --want "^@HL fault,tlb-protect,#PF,err=0x3," --want "^@HL fault,tlb-unmapped,#PF,err=0x0,"
  --want "^@HL test,tlb,pass$")
# Copy-on-write: counts, isolation both ways, ring 3, freeing.
hl_kernel_test(kernel_cow "vga=off test=cow" 33
  --want "^@HL fault,cow-ro-write,#PF,err=0x3,p=1,w=1,"
  --want "^@HL fault,cow-user-write,#UD,.*ring=3,"
  --want "^@HL test,cow,pass$")
# The fork-like experiment as a smoke test (TCG's TSC), and under icount
# twice (exact, repeatable counts).
hl_kernel_test(kernel_cowbench "vga=off test=cowbench cow_pages=40" 33
  --want "^@HL vm,cow,pages=40,written_pct=10,faults=4,copies=4,"
  --want "^@HL vm,cow,pages=40,written_pct=50,faults=20,copies=20,"
  --want "^@HL vm,cow,pages=40,written_pct=100,faults=40,copies=40,"
  --want "^@HL test,cowbench,pass$")
hl_kernel_test(kernel_cowbench_bad "vga=off test=cowbench cow_pages=5000" 35
  --want "^@HL error,usage,bad value for cow_pages=: '5000' \\(1..4096\\)$")
add_test(NAME kernel_cowbench_icount COMMAND ${_kdir}/cow_bench.sh ${HL_QEMU_I386} ${_kelf} 64)
set_tests_properties(kernel_cowbench_icount PROPERTIES LABELS "kernel;qemu" TIMEOUT 240)
# kernel_panic reached on a real path (frames_free of a foreign address).
hl_kernel_test(kernel_panic_line "vga=off test=kpanic" 35
  --want "^PANIC .*kernel_port/frames\\.c:[0-9]+: frames_free: address outside the managed frames$"
  --want "^@HL error,panic,frames_free: address outside the managed frames$"
  --reject "^@HL test,kpanic,")
# Everything in one boot.
hl_kernel_test(kernel_all "test=all" 33 --vga
  --want "^@HL test,boot,pass$" --want "^@HL test,exceptions,pass$"
  --want "^@HL test,paging,pass$" --want "^@HL test,protect,pass$"
  --want "^@HL test,demand,pass$" --want "^@HL test,device,pass$"
  --want "^@HL test,frames,pass$" --want "^@HL test,kheap,pass$"
  --want "^@HL test,huge,pass$" --want "^@HL test,tlb,pass$"
  --want "^@HL test,cow,pass$")

# ---- benchmark cells (kernel_port/bench.c) -------------------------------------------------

# The kernel plans and runs cells from its command line, one boot: the
# workloads in order, each with the allocators of its family; a sweep
# point after the suite, tagged with its parameter, without detail rows.
hl_kernel_test(kernel_cells
  "vga=off allocators=buddy,slab workloads=frames-churn,churn-fixed ops=2000 reps=2 run_id=K accel=tcg clock=tsc-tcg params=churn-fixed:live=100,size=48 sweep=churn-fixed:live=7" 33
  --want "^@HL meta,cells_planned,3$"
  --want "^@HL begin,0,buddy,frames-churn,\"frames=506,occupancy=99,ops=500\",,1,2$"
  --want "^@HL begin,1,slab,churn-fixed,\"live=100,ops=[0-9]+,size=48\",,1,2$"
  --want "^@HL begin,2,slab,churn-fixed,\"live=7,ops=[0-9]+,size=48\",live,1,2$"
  --want "^@HL cell,K,qemu,tcg,tsc-tcg,buddy,frame,frames-churn,\"frames=506,occupancy=99,ops=500\",1,1,ok,2000,1bbb9372b4d9ea29,[0-9a-f]{16},"
  --want "^@HL cell,K,qemu,tcg,tsc-tcg,slab,heap,churn-fixed,\"live=7,.*,live,0,[0-9.]*,[0-9.]*,1,0,0,0,1,0,[1-9][0-9]*,\"keep_empty=1,magazine=64,max_slab_order=6,lg_classes=1\",,,,$"
  --reject "^@HL (lat|tl),K,qemu,slab,churn-fixed,\"live=7,"
  --want "^@HL rep,1$" --want "^@HL end,2,ok,$"
  --reject "^@HL error,")
# Allocator parameters (aparams=) and an allocator's sweep: every row says
# the parameters it ran with; the sweep points after the suite.
hl_kernel_test(kernel_cells_aparams
  "vga=off allocators=slab workloads=lifo,churn-fixed ops=2000 reps=1 run_id=K accel=tcg clock=tsc-tcg aparams=slab:magazine=8 sweep=slab:keep_empty=0,16" 33
  --want "^@HL meta,cells_planned,6$"
  --want "^@HL cell,K,qemu,tcg,tsc-tcg,slab,heap,lifo,.*,,0,[0-9.]*,[0-9.]*,1,0,0,0,1,0,[1-9][0-9]*,\"keep_empty=1,magazine=8,max_slab_order=6,lg_classes=1\",,,,$"
  --want "^@HL cell,K,qemu,tcg,tsc-tcg,slab,heap,lifo,.*,keep_empty,0,[0-9.]*,[0-9.]*,1,0,0,0,1,0,[1-9][0-9]*,\"keep_empty=0,magazine=8,max_slab_order=6,lg_classes=1\",,,,$"
  --want "^@HL cell,K,qemu,tcg,tsc-tcg,slab,heap,churn-fixed,.*,keep_empty,0,[0-9.]*,[0-9.]*,1,0,0,0,1,0,[1-9][0-9]*,\"keep_empty=16,magazine=8,max_slab_order=6,lg_classes=1\",,,,$"
  --want "^@HL end,5,ok,$"
  --reject "^@HL error,")
hl_kernel_test(kernel_cells_bad_aparams
  "vga=off allocators=slab workloads=lifo aparams=slab:keep_empty=99999" 35
  --want "^@HL error,usage,\"?bad value for aparams=: 'slab:keep_empty=99999' \\(value out of range at '99999'")
# A bad command line is refused with a reason, and fails the boot.
hl_kernel_test(kernel_cells_usage "vga=off allocators=buddy,no-such" 35
  --want "^@HL error,usage,\"?unknown allocator 'no-such'")
hl_kernel_test(kernel_cells_bad_params "vga=off workloads=lifo params=lifo:n=0" 35
  --want "^@HL error,usage,")
hl_kernel_test(kernel_cells_bad_sweep "vga=off workloads=lifo sweep=lifo:nosuch=1,2" 35
  --want "^@HL error,usage,\"?bad value for sweep=: 'lifo:nosuch=1,2' \\(workload 'lifo' has no parameter 'nosuch'\\)")
# A frame stream that needs more than the kernel's region is refused by
# the cell, with the sizes (the host would map it a bigger region).
hl_kernel_test(kernel_cells_region_too_small
  "vga=off allocators=bitmap-fast workloads=frames-churn params=frames-churn:frames=1048576,occupancy=99,ops=10 sweep=none" 35
  --want "^@HL end,0,error,\"?the stream's frames peak at 4252016640 bytes: it needs a [0-9]+-byte region, the kernel's is [0-9]+ bytes")
# How QEMU ends when the kernel cannot say: a triple fault exits 0.
hl_kernel_test(kernel_triple_fault "vga=off test=triple" 0
  --want "^expecting a triple fault")

# qemu_run_cell through tests/qemu_cell_main.c: rows, checksums equal to
# the host's, icount determinism, and the failure paths.
set(_qcell ${CMAKE_CURRENT_SOURCE_DIR}/kernel/qemu_cell_test.sh)
foreach(mode checksums determinism failures)
  add_test(NAME qemu_cell_${mode}
           COMMAND bash ${_qcell} ${mode} $<TARGET_FILE:qemu_cell_main> $<TARGET_FILE:heaplab>)
  set_tests_properties(qemu_cell_${mode} PROPERTIES LABELS "kernel;qemu" TIMEOUT 600
                       ENVIRONMENT "HEAPLAB_QEMU=${HL_QEMU_I386};HEAPLAB_KERNEL=${_kelf}")
endforeach()
# The KVM probe: reports what it finds (never fails on a machine without
# working KVM: that is the point of probing).
add_test(NAME qemu_kvm_probe COMMAND $<TARGET_FILE:qemu_cell_main> probe)
set_tests_properties(qemu_kvm_probe PROPERTIES LABELS "kernel;qemu" TIMEOUT 120
                     ENVIRONMENT "HEAPLAB_QEMU=${HL_QEMU_I386};HEAPLAB_KERNEL=${_kelf}"
                     PASS_REGULAR_EXPRESSION "kvm=(yes|no)")
# The whole default suite (--ops 30000), planned by bench/core/plan.c in the
# kernel and on the host: the kernel's cells and checksums
# equal the host's, cell for cell (one boot, reps 1, about a minute).
add_test(NAME kernel_suite_checksums
         COMMAND bash ${_kdir}/suite_checksums.sh ${HL_QEMU_I386} ${_kelf}
                 $<TARGET_FILE:heaplab> $<TARGET_FILE:qemu_cell_main> 30000)
set_tests_properties(kernel_suite_checksums PROPERTIES LABELS "kernel;qemu" TIMEOUT 1800)

# `heaplab run --env both|qemu` end to end: host and qemu rows of the same
# streams, the run's own checksum cross-check, three identical icount
# runs, a missing QEMU.
add_test(NAME cli_run_env COMMAND bash ${_kdir}/run_env.sh $<TARGET_FILE:heaplab>)
# Allocator variants (issue 16): slab's keep_empty swept over two
# workloads and buddy's max_order over a frame workload, --env both: the
# same streams (and frames) in both worlds, rows keyed by alloc_params,
# the sweep figure, the refusals.
add_test(NAME cli_variants COMMAND bash ${_kdir}/variants.sh $<TARGET_FILE:heaplab>)
set_tests_properties(cli_variants PROPERTIES LABELS "kernel;qemu;cli" TIMEOUT 600
                     ENVIRONMENT "HEAPLAB_QEMU=${HL_QEMU_I386};HEAPLAB_KERNEL=${_kelf}")
set_tests_properties(cli_run_env PROPERTIES LABELS "kernel;qemu;cli" TIMEOUT 600
                     ENVIRONMENT "HEAPLAB_QEMU=${HL_QEMU_I386};HEAPLAB_KERNEL=${_kelf}")

# --clock modelled in the kernel (docs/model.md): three identical runs,
# the miss columns, region instructions against icount, the refusals.
add_test(NAME cli_modelled COMMAND bash ${_kdir}/modelled.sh $<TARGET_FILE:heaplab>)
set_tests_properties(cli_modelled PROPERTIES LABELS "kernel;qemu;cli;model" TIMEOUT 900
                     ENVIRONMENT "HEAPLAB_QEMU=${HL_QEMU_I386};HEAPLAB_KERNEL=${_kelf}")

# resident_bytes in the kernel: demand faults of the region and state,
# read back from one short `heaplab run --env qemu`.
add_test(NAME kernel_resident COMMAND bash ${_kdir}/resident_qemu.sh $<TARGET_FILE:heaplab>)
set_tests_properties(kernel_resident PROPERTIES LABELS "kernel;qemu;cli" TIMEOUT 300
                     ENVIRONMENT "HEAPLAB_QEMU=${HL_QEMU_I386};HEAPLAB_KERNEL=${_kelf}")

# The leak detector in the kernel: `--env both` on traces with blocks their
# programs never free; the kernel's "@HL leak" rows (serial) are the
# host's, row for row, in leaks.csv and cells.log.
add_test(NAME kernel_leaks COMMAND bash ${_kdir}/leaks_qemu.sh $<TARGET_FILE:heaplab>
                                   ${PROJECT_SOURCE_DIR}/workloads/traces)
set_tests_properties(kernel_leaks PROPERTIES LABELS "kernel;qemu;cli" TIMEOUT 600
                     ENVIRONMENT "HEAPLAB_QEMU=${HL_QEMU_I386};HEAPLAB_KERNEL=${_kelf}")

# The vm family in both worlds: vm-touch's checksum equal on the host and
# in the kernel, 4 KiB vs 4 MiB PSE pages really mapped, vm-remap with
# invlpg and CR3 (tests/kernel/vm_qemu.sh).
add_test(NAME kernel_vm COMMAND bash ${_kdir}/vm_qemu.sh $<TARGET_FILE:heaplab>)
set_tests_properties(kernel_vm PROPERTIES LABELS "kernel;qemu;cli" TIMEOUT 300
                     ENVIRONMENT "HEAPLAB_QEMU=${HL_QEMU_I386};HEAPLAB_KERNEL=${_kelf}")

# heaplab plot on a real --clock modelled run in the kernel (a suite and a
# modelled sweep): figures 1c, 1d, 4 -modelled and 7c, their .dat files
# against summary.csv and cells.csv (tests/cli/plot_modelled.sh; the
# host's modelled rows: the fixture of tests/cli/plot.sh).
add_test(NAME cli_plot_modelled
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/cli/plot_modelled.sh $<TARGET_FILE:heaplab>)
set_tests_properties(cli_plot_modelled PROPERTIES LABELS "kernel;qemu;cli;model" TIMEOUT 600
                     ENVIRONMENT "HEAPLAB_QEMU=${HL_QEMU_I386};HEAPLAB_KERNEL=${_kelf}")
