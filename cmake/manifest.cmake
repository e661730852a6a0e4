# build/manifest.json (tools/write-manifest.py): every input of the build and the SHA-256 of
# every artifact of tools/artifacts.list. Written after the kernel and the parts that make
# artifacts; the host part (tests) is not one of them. Included at the end of the superbuild.
add_custom_target(manifest ALL
  COMMAND python3 ${CMAKE_SOURCE_DIR}/tools/write-manifest.py
          --source ${CMAKE_SOURCE_DIR} --build ${CMAKE_BINARY_DIR} --version ${PROJECT_VERSION}
          --sysroot ${ROOTSTOCK_SYSROOT} --cache ${ROOTSTOCK_CACHE}
  COMMENT "build manifest: ${CMAKE_BINARY_DIR}/manifest.json"
  VERBATIM)
foreach(maker kernel hv user efi)
  if(TARGET ${maker})
    add_dependencies(manifest ${maker})
  endif()
endforeach()
