# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS): what Debian requires of every binary package
# and `cmake --install` has no business installing, added to each package's staging tree:
# /usr/share/doc/<package>/copyright and changelog.Debian.gz, and man pages (and the README)
# compressed with gzip -9n (no name or time stamp, so the bytes are reproducible).
# CPackSourceConfig.cmake carries the same scripts: the source tarball needs none of this.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
set(source "${CPACK_RAH_SOURCE_DIR}")

# The changelog's version must be the package's, or dpkg and lintian read a different one.
file(STRINGS "${source}/packaging/debian/changelog" first_line LIMIT_COUNT 1)
set(version "${CPACK_PACKAGE_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
if(NOT first_line MATCHES "\\(${version}\\)")
  message(FATAL_ERROR "packaging/debian/changelog starts with '${first_line}': add an entry "
    "for ${version} (the project's version and CPACK_DEBIAN_PACKAGE_RELEASE)")
endif()

function(gzip_in_place file)
  execute_process(COMMAND gzip -9nf "${file}" RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "gzip ${file} failed")
  endif()
endfunction()

foreach(component ${CPACK_COMPONENTS_ALL})
  string(TOUPPER "${component}" upper)
  set(package "${CPACK_DEBIAN_${upper}_PACKAGE_NAME}")
  set(root "${CPACK_TEMPORARY_DIRECTORY}/${component}")
  set(doc "${root}/usr/share/doc/${package}")
  file(MAKE_DIRECTORY "${doc}")
  file(COPY "${source}/packaging/debian/copyright" DESTINATION "${doc}"
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  file(COPY "${source}/packaging/debian/changelog" DESTINATION "${doc}"
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  file(RENAME "${doc}/changelog" "${doc}/changelog.Debian")
  gzip_in_place("${doc}/changelog.Debian")
  file(GLOB_RECURSE pages "${root}/usr/share/man/*.[1-9]")
  file(GLOB readme "${doc}/README.md")
  foreach(file ${pages} ${readme})
    gzip_in_place("${file}")
  endforeach()
endforeach()
