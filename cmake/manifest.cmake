# build/manifest.json (tools/write-manifest.py): every input of the build and the SHA-256 of
# every artifact of tools/artifacts.list. Written after the kernel and the parts that make
# artifacts; of the host part only its disk image step (rootstock.img), not the tests. Included
# at the end of the superbuild.
add_custom_target(manifest ALL
  COMMAND python3 ${CMAKE_SOURCE_DIR}/tools/write-manifest.py
          --source ${CMAKE_SOURCE_DIR} --build ${CMAKE_BINARY_DIR} --version ${PROJECT_VERSION}
          --sysroot ${ROOTSTOCK_SYSROOT} --cache ${ROOTSTOCK_CACHE}
  COMMENT "build manifest: ${CMAKE_BINARY_DIR}/manifest.json"
  VERBATIM)
foreach(maker kernel hv user efi host-disk_image)
  if(TARGET ${maker})
    add_dependencies(manifest ${maker})
  endif()
endforeach()
