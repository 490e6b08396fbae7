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
# Everything in one boot.
hl_kernel_test(kernel_all "test=all" 33 --vga
  --want "^@HL test,boot,pass$" --want "^@HL test,exceptions,pass$"
  --want "^@HL test,paging,pass$" --want "^@HL test,protect,pass$"
  --want "^@HL test,demand,pass$" --want "^@HL test,device,pass$"
  --want "^@HL test,frames,pass$")
