# hv's hardware-free partition code (partitions, frame table, deposits, page tables, hypercall
# dispatch, the child's interrupt controller), compiled for the host by the unit tests, the
# fuzzers and the ThreadSanitizer stress test, each with its own sanitizers.
set(HV_PARTITION_HOST_SOURCES
  ${PROJECT_SOURCE_DIR}/hv/mm/page_table.cpp
  ${PROJECT_SOURCE_DIR}/hv/hypercall/control.cpp
  ${PROJECT_SOURCE_DIR}/hv/hypercall/dispatch.cpp
  ${PROJECT_SOURCE_DIR}/hv/partition/frame_table.cpp
  ${PROJECT_SOURCE_DIR}/hv/partition/deposit_pool.cpp
  ${PROJECT_SOURCE_DIR}/hv/partition/child_interrupts.cpp
  ${PROJECT_SOURCE_DIR}/hv/partition/partition_interrupts.cpp
  ${PROJECT_SOURCE_DIR}/hv/partition/doorbells.cpp
  ${PROJECT_SOURCE_DIR}/hv/partition/partition_doorbells.cpp
  ${PROJECT_SOURCE_DIR}/hv/partition/partition_vp_registers.cpp
  ${PROJECT_SOURCE_DIR}/hv/partition/partition_memory.cpp
  ${PROJECT_SOURCE_DIR}/hv/partition/partition_vps.cpp
  ${PROJECT_SOURCE_DIR}/hv/partition/partitions.cpp
  ${PROJECT_SOURCE_DIR}/hv/arch/x86/svm/svm_child.cpp
  ${PROJECT_SOURCE_DIR}/hv/arch/x86/xsave.cpp
  ${PROJECT_SOURCE_DIR}/hv/vioapic/vioapic.cpp
  ${PROJECT_SOURCE_DIR}/hv/vlapic/vlapic.cpp)
