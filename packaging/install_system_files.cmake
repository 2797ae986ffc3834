# Run at install time (install(CODE) in packaging.cmake) for the files whose place or content
# depends on the prefix chosen then, CMAKE_INSTALL_PREFIX: /usr for the Debian package,
# /usr/local by default, anything with `cmake --install --prefix`.
#   - systemd units, naming the installed binary; in systemd's own directory for /usr (as its
#     pkg-config file says: /lib/systemd/system on Debian 12), else <prefix>/lib/systemd/system,
#     which systemd also reads for /usr/local;
#   - sysusers.d/rolesanywhere-helper.conf, the system user the units run as;
#   - the zsh completion: Debian's zsh reads /usr/share/zsh/vendor-completions and
#     /usr/local/share/zsh/site-functions.
# file(INSTALL) adds DESTDIR (CPack's staging directory) itself.
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr" AND RAH_USR_SYSTEMD_UNIT_DIR)
  set(unit_dir "${RAH_USR_SYSTEMD_UNIT_DIR}")
else()
  set(unit_dir "${prefix}/lib/systemd/system")
endif()
set(RAH_BINDIR "${prefix}/${RAH_INSTALL_BINDIR}")

# One staging directory per destination: cpack and a cmake --install may run at once.
string(MD5 destination "$ENV{DESTDIR}${prefix}")
set(staging "${RAH_STAGING_DIR}/${destination}")
file(MAKE_DIRECTORY "${staging}")
file(GLOB unit_templates "${RAH_SOURCE_DIR}/contrib/systemd/*.service.in")
foreach(template ${unit_templates})
  get_filename_component(unit "${template}" NAME_WLE)
  configure_file("${template}" "${staging}/${unit}" @ONLY)
  file(INSTALL "${staging}/${unit}" DESTINATION "${unit_dir}"
    PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
file(INSTALL "${RAH_SOURCE_DIR}/contrib/systemd/rolesanywhere-helper-serve.socket"
  DESTINATION "${unit_dir}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

file(INSTALL "${RAH_SOURCE_DIR}/contrib/systemd/rolesanywhere-helper.sysusers"
  DESTINATION "${prefix}/lib/sysusers.d" RENAME rolesanywhere-helper.conf
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

if(RAH_ZSH_COMPLETION)
  if(prefix STREQUAL "/usr")
    set(zsh_dir "${prefix}/${RAH_INSTALL_DATADIR}/zsh/vendor-completions")
  else()
    set(zsh_dir "${prefix}/${RAH_INSTALL_DATADIR}/zsh/site-functions")
  endif()
  file(INSTALL "${RAH_ZSH_COMPLETION}" DESTINATION "${zsh_dir}"
    PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
