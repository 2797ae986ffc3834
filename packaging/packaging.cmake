# What `cmake --install` puts where, and the packages CPack makes of it (scripts/package.sh):
#   component helper    rolesanywhere-helper, its man page, bash/zsh/fish completions, the
#                       systemd units and their system user       -> rolesanywhere-helper.deb
#   component emulator  rolesanywhere-emulator and its man page    -> rolesanywhere-emulator.deb
# and a source tarball. Included from the top-level CMakeLists.txt.
include(GNUInstallDirs)

# ---- Shell completions, written by the helper itself from the flags its commands parse.
set(RAH_COMPLETIONS_DIR ${CMAKE_BINARY_DIR}/completions)
set(RAH_COMPLETION_FILES ${RAH_COMPLETIONS_DIR}/rolesanywhere-helper
  ${RAH_COMPLETIONS_DIR}/_rolesanywhere-helper ${RAH_COMPLETIONS_DIR}/rolesanywhere-helper.fish)
if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  message(STATUS "Cross-compiling without CMAKE_CROSSCOMPILING_EMULATOR: no shell completions")
  set(RAH_COMPLETION_FILES "")
else()
  add_custom_command(OUTPUT ${RAH_COMPLETION_FILES}
    COMMAND ${CMAKE_COMMAND} "-DHELPER=$<TARGET_FILE:rolesanywhere-helper>"
      "-DEMULATOR=${CMAKE_CROSSCOMPILING_EMULATOR}" -DOUTPUT_DIR=${RAH_COMPLETIONS_DIR}
      -P ${PROJECT_SOURCE_DIR}/packaging/write_completions.cmake
    DEPENDS rolesanywhere-helper ${PROJECT_SOURCE_DIR}/packaging/write_completions.cmake
    COMMENT "Writing the bash, zsh and fish completions of rolesanywhere-helper" VERBATIM)
  add_custom_target(completions ALL DEPENDS ${RAH_COMPLETION_FILES})
endif()

# ---- Installed files.
install(TARGETS rolesanywhere-helper RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT helper)
install(FILES man/rolesanywhere-helper.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
  COMPONENT helper)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT helper)
install(FILES contrib/systemd/rolesanywhere-helper.conf.example contrib/systemd/serve.toml.example
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT helper)
if(RAH_COMPLETION_FILES)
  install(FILES ${RAH_COMPLETIONS_DIR}/rolesanywhere-helper
    DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT helper)
  install(FILES ${RAH_COMPLETIONS_DIR}/rolesanywhere-helper.fish
    DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d COMPONENT helper)
endif()

# The units name the binary by its installed path and, like the zsh completion and the
# sysusers.d file, go where the prefix given at install time wants them (`cmake --install
# --prefix`, CPack's /usr), so they are placed by a script run at install time.
pkg_get_variable(RAH_USR_SYSTEMD_UNIT_DIR systemd systemdsystemunitdir)
set(RAH_ZSH_COMPLETION "")
if(RAH_COMPLETION_FILES)
  set(RAH_ZSH_COMPLETION ${RAH_COMPLETIONS_DIR}/_rolesanywhere-helper)
endif()
install(CODE "
  set(RAH_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
  set(RAH_STAGING_DIR \"${CMAKE_BINARY_DIR}/install-staging\")
  set(RAH_INSTALL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(RAH_INSTALL_DATADIR \"${CMAKE_INSTALL_DATADIR}\")
  set(RAH_USR_SYSTEMD_UNIT_DIR \"${RAH_USR_SYSTEMD_UNIT_DIR}\")
  set(RAH_ZSH_COMPLETION \"${RAH_ZSH_COMPLETION}\")
  include(\"${PROJECT_SOURCE_DIR}/packaging/install_system_files.cmake\")" COMPONENT helper)

install(TARGETS rolesanywhere-emulator RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  COMPONENT emulator)
install(FILES man/rolesanywhere-emulator.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
  COMPONENT emulator)

# ---- CPack: the Debian packages and the source tarball.
set(CPACK_PACKAGE_NAME rolesanywhere-helper)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "the rolesanywhere-helper authors")
set(RAH_PACKAGE_MAINTAINER
  "rolesanywhere-helper maintainers <maintainers@users.noreply.h-seed-42fbe23d.example>"
  CACHE STRING "The Maintainer field of the Debian packages")
set(CPACK_PACKAGE_CONTACT "${RAH_PACKAGE_MAINTAINER}")
set(CPACK_GENERATOR DEB)
# Installed with DESTDIR and the real prefix, so what is written at install time (the units'
# ExecStart=) names /usr, not the staging directory.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL helper emulator)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the ELF files' NEEDED libraries (libc6, libssl3 for libcrypto).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The binaries stripped, their debug symbols in -dbgsym packages.
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_HELPER_PACKAGE_NAME rolesanywhere-helper)
set(CPACK_DEBIAN_EMULATOR_PACKAGE_NAME rolesanywhere-emulator)
# dpkg-shlibdeps cannot see what is loaded with dlopen (src/common/dynamic_library, named in
# curl_api.hpp, mhd_api.hpp, p11_api.hpp; tpm2-openssl through OpenSSL's providers), so those
# are named here: libcurl (every CreateSession) and libmicrohttpd (serve) are needed by the
# main commands; PKCS#11 (libp11, p11-kit's proxy module) only for pkcs11: URIs; tpm2-openssl
# only for TPM keys. A missing one is reported by name when a command needs it.
set(CPACK_DEBIAN_HELPER_PACKAGE_DEPENDS "libcurl4, libmicrohttpd12")
set(CPACK_DEBIAN_HELPER_PACKAGE_RECOMMENDS "libp11-3, libp11-kit0, p11-kit-modules")
set(CPACK_DEBIAN_HELPER_PACKAGE_SUGGESTS "tpm2-openssl")
set(CPACK_DEBIAN_EMULATOR_PACKAGE_DEPENDS "libmicrohttpd12")
set(CPACK_DEBIAN_HELPER_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_HELPER_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Each description's first line is the package's synopsis (CPACK_PACKAGE_DESCRIPTION_SUMMARY is
# left unset: CPack would put it before both).
set(CPACK_DEBIAN_HELPER_DESCRIPTION
  "temporary AWS credentials from an X.509 certificate (IAM Roles Anywhere)
rolesanywhere-helper signs IAM Roles Anywhere CreateSession requests with the
private key of an X.509 certificate (in a file, on a PKCS#11 token or in a
TPM 2.0) and hands the temporary credentials to the AWS CLI and SDKs: as a
credential_process, on a local IMDSv2 endpoint (serve) or in a credentials
file kept fresh (update). It is a drop-in replacement for AWS's
aws_signing_helper. Includes bash, zsh and fish completions and systemd
units for serve and update.")
set(CPACK_DEBIAN_EMULATOR_DESCRIPTION
  "local IAM Roles Anywhere endpoint that verifies requests, for tests
rolesanywhere-emulator answers CreateSession on a local port as IAM Roles
Anywhere does, after checking the SigV4-X509 signature, the certificate
chain against its trust anchor, validity, ARNs and clock skew. It can inject
faults. For testing rolesanywhere-helper and other Roles Anywhere clients.")
# The copyright file, changelog and compressed man pages Debian requires, added to each package.
set(CPACK_RAH_SOURCE_DIR ${PROJECT_SOURCE_DIR})
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/packaging/debian_documents.cmake)

set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_PACKAGE_FILE_NAME rolesanywhere-helper-${PROJECT_VERSION})
# Build trees, packages and what tests or tools leave in the checkout, matched from the source
# directory (CPack matches whole paths; a checkout under /home/me/build/ still packs).
string(REGEX REPLACE "([][+.*()^$?|\\])" "\\\\\\1" source_regex "${PROJECT_SOURCE_DIR}")
set(CPACK_SOURCE_IGNORE_FILES "^${source_regex}/\\.git(/|$)" "^${source_regex}/build[^/]*/"
  "^${source_regex}/dist/" "/node_modules/" "/__pycache__/" "\\.swp$" "~$")
# Every CPACK_ value written to the config files as it is here (backslashes, quotes).
set(CPACK_VERBATIM_VARIABLES ON)
include(CPack)
